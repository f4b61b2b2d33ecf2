namespace Descent.Plotting.Tests;

public class LineChartTests
{
    private static double[] Geometric(double start, double ratio, int n) =>
        Enumerable.Range(0, n).Select(k => start * Math.Pow(ratio, k)).ToArray();

    [Fact]
    public void Lines_with_log_scale_writes_png_and_svg()
    {
        string folder = Gallery.Folder("lines");
        Series[] series =
        [
            new("GD", Geometric(10, 0.97, 200)),
            new("Momentum", Geometric(10, 0.9, 200)),
            new("Adam", Geometric(10, 0.8, 200)),
            new("RMSprop", [.. Geometric(10, 0.95, 100), double.NaN, .. Geometric(0.05, 0.9, 99)]),
        ];
        ChartFiles files = Charts.Lines(Path.Combine(folder, "loss"), "Loss per iteration", series, yLabel: "loss", logY: true);

        ImageChecks.AssertPng(files.PngPath, 900, 560);
        ImageChecks.AssertSvgContains(files.SvgPath, "Loss per iteration", "loss (log scale)", "GD", "Momentum", "Adam", "RMSprop");
    }

    [Fact]
    public void Lines_draws_train_and_test_curves_with_epochs()
    {
        string folder = Gallery.Folder("lines");
        double[] epochs = [1, 2, 3, 4, 5, 6, 7, 8];
        Series[] series =
        [
            new("Adam train", [0.9, 0.5, 0.35, 0.3, 0.26, 0.24, 0.22, 0.21], epochs),
            new("Adam test", [0.95, 0.6, 0.45, 0.4, 0.38, 0.37, 0.37, 0.38], epochs, Dashed: true),
            new("GD train", [1.2, 1.0, 0.85, 0.75, 0.66, 0.6, 0.55, 0.5], epochs),
            new("GD test", [1.25, 1.05, 0.9, 0.8, 0.72, 0.66, 0.6, 0.56], epochs, Dashed: true),
        ];
        ChartFiles files = Charts.Lines(Path.Combine(folder, "train-test"), "Training and test loss", series, "epoch", "cross-entropy");

        ImageChecks.AssertPng(files.PngPath, 900, 560);
        ImageChecks.AssertSvgContains(files.SvgPath, "Training and test loss", "epoch", "cross-entropy", "Adam test");
    }

    [Fact]
    public void Learning_rate_dilemma_as_lines_and_as_contour()
    {
        string folder = Gallery.Folder("dilemma");
        Trajectory[] runs =
        [
            Landscapes.Descend("lr = 0.01 (too small)", 0.01, 40),
            Landscapes.Descend("lr = 0.1 (about right)", 0.1, 40),
            Landscapes.Descend("lr = 0.26 (too large)", 0.26, 40),
        ];
        Series[] losses = runs
            .Select(r => new Series(r.Name, r.Xs.Zip(r.Ys, Landscapes.Bowl).ToArray()))
            .ToArray();

        ChartFiles lines = Charts.Lines(Path.Combine(folder, "dilemma-loss"), "The learning-rate dilemma", losses, yLabel: "f", logY: true);
        ChartFiles contour = Charts.Contour(
            Path.Combine(folder, "dilemma-paths"), "The learning-rate dilemma: paths", Landscapes.Bowl,
            new PlotBox(-3, 3, -1, 3), runs, [new Point2(1, 2)]);

        ImageChecks.AssertPng(lines.PngPath, 900, 560);
        ImageChecks.AssertPng(contour.PngPath, 960, 760);
        ImageChecks.AssertSvgContains(contour.SvgPath, "too small", "about right", "too large");
    }

    [Fact]
    public void TangentWalk_draws_curve_iterates_and_tangents()
    {
        string folder = Gallery.Folder("tangents");
        var iterates = new List<double> { 2.5 };
        for (int k = 0; k < 8; k++)
        {
            iterates.Add(iterates[^1] - 0.3 * 2 * iterates[^1]);
        }

        ChartFiles files = Charts.TangentWalk(
            Path.Combine(folder, "x-squared"), "Gradient descent on f(x) = x², lr = 0.3", x => x * x, x => 2 * x,
            iterates, -3, 3, curveLabel: "f(x) = x²");

        ImageChecks.AssertPng(files.PngPath, 900, 560);
        ImageChecks.AssertSvgContains(files.SvgPath, "f(x) = x², lr = 0.3", "x₀", "x₁", "tangent");
    }

