using ScottPlot;

namespace Descent.Plotting;

public static partial class Charts
{
    /// <summary>
    /// Several runs on one curve f(x), e.g. plain descent stuck in a local minimum beside momentum rolling through:
    /// the curve, and for each run its iterates on the curve joined in order, from an open circle (start) to a
    /// filled circle (end), in the run's colour.
    /// </summary>
    /// <param name="path">Where to write; ".png" and ".svg" are appended to the path without its extension.</param>
    /// <param name="title">The chart's title.</param>
    /// <param name="f">The function.</param>
    /// <param name="walks">The runs, in legend order.</param>
    /// <param name="xMin">Left end of the x axis.</param>
    /// <param name="xMax">Right end of the x axis.</param>
    /// <param name="curveLabel">Legend text of the curve.</param>
    /// <param name="xLabel">Horizontal axis label.</param>
    /// <param name="yLabel">Vertical axis label.</param>
    /// <param name="size">Pixel size; <see cref="ChartSize.Line"/> when <see langword="null"/>.</param>
    /// <returns>The two files written.</returns>
    public static ChartFiles CurveWalks(
        string path,
        string title,
        Func<double, double> f,
        IReadOnlyList<Walk> walks,
        double xMin,
        double xMax,
        string curveLabel = "f(x)",
        string xLabel = "x",
        string yLabel = "f(x)",
        ChartSize? size = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(walks);
        var (plot, pixels, yLow, yHigh) = CurveChart(title, f, xMin, xMax, curveLabel, xLabel, yLabel, size);
        for (int i = 0; i < walks.Count; i++)
        {
            Walk walk = walks[i] ?? throw new ArgumentException($"walks[{i}] is null", nameof(walks));
            ArgumentNullException.ThrowIfNull(walk.Name, nameof(walks));
            ArgumentNullException.ThrowIfNull(walk.Xs, nameof(walks));
            double[] xs = walk.Xs.Where(x => double.IsFinite(x) && x >= xMin && x <= xMax).ToArray();
            if (xs.Length == 0)
            {
                continue;
            }

            Color color = ChartCanvas.ColorOf(walk.Name, walk.Color, i);
            double[] ys = xs.Select(f).ToArray();
            var line = plot.Add.ScatterLine(xs, ys, color.WithAlpha(0.85));
            line.LineWidth = 1.5f;
            line.MarkerShape = MarkerShape.FilledCircle;
            line.MarkerSize = 5;
            line.LegendText = walk.Name;
            var start = plot.Add.Marker(xs[0], ys[0], MarkerShape.OpenCircle, 13, color);
            start.LineWidth = 2.5f;
            plot.Add.Marker(xs[^1], ys[^1], MarkerShape.FilledCircle, 11, color);
        }

        double yRange = Math.Max(yHigh - yLow, 1e-12);
        plot.Axes.SetLimits(xMin, xMax, yLow - 0.08 * yRange, yHigh + 0.12 * yRange);
        if (walks.Count > 0)
        {
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = "start", MarkerShape = MarkerShape.OpenCircle, MarkerSize = 12, MarkerLineWidth = 2,
                MarkerColor = Neutral,
            });
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = "end", MarkerShape = MarkerShape.FilledCircle, MarkerSize = 10, MarkerColor = Neutral,
            });
        }

        ChartCanvas.ShowLegend(plot, Alignment.UpperCenter);
        return ChartCanvas.Save(plot, path, pixels);
    }
}
