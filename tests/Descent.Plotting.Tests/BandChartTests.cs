namespace Descent.Plotting.Tests;

public class BandChartTests
{
    private static double[] Geometric(double start, double ratio, int n) =>
        Enumerable.Range(0, n).Select(k => start * Math.Pow(ratio, k)).ToArray();

    private static double[] Times(double[] values, double factor) => values.Select(v => v * factor).ToArray();

    private static Band Spread(string name, double[] middle, double factor) => new(name, Times(middle, 1 / factor), middle, Times(middle, factor));

    [Fact]
    public void Bands_with_log_scale_writes_png_and_svg()
    {
        string folder = Gallery.Folder("bands");
        double[] batch = Geometric(10, 0.64, 21), stochastic = [.. Geometric(10, 0.3, 8), .. Enumerable.Repeat(3e-3, 13)];
        Band[] bands = [Spread("batch", batch, 1), Spread("stochastic", stochastic, 3), Spread("mini-batch", Geometric(10, 0.4, 21), 1.5)];

        ChartFiles files = Charts.Bands(Path.Combine(folder, "batch-modes"), "Excess loss over 8 seeds", bands, "epoch", "loss − minimum");

        ImageChecks.AssertPng(files.PngPath, 900, 560);
        Assert.InRange(new FileInfo(files.PngPath).Length, 10_000, 2_000_000);
        Assert.InRange(new FileInfo(files.SvgPath).Length, 2_000, 2_000_000);
        ImageChecks.AssertSvgContains(files.SvgPath, "Excess loss over 8 seeds", "loss − minimum (log scale)", "epoch", "batch", "stochastic", "mini-batch");
    }

    [Fact]
    public void The_band_between_low_and_high_is_shaded()
    {
        string folder = Gallery.Folder("bands");
        double[] middle = Geometric(100, 0.8, 30);
        ChartFiles thin = Charts.Bands(Path.Combine(folder, "thin"), "t", [Spread("adam", middle, 1)]);
        ChartFiles wide = Charts.Bands(Path.Combine(folder, "wide"), "t", [Spread("adam", middle, 8)]);

        double thinInk = PngPixels.InkFraction(thin.PngPath), wideInk = PngPixels.InkFraction(wide.PngPath);
        Assert.True(wideInk > thinInk + 0.05, $"a band from /8 to ×8 inks {wideInk:P1} of the image, a zero-width one {thinInk:P1}");
    }

    [Fact]
    public void Band_values_that_cannot_be_drawn_leave_gaps()
    {
        string folder = Gallery.Folder("bands");
        Band broken = new("gd", [1, 0.5, -1, 0.2, 0.1], [2, 1, 0.5, double.NaN, 0.2], [3, 2, 1, 0.5, 0.3]);
        ChartFiles files = Charts.Bands(Path.Combine(folder, "gaps"), "Gaps", [broken]);
        ChartFiles linear = Charts.Bands(Path.Combine(folder, "gaps-linear"), "Gaps, linear", [broken], logY: false);

        ImageChecks.AssertPng(files.PngPath, 900, 560);
        ImageChecks.AssertPng(linear.PngPath, 900, 560);
    }

    [Fact]
    public void Band_chart_arguments_are_validated()
    {
        string path = Path.Combine(Gallery.Folder("errors"), "bands");
        var ex = Assert.Throws<ArgumentException>(() => Charts.Bands(path, "t", [new Band("gd", [1, 2], [1, 2, 3], [1, 2, 3])]));
        Assert.Contains("band 'gd' has 2 low, 3 middle, 3 high values", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => Charts.Bands(path, "t", [new Band("gd", [1], [1], [1], Xs: [0, 1])]));
        Assert.Contains("and 2 xs", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Charts.Bands(path, "t", [null!]));
    }
}
