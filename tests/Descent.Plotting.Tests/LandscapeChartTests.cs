namespace Descent.Plotting.Tests;

public class LandscapeChartTests
{
    private static readonly PlotBox BowlBox = new(-3, 3, -1, 3);

    [Fact]
    public void Contour_writes_png_and_svg_with_title()
    {
        string folder = Gallery.Folder("contour");
        Trajectory[] runs =
        [
            Landscapes.Descend("GD", 0.05, 60),
            Landscapes.Descend("Momentum", 0.2, 12, -2.5, 2.5),
            Landscapes.Descend("Adam", 0.1, 30, 2.5, 0),
        ];
        ChartFiles files = Charts.Contour(
            Path.Combine(folder, "bowl"), "Bowl contour title", Landscapes.Bowl, BowlBox, runs, [new Point2(1, 2)]);

        ImageChecks.AssertPng(files.PngPath, 960, 760);
        ImageChecks.AssertSvgContains(files.SvgPath, "Bowl contour title", "GD", "Momentum", "Adam", "known minimum");
    }

    [Fact]
    public void Contour_with_log_levels_draws_rosenbrock()
    {
        string folder = Gallery.Folder("contour");
        var box = new PlotBox(-2, 2, -1, 3);
        var diverging = new Trajectory("RMSprop", [-1.5, 0, 1e3, double.NaN], [2, 1, 1e200, 5]);
        var gd = new Trajectory("GD", [-1.5, -1.2, -0.8, 0.2, 0.7, 1.0], [2, 1.5, 0.7, 0.0, 0.5, 1.0]);
        ChartFiles files = Charts.Contour(
            Path.Combine(folder, "rosenbrock.png"), "Rosenbrock", Landscapes.Rosenbrock, box, [gd, diverging],
            [new Point2(1, 1)], logLevels: true, levels: 25);

        Assert.EndsWith("rosenbrock.png", files.PngPath, StringComparison.Ordinal);
        Assert.EndsWith("rosenbrock.svg", files.SvgPath, StringComparison.Ordinal);
        ImageChecks.AssertPng(files.PngPath, 960, 760);
        ImageChecks.AssertSvgContains(files.SvgPath, "Rosenbrock", "log10");
    }

    [Fact]
    public void GradientField_writes_arrows_and_path()
    {
        string folder = Gallery.Folder("gradient");
        ChartFiles files = Charts.GradientField(
            Path.Combine(folder, "bowl-gradient"), "Gradient of the bowl", Landscapes.Bowl, BowlBox,
            Landscapes.BowlGradient, Landscapes.Descend("GD", 0.05, 40), [new Point2(1, 2)]);

        ImageChecks.AssertPng(files.PngPath, 960, 760);
        ImageChecks.AssertSvgContains(files.SvgPath, "Gradient of the bowl", "∇f");
    }

    [Fact]
    public void GradientField_without_gradient_uses_differences()
    {
        string folder = Gallery.Folder("gradient");
        ChartFiles files = Charts.GradientField(
            Path.Combine(folder, "himmelblau-gradient"), "Himmelblau", Landscapes.Himmelblau, new PlotBox(-5, 5, -5, 5),
            minima: [new Point2(3, 2), new Point2(-2.805118, 3.131312), new Point2(-3.779310, -3.283186), new Point2(3.584428, -1.848126)],
            logLevels: true, size: new ChartSize(800, 700));

        ImageChecks.AssertPng(files.PngPath, 800, 700);
    }

    [Fact]
    public void Bad_arguments_are_rejected_with_the_value()
    {
        string path = Path.Combine(Gallery.Folder("errors"), "x");
        var ex = Assert.Throws<ArgumentException>(() =>
            Charts.Contour(path, "t", Landscapes.Bowl, new PlotBox(1, 1, 0, 1), []));
        Assert.Contains("XMin < XMax", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Charts.Contour(path, "t", Landscapes.Bowl, BowlBox, [], levels: 1));
        Assert.Throws<ArgumentException>(() =>
            Charts.Contour(path, "t", Landscapes.Bowl, BowlBox, [new Trajectory("GD", [0, 1], [0])]));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Charts.GradientField(path, "t", Landscapes.Bowl, BowlBox, arrowsPerSide: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Charts.Contour(path, "t", Landscapes.Bowl, BowlBox, [], size: new ChartSize(10, 10)));
    }
}
