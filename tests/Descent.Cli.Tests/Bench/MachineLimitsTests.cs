using Descent.Cli.Bench;

namespace Descent.Cli.Tests.Bench;

/// <summary>
/// The figures depend on the machine and its load, so these bound them by what hardware can do: above it, the count of
/// flops or bytes is wrong; far below it (a factor of a thousand), the units are.
/// </summary>
public class MachineLimitsTests
{
    // No x86 core issues more than two vector FMAs per cycle, and none runs above 6 GHz. A thousandth of that bound is
    // far below what the best of several repetitions gets on a loaded machine, and what a units slip (ms for s) gives.
    private const double MaxGHz = 6, FmaPerCycle = 2;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void The_FMA_peak_is_within_what_the_vectors_can_do(int threads)
    {
        double fma = MachineLimits.MeasureFmaPeakGflops(threads, TimeSpan.FromMilliseconds(20));
        const double flopsPerFma = 2 * 256 / 32; // 8 float32 lanes, a multiply and an add each
        double max = flopsPerFma * FmaPerCycle * MaxGHz * threads;
        Assert.InRange(fma, max / 1000, max);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void The_triad_rate_is_within_what_a_core_can_move(int threads)
    {
        // 768 KB stay in the caches: at most two 64-byte loads and one 64-byte store per cycle per core.
        double triad = MachineLimits.MeasureTriadGBps(threads, TimeSpan.FromMilliseconds(20), elements: 1 << 16);
        double max = 3 * 64 * MaxGHz * threads;
        Assert.InRange(triad, max / 1000, max);
    }

    [Fact]
    public void Thread_count_below_one_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MachineLimits.MeasureFmaPeakGflops(0, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => MachineLimits.MeasureTriadGBps(0, TimeSpan.Zero));
    }
}
