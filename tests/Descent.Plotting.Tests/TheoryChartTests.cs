namespace Descent.Plotting.Tests;

public class TheoryChartTests
{
    [Fact]
    public void TheoryOverPractice_draws_lines_and_dots_with_their_legend()
    {
        string folder = Gallery.Folder("theory");
        var box = new PlotBox(-5, 5, -5, 5);
        double[] ts = [.. Enumerable.Range(0, 40).Select(t => (double)t)];
        var theory = new Trajectory("closed form", [.. ts.Select(t => -4 * Math.Pow(0.9, t))], [.. ts.Select(t => 2 * Math.Pow(-0.8, t))], "#1F77B4");
        var practice = new Trajectory("Descent's SGD", theory.Xs, theory.Ys, "#D62728");
        var diverging = new Trajectory("diverging", [-4, 8, -16, 32, 1e300], [2, -4, 8, -16, double.NaN]);
        ChartFiles files = Charts.TheoryOverPractice(
            Path.Combine(folder, "quadratic"), "Theory over practice", (x, y) => 0.5 * (x * x + 100 * y * y), box,
            [theory], [practice, diverging], [new Point2(0, 0)], logLevels: true);

        ImageChecks.AssertPng(files.PngPath, 960, 760);
        ImageChecks.AssertSvgContains(files.SvgPath, "Theory over practice", "closed form", "Descent's SGD", "diverging", "known minimum");
    }

    [Fact]
    public void TheoryOverPractice_names_a_mismatched_run()
    {
        var bad = new Trajectory("bad", [0, 1], [0]);
        var e = Assert.Throws<ArgumentException>(() => Charts.TheoryOverPractice(
            Path.Combine(Gallery.Folder("theory"), "bad"), "t", (x, y) => x * x + y * y, new PlotBox(-1, 1, -1, 1), [], [bad]));
        Assert.Equal("measured", e.ParamName);
    }
}
