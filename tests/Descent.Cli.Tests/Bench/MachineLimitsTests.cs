using Descent.Cli.Bench;

namespace Descent.Cli.Tests.Bench;

/// <summary>Smoke tests only: the figures depend on the machine, so nothing here asserts a speed.</summary>
public class MachineLimitsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Measurements_return_positive_finite_rates(int threads)
    {
        double fma = MachineLimits.MeasureFmaPeakGflops(threads, TimeSpan.FromMilliseconds(20));
        double triad = MachineLimits.MeasureTriadGBps(threads, TimeSpan.FromMilliseconds(20), elements: 1 << 16);
        Assert.True(double.IsFinite(fma) && fma > 0, $"fma {fma}");
        Assert.True(double.IsFinite(triad) && triad > 0, $"triad {triad}");
    }

    [Fact]
    public void Thread_count_below_one_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MachineLimits.MeasureFmaPeakGflops(0, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => MachineLimits.MeasureTriadGBps(0, TimeSpan.Zero));
    }
}