    [Fact]
    public void Title_pixels_are_drawn_in_the_png()
    {
        string folder = Gallery.Folder("lines");
        ChartFiles with = Charts.Lines(Path.Combine(folder, "titled"), "A title that must be visible", [new Series("GD", [3, 2, 1])]);
        ChartFiles without = Charts.Lines(Path.Combine(folder, "untitled"), "", [new Series("GD", [3, 2, 1])]);

        int dark = PngPixels.DarkPixelsInBand(with.PngPath, top: 0, bottom: 40);
        Assert.True(dark > 200, $"only {dark} dark pixels in the title band");
        Assert.True(PngPixels.DarkPixelsInBand(without.PngPath, top: 0, bottom: 12) < 20);
    }

    [Fact]
    public void Charts_with_nothing_to_draw_still_have_title_and_axes()
    {
        string folder = Gallery.Folder("empty");
        ChartFiles lines = Charts.Lines(Path.Combine(folder, "nan"), "Only NaN", [new Series("Adam", [double.NaN, double.NaN])], logY: true);
        ChartFiles none = Charts.Lines(Path.Combine(folder, "none"), "No series", []);
        ChartFiles walks = Charts.CurveWalks(Path.Combine(folder, "walks"), "No walks", x => x * x, [], -1, 1);

        foreach (ChartFiles files in new[] { lines, none, walks })
        {
            ImageChecks.AssertPng(files.PngPath, 900, 560);
        }

        ImageChecks.AssertSvgContains(lines.SvgPath, "Only NaN");
        ImageChecks.AssertSvgContains(none.SvgPath, "No series");
    }

    [Fact]
    public void Line_chart_arguments_are_validated()
    {
        string path = Path.Combine(Gallery.Folder("errors"), "lines");
        var ex = Assert.Throws<ArgumentException>(() => Charts.Lines(path, "t", [new Series("GD", [1, 2], [0])]));
        Assert.Contains("1 xs but 2 values", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Charts.TangentWalk(path, "t", x => x, x => 1, [0.0], 1, 1));
        Assert.Throws<ArgumentException>(() => Charts.Lines("  ", "t", []));
    }
}

public class CurveWalkTests
{
    /// <summary>A tilted double well: a shallow local minimum near x = 1.1, the global one near x = −1.3.</summary>
    private static double Well(double x) => x * x * x * x - 3 * x * x + x;

    private static double WellSlope(double x) => 4 * x * x * x - 6 * x + 1;

    private static double[] Run(double lr, double momentum, int steps, double x)
    {
        var xs = new double[steps + 1];
        xs[0] = x;
        double v = 0;
        for (int k = 1; k <= steps; k++)
        {
            v = momentum * v + WellSlope(x);
            x -= lr * v;
            xs[k] = x;
        }

        return xs;
    }

    [Fact]
    public void CurveWalks_draws_each_run_on_the_curve()
    {
        string folder = Gallery.Folder("walks");
        Walk[] walks = [new("GD", Run(0.02, 0, 60, 2)), new("Momentum", Run(0.02, 0.9, 60, 2))];
        ChartFiles files = Charts.CurveWalks(
            Path.Combine(folder, "local-minimum"), "Stuck in a local minimum, or rolling through", Well, walks, -2.2, 2.2,
            curveLabel: "f(x) = x⁴ − 3x² + x");

        ImageChecks.AssertPng(files.PngPath, 900, 560);
        ImageChecks.AssertSvgContains(files.SvgPath, "Stuck in a local minimum", "GD", "Momentum", "start", "end");
        Assert.Contains($"stroke=\"{OptimizerPalette.TryGetHex("Momentum")}", File.ReadAllText(files.SvgPath), StringComparison.OrdinalIgnoreCase);
        Assert.Throws<ArgumentException>(() => Charts.CurveWalks(files.PngPath, "t", Well, walks, 2, -2));
    }
}

public class ConcurrencyTests
{
    [Fact]
    public void Charts_can_be_drawn_from_several_threads()
    {
        string folder = Gallery.Folder("parallel");
        ChartFiles[] files = Enumerable.Range(0, 6).AsParallel().Select(i => i % 2 == 0
            ? Charts.Lines(Path.Combine(folder, $"lines-{i}"), $"Chart {i}", [new Series("Adam", [3, 2, 1.0 / (i + 1)])])
            : Charts.Contour(Path.Combine(folder, $"contour-{i}"), $"Chart {i}", Landscapes.Bowl, new PlotBox(-3, 3, -1, 3), [])).ToArray();

        for (int i = 0; i < files.Length; i++)
        {
            ImageChecks.AssertSvgContains(files[i].SvgPath, $"Chart {i}");
            ImageChecks.AssertPng(files[i].PngPath, i % 2 == 0 ? 900 : 960, i % 2 == 0 ? 560 : 760);
        }
    }
}
