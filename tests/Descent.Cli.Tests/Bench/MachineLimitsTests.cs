using Descent.Cli.Bench;

namespace Descent.Cli.Tests.Bench;

/// <summary>
/// The figures depend on the machine and its load, so these bound them by what hardware can do: above it, the count of
/// flops or bytes is wrong; far below it (a factor of 10⁵), the units are (µs taken for s, bytes for GB).
/// </summary>
/// <remarks>
/// They run alone: beside the parallel tests, a two-thread triad measured 0.37 GB/s on a busy 2-core machine, a
/// six-thousandth of the bound, so the lower bound leaves room for a machine shared with other processes too.
/// </remarks>
[Collection(Name)]
public class MachineLimitsTests
{
    private const string Name = "Machine measurements, alone";

    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class Alone;

    // No x86 core issues more than two vector FMAs per cycle, and none runs above 6 GHz.
    private const double MaxGHz = 6, FmaPerCycle = 2, UnitsSlip = 1e5;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void The_FMA_peak_is_within_what_the_vectors_can_do(int threads)
    {
        double fma = MachineLimits.MeasureFmaPeakGflops(threads, TimeSpan.FromMilliseconds(20));
        const double flopsPerFma = 2 * 256 / 32; // 8 float32 lanes, a multiply and an add each
        double max = flopsPerFma * FmaPerCycle * MaxGHz * threads;
        Assert.InRange(fma, max / UnitsSlip, max);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void The_triad_rate_is_within_what_a_core_can_move(int threads)
    {
        // 768 KB stay in the caches: at most two 64-byte loads and one 64-byte store per cycle per core.
        double triad = MachineLimits.MeasureTriadGBps(threads, TimeSpan.FromMilliseconds(20), elements: 1 << 16);
        double max = 3 * 64 * MaxGHz * threads;
        Assert.InRange(triad, max / UnitsSlip, max);
    }

    [Fact]
    public void Thread_count_below_one_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MachineLimits.MeasureFmaPeakGflops(0, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => MachineLimits.MeasureTriadGBps(0, TimeSpan.Zero));
    }
}
