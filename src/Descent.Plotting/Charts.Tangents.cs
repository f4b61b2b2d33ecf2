using System.Globalization;
using ScottPlot;

namespace Descent.Plotting;

public static partial class Charts
{
    // Mid grey, so that the curve never reads as GD's near-black path drawn on it.
    /// <summary>
    /// A line chart with f drawn over [xMin, xMax] (the x range checked first); returns it with the pixel size and
    /// f's finite range there, which callers use for the axis limits.
    /// </summary>
    private static (Plot Plot, ChartSize Pixels, double YLow, double YHigh) CurveChart(
        string title, Func<double, double> f, double xMin, double xMax, string curveLabel, string xLabel, string yLabel, ChartSize? size)
    {
        if (!(double.IsFinite(xMin) && double.IsFinite(xMax) && xMin < xMax))
        {
            throw new ArgumentException($"x range must be finite with xMin < xMax, got [{xMin}, {xMax}]", nameof(xMin));
        }

        ChartSize pixels = size ?? ChartSize.Line;
        ChartCanvas.Validate(pixels);
        Plot plot = ChartCanvas.NewPlot(title, xLabel, yLabel);
        const int samples = 400;
        double[] cx = Enumerable.Range(0, samples).Select(i => xMin + (xMax - xMin) * i / (samples - 1)).ToArray();
        double[] cy = cx.Select(f).ToArray();
        double[] finite = cy.Where(double.IsFinite).ToArray();
        if (finite.Length == 0)
        {
            throw new ArgumentException("f has no finite value on [xMin, xMax]", nameof(f));
        }

        var curve = plot.Add.ScatterLine(cx, cy, CurveColor);
        curve.LineWidth = 2.5f;
        curve.LegendText = curveLabel;
        return (plot, pixels, finite.Min(), finite.Max());
    }

    private static readonly Color CurveColor = Color.FromHex("#9A9A9A");
    private static readonly Color IterateColor = Color.FromHex("#E15759");
    private static readonly Color TangentColor = Color.FromHex("#4E79A7");

    /// <summary>
    /// The one-variable walk-through: the curve f over [xMin, xMax], each iterate x_k as a point on it (labelled
    /// x₀, x₁, … for the first ones), the tangent at each iterate (its slope is f′(x_k), the gradient), and dotted
    /// steps from one iterate to the next. Iterates outside [xMin, xMax] are not drawn.
    /// </summary>
    /// <param name="path">Where to write; ".png" and ".svg" are appended to the path without its extension.</param>
    /// <param name="title">The chart's title.</param>
    /// <param name="f">The function, e.g. x ↦ x².</param>
    /// <param name="derivative">Its derivative, the slope of each tangent.</param>
    /// <param name="iterates">x₀, x₁, … as produced by gradient descent.</param>
    /// <param name="xMin">Left end of the x axis.</param>
    /// <param name="xMax">Right end of the x axis.</param>
    /// <param name="curveLabel">Legend text of the curve, e.g. "f(x) = x²".</param>
    /// <param name="xLabel">Horizontal axis label.</param>
    /// <param name="yLabel">Vertical axis label.</param>
    /// <param name="size">Pixel size; <see cref="ChartSize.Line"/> when <see langword="null"/>.</param>
    /// <returns>The two files written.</returns>
    public static ChartFiles TangentWalk(
        string path,
        string title,
        Func<double, double> f,
        Func<double, double> derivative,
        IReadOnlyList<double> iterates,
        double xMin,
        double xMax,
        string curveLabel = "f(x)",
        string xLabel = "x",
        string yLabel = "f(x)",
        ChartSize? size = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(derivative);
        ArgumentNullException.ThrowIfNull(iterates);
        var (plot, pixels, yLow, yHigh) = CurveChart(title, f, xMin, xMax, curveLabel, xLabel, yLabel, size);
        double yRange = Math.Max(yHigh - yLow, 1e-12);

        double[] shown = iterates.Where(x => double.IsFinite(x) && x >= xMin && x <= xMax).ToArray();
        DrawSteps(plot, shown, f);
        DrawTangents(plot, shown, f, derivative, xMax - xMin, yRange);
        DrawIterates(plot, iterates, f, xMin, xMax, yRange);

        plot.Axes.SetLimits(xMin, xMax, yLow - 0.08 * yRange, yHigh + 0.12 * yRange);
        ChartCanvas.ShowLegend(plot, Alignment.UpperCenter);
        return ChartCanvas.Save(plot, path, pixels);
    }

    private static void DrawSteps(Plot plot, double[] xs, Func<double, double> f)
    {
        for (int k = 0; k + 1 < xs.Length; k++)
        {
            var step = plot.Add.Line(xs[k], f(xs[k]), xs[k + 1], f(xs[k + 1]));
            step.LineColor = IterateColor.WithAlpha(0.6);
            step.LineWidth = 1.2f;
            step.LinePattern = LinePattern.Dotted;
        }
    }

    /// <summary>Tangent segments of equal length on screen, whatever their slope.</summary>
    private static void DrawTangents(
        Plot plot, double[] xs, Func<double, double> f, Func<double, double> derivative, double xRange, double yRange)
    {
        bool named = false;
        foreach (double x in xs)
        {
            double slope = derivative(x), y = f(x);
            if (!double.IsFinite(slope) || !double.IsFinite(y))
            {
                continue;
            }

            double screenSlope = slope * xRange / yRange;
            double half = 0.09 * xRange / Math.Sqrt(1 + screenSlope * screenSlope);
            var tangent = plot.Add.Line(x - half, y - slope * half, x + half, y + slope * half);
            tangent.LineColor = TangentColor;
            tangent.LineWidth = 2f;
            if (!named)
            {
                tangent.LegendText = "tangent, slope f′(xₖ)";
                named = true;
            }
        }
    }

    private static void DrawIterates(
        Plot plot, IReadOnlyList<double> iterates, Func<double, double> f, double xMin, double xMax, double yRange)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        var labelled = new List<(double X, double Y)>();
        for (int k = 0; k < iterates.Count; k++)
        {
            double x = iterates[k];
            if (!double.IsFinite(x) || x < xMin || x > xMax)
            {
                continue;
            }

            xs.Add(x);
            ys.Add(f(x));
            // Label an iterate unless it sits on one already labelled (as they crowd near the minimum).
            double u = (x - xMin) / (xMax - xMin), v = f(x) / yRange;
            if (labelled.TrueForAll(p => Math.Abs(p.X - u) > 0.04 || Math.Abs(p.Y - v) > 0.06))
            {
                labelled.Add((u, v));
                var label = plot.Add.Text("x" + Subscript(k), x, f(x));
                label.LabelFontName = ChartFonts.Family;
                label.LabelFontSize = 14;
                label.LabelFontColor = IterateColor;
                label.LabelBold = true;
                label.LabelAlignment = Alignment.LowerLeft;
                label.LabelOffsetX = 6;
                label.LabelOffsetY = -4;
            }
        }

        if (xs.Count > 0)
        {
            var points = plot.Add.Markers(xs.ToArray(), ys.ToArray(), MarkerShape.FilledCircle, 10, IterateColor);
            points.LegendText = "iterates xₖ";
        }
    }

    private static string Subscript(int k) =>
        string.Concat(k.ToString(CultureInfo.InvariantCulture).Select(d => (char)('₀' + (d - '0'))));
}
