using ScottPlot;

namespace Descent.Plotting;

public static partial class Charts
{
    /// <summary>
    /// A band chart: per series a shaded range between its low and high values and a line through its middle ones,
    /// e.g. the min–max over several seeds and the median. A point is drawn only where low, middle and high are all
    /// drawable (finite, and positive on a log axis); the band and the line break where one is not.
    /// </summary>
    /// <param name="path">Where to write; ".png" and ".svg" are appended to the path without its extension.</param>
    /// <param name="title">The chart's title.</param>
    /// <param name="bands">The series, in legend order; optimizer names get their palette colour.</param>
    /// <param name="xLabel">Horizontal axis label.</param>
    /// <param name="yLabel">Vertical axis label (" (log scale)" is appended when <paramref name="logY"/>).</param>
    /// <param name="logY">Draw the y axis in powers of ten.</param>
    /// <param name="size">Pixel size; <see cref="ChartSize.Line"/> when <see langword="null"/>.</param>
    /// <returns>The two files written.</returns>
    public static ChartFiles Bands(
        string path,
        string title,
        IReadOnlyList<Band> bands,
        string xLabel = "iteration",
        string yLabel = "value",
        bool logY = true,
        ChartSize? size = null)
    {
        ArgumentNullException.ThrowIfNull(bands);
        (Plot plot, ChartSize pixels) = NewLineLike(title, xLabel, yLabel, logY, size);
        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        for (int i = 0; i < bands.Count; i++)
        {
            Band band = bands[i] ?? throw new ArgumentException($"bands[{i}] is null", nameof(bands));
            Color color = ChartCanvas.ColorOf(band.Name, band.Color, i);
            bool named = false;
            foreach ((double[] xs, double[] lows, double[] mids, double[] highs) in BandSegments(band, logY, i))
            {
                var fill = plot.Add.FillY(xs, lows, highs);
                fill.FillColor = color.WithAlpha(0.25);
                fill.LineWidth = 0;
                var line = plot.Add.ScatterLine(xs, mids, color);
                line.LineWidth = 2.2f;
                line.MarkerSize = band.Middle.Length <= 30 ? 5 : 0;
                line.MarkerShape = MarkerShape.FilledCircle;
                if (!named)
                {
                    line.LegendText = band.Name;
                    named = true;
                }

                low = Math.Min(low, lows.Min());
                high = Math.Max(high, highs.Max());
            }
        }

        return SaveLineLike(plot, path, pixels, logY ? high - low : double.NaN, bands.Select(b => b.Xs), bands.Count);
    }

    /// <summary>The runs of consecutive points of a band where low, middle and high are all drawable (log10 of them on a log axis).</summary>
    private static IEnumerable<(double[] Xs, double[] Low, double[] Middle, double[] High)> BandSegments(Band band, bool logY, int index)
    {
        ArgumentNullException.ThrowIfNull(band.Name, $"bands[{index}].Name");
        ArgumentNullException.ThrowIfNull(band.Low, $"bands[{index}].Low");
        ArgumentNullException.ThrowIfNull(band.Middle, $"bands[{index}].Middle");
        ArgumentNullException.ThrowIfNull(band.High, $"bands[{index}].High");
        int n = band.Middle.Length;
        if (band.Low.Length != n || band.High.Length != n || (band.Xs is not null && band.Xs.Length != n))
        {
            throw new ArgumentException(
                $"band '{band.Name}' has {band.Low.Length} low, {n} middle, {band.High.Length} high values" +
                (band.Xs is null ? "" : $" and {band.Xs.Length} xs") + "; they must be as many", "bands");
        }

        double Y(double v) => logY ? (v > 0 ? Math.Log10(v) : double.NaN) : v;
        var points = new List<(double X, double Low, double Middle, double High)>();
        for (int k = 0; k <= n; k++)
        {
            var p = k < n ? (band.Xs?[k] ?? k, Y(band.Low[k]), Y(band.Middle[k]), Y(band.High[k])) : (double.NaN, double.NaN, double.NaN, double.NaN);
            if (double.IsFinite(p.Item1) && double.IsFinite(p.Item2) && double.IsFinite(p.Item3) && double.IsFinite(p.Item4))
            {
                points.Add(p);
                continue;
            }

            if (points.Count > 0)
            {
                yield return ([.. points.Select(q => q.X)], [.. points.Select(q => q.Low)], [.. points.Select(q => q.Middle)], [.. points.Select(q => q.High)]);
                points.Clear();
            }
        }
    }
}
