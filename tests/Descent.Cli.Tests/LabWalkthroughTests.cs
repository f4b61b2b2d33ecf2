using Descent.Cli.Lab;

namespace Descent.Cli.Tests;

/// <summary>The numbers behind the report's first lessons: the x² table and the batch modes over several shuffling seeds.</summary>
public class LabWalkthroughTests
{
    private const int Epochs = 12;
    private const int Seeds = 8;

    // Computed once: eight seeds of three modes are a few seconds of small steps.
    private static readonly Lazy<IReadOnlyList<LossBand>> Bands = new(() => Walkthrough.BatchModeBands(Epochs, Seeds));

    private static LossBand Mode(string prefix) => Bands.Value.Single(b => b.Name.StartsWith(prefix, StringComparison.Ordinal));

    [Fact]
    public void SquareWalkTableListsTheIteratesOfTheChart()
    {
        var xs = Walkthrough.SquareIterates(0.1, 12);
        var table = LabReport.SquareWalkTable(xs);
        Assert.Equal(13, table.Rows.Count);
        Assert.Equal(5, table.Header.Count);
        Assert.All(table.Rows, r => Assert.Equal(table.Header.Count, r.Count));
        Assert.Equal(["0", "2.0000", "4.0000", "-0.4000", "4.0000"], table.Rows[0]);
        Assert.Equal(["1", "1.6000", "3.2000", "-0.3200", "2.5600"], table.Rows[1]);
        Assert.Equal((2 * Math.Pow(0.8, 12)).ToString("F4", System.Globalization.CultureInfo.InvariantCulture), table.Rows[12][1]);
    }

    [Fact]
    public void EveryBandIsOrderedMinMedianMax()
    {
        Assert.Equal(["batch", "stochastic", "mini-batch"], Bands.Value.Select(b => b.Name.Split(' ')[0]));
        foreach (var band in Bands.Value)
        {
            Assert.Equal(Epochs + 1, band.Median.Length);
            for (int e = 0; e <= Epochs; e++)
                Assert.True(band.Min[e] <= band.Median[e] && band.Median[e] <= band.Max[e], $"{band.Name}, epoch {e}: {band.Min[e]}, {band.Median[e]}, {band.Max[e]}");
        }
    }

    [Fact]
    public void BatchDescentIsOneLineAndStochasticDescentIsNot()
    {
        var batch = Mode("batch");
        for (int e = 0; e <= Epochs; e++)
            Assert.True(batch.Max[e] - batch.Min[e] <= 1e-12 * batch.Median[e], $"batch band at epoch {e} is {batch.Max[e] - batch.Min[e]} wide");
        var stochastic = Mode("stochastic");
        for (int e = 1; e <= Epochs; e++)
            Assert.True(stochastic.Max[e] > 1.5 * stochastic.Min[e], $"stochastic band at epoch {e}: {stochastic.Min[e]} to {stochastic.Max[e]}");
    }

    [Fact]
    public void NoisierModesStallOnHigherFloors()
    {
        double Final(string mode) => Mode(mode).Median[^1];
        Assert.True(Final("mini-batch") < Final("stochastic") / 5, $"mini-batch {Final("mini-batch")}, stochastic {Final("stochastic")}");
    }

    [Fact]
    public void RegressionMinimumIsTheLeastSquaresLoss()
    {
        double minimum = Walkthrough.RegressionMinimum();
        Assert.InRange(minimum, 0.08, 0.10); // the noise is 0.3·ε: its variance 0.09, less what 5 fitted parameters absorb
        var runs = Walkthrough.BatchModes(100, shuffleSeed: 1);
        foreach (var (name, losses) in runs)
            Assert.All(losses, l => Assert.True(l > minimum, $"{name}: loss {l} below the minimum {minimum}"));
        double batchFinal = runs[0].Losses[^1];
        Assert.True(batchFinal - minimum < 1e-9, $"100 epochs of batch descent end at {batchFinal}, the minimum is {minimum}");
        Assert.True(runs[1].Losses[^1] - minimum > 1e-5, "stochastic descent at a fixed rate does not reach the minimum");
    }

    [Fact]
    public void SeedsShuffleTheSameData()
    {
        var one = Walkthrough.BatchModes(3, shuffleSeed: 1);
        var two = Walkthrough.BatchModes(3, shuffleSeed: 2);
        Assert.All(one.Concat(two), c => Assert.Equal(one[0].Losses[0], c.Losses[0]));
        Assert.NotEqual(one[1].Losses[1], two[1].Losses[1]);
        Assert.NotEqual(one[2].Losses[1], two[2].Losses[1]);
        Assert.Equal(one[0].Losses[^1], two[0].Losses[^1], 1e-12);
        Assert.Equal(one[1].Losses, Walkthrough.BatchModes(3, shuffleSeed: 1)[1].Losses);
        var otherData = Walkthrough.BatchModes(0, shuffleSeed: 1, dataSeed: 8);
        Assert.NotEqual(one[0].Losses[0], otherData[0].Losses[0]);
    }

    [Fact]
    public void BatchModesCheckTheirArguments()
    {
        Assert.Equal("epochs", Assert.Throws<ArgumentOutOfRangeException>(() => Walkthrough.BatchModes(-1, 1)).ParamName);
        Assert.Equal("seeds", Assert.Throws<ArgumentOutOfRangeException>(() => Walkthrough.BatchModeBands(3, 0)).ParamName);
    }
}
