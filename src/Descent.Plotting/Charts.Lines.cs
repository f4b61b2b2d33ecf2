using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Descent.Plotting;

public static partial class Charts
{
    /// <summary>
    /// A line chart of several series, e.g. loss or gradient norm per iteration, train and test curves per epoch,
    /// learning-rate schedules. On a log axis, non-positive values leave gaps; non-finite values always do.
    /// </summary>
    /// <param name="path">Where to write; ".png" and ".svg" are appended to the path without its extension.</param>
    /// <param name="title">The chart's title.</param>
    /// <param name="series">The lines, in legend order; optimizer names get their palette colour.</param>
    /// <param name="xLabel">Horizontal axis label.</param>
    /// <param name="yLabel">Vertical axis label (" (log scale)" is appended when <paramref name="logY"/>).</param>
    /// <param name="logY">Draw the y axis in powers of ten.</param>
    /// <param name="size">Pixel size; <see cref="ChartSize.Line"/> when <see langword="null"/>.</param>
    /// <returns>The two files written.</returns>
    public static ChartFiles Lines(
        string path,
        string title,
        IReadOnlyList<Series> series,
        string xLabel = "iteration",
        string yLabel = "value",
        bool logY = false,
        ChartSize? size = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        (Plot plot, ChartSize pixels) = NewLineLike(title, xLabel, yLabel, logY, size);
        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        for (int i = 0; i < series.Count; i++)
        {
            Series s = series[i] ?? throw new ArgumentException($"series[{i}] is null", nameof(series));
            Color color = ChartCanvas.ColorOf(s.Name, s.Color, i);
            bool named = false;
            foreach ((double[] xs, double[] ys) in Segments(s, logY, i))
            {
                var line = plot.Add.ScatterLine(xs, ys, color);
                line.LineWidth = 2.2f;
                line.LinePattern = s.Dashed ? LinePattern.Dashed : LinePattern.Solid;
                line.MarkerSize = s.Values.Length <= 30 ? 6 : 0;
                line.MarkerShape = MarkerShape.FilledCircle;
                if (!named)
                {
                    line.LegendText = s.Name;
                    named = true;
                }

                low = Math.Min(low, ys.Min());
                high = Math.Max(high, ys.Max());
            }
        }

        return SaveLineLike(plot, path, pixels, logY ? high - low : double.NaN, series.Select(s => s.Xs), series.Count);
    }

    /// <summary>A plot for a line or band chart: " (log scale)" appended to the y label when <paramref name="logY"/>, the size checked.</summary>
    private static (Plot Plot, ChartSize Pixels) NewLineLike(string title, string xLabel, string yLabel, bool logY, ChartSize? size)
    {
        ArgumentNullException.ThrowIfNull(yLabel);
        ChartSize pixels = size ?? ChartSize.Line;
        ChartCanvas.Validate(pixels);
        return (ChartCanvas.NewPlot(title, xLabel, logY ? yLabel + " (log scale)" : yLabel), pixels);
    }

    /// <summary>
    /// What a line chart and a band chart share once their data is drawn: log ticks over <paramref name="decades"/>
    /// (NaN on a linear axis, or when nothing was drawn), whole-number x ticks when every x is whole, margins, the
    /// legend (to the right beyond six items), and the files.
    /// </summary>
    private static ChartFiles SaveLineLike(Plot plot, string path, ChartSize pixels, double decades, IEnumerable<double[]?> xs, int items)
    {
        if (decades >= 0)
        {
            UseLogTicks(plot, decades);
        }

        // Iterations and epochs are whole numbers: no ticks at 2.5 epochs.
        if (xs.All(x => x is null || x.All(v => !double.IsFinite(v) || v == Math.Round(v))))
        {
            plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        }

        plot.Axes.Margins(horizontal: 0.02, vertical: 0.08);
        ChartCanvas.ShowLegend(plot, items > 6 ? Edge.Right : Edge.Bottom);
        return ChartCanvas.Save(plot, path, pixels);
    }

    /// <summary>The runs of consecutive drawable points of a series (log10 of the values on a log axis).</summary>
    private static IEnumerable<(double[] Xs, double[] Ys)> Segments(Series s, bool logY, int index)
    {
        ArgumentNullException.ThrowIfNull(s.Name, $"series[{index}].Name");
        ArgumentNullException.ThrowIfNull(s.Values, $"series[{index}].Values");
        if (s.Xs is not null && s.Xs.Length != s.Values.Length)
        {
            throw new ArgumentException(
                $"series '{s.Name}' has {s.Xs.Length} xs but {s.Values.Length} values", "series");
        }

        var xs = new List<double>();
        var ys = new List<double>();
        for (int k = 0; k <= s.Values.Length; k++)
        {
            double x = k < s.Values.Length ? (s.Xs?[k] ?? k) : double.NaN;
            double y = k < s.Values.Length ? s.Values[k] : double.NaN;
            if (logY)
            {
                y = y > 0 ? Math.Log10(y) : double.NaN;
            }

            if (double.IsFinite(x) && double.IsFinite(y))
            {
                xs.Add(x);
                ys.Add(y);
                continue;
            }

            if (xs.Count > 0)
            {
                yield return (xs.ToArray(), ys.ToArray());
                xs.Clear();
                ys.Clear();
            }
        }
    }

    /// <summary>Ticks at powers of ten labelled with their value (1e-6 … 0.01 … 1000 … 1e+09), minor ticks between.</summary>
    private static void UseLogTicks(Plot plot, double decades)
    {
        plot.Axes.Left.TickGenerator = new NumericAutomatic
        {
            MinorTickGenerator = new LogMinorTickGenerator(),
            IntegerTicksOnly = decades >= 2,
            LabelFormatter = PowerOfTen,
        };
    }

    private static string PowerOfTen(double exponent)
    {
        double value = Math.Pow(10, exponent);
        return Math.Abs(exponent) <= 3
            ? value.ToString("0.###", CultureInfo.InvariantCulture)
            : value.ToString("0.#e+0", CultureInfo.InvariantCulture);
    }
}
