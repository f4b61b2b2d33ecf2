using ScottPlot;

namespace Descent.Plotting;

public static partial class Charts
{
    /// <summary>
    /// Theory over practice on a landscape: each prediction (a closed form) drawn as a line from an open circle to a
    /// filled one, and each measured run as a dot per iterate on top of it, so that every dot sitting on its line shows
    /// the two agree step by step. Runs leaving the box are clipped at its edge.
    /// </summary>
    /// <param name="path">Where to write; ".png" and ".svg" are appended to the path without its extension.</param>
    /// <param name="title">The chart's title.</param>
    /// <param name="f">The function, evaluated on a 160×160 grid (non-finite values are drawn as the largest finite one).</param>
    /// <param name="box">The region drawn.</param>
    /// <param name="predictions">The predicted paths, drawn as lines, in legend order.</param>
    /// <param name="measured">The measured iterates, drawn as dots, in legend order after the lines.</param>
    /// <param name="minima">Known minima to mark, or <see langword="null"/>.</param>
    /// <param name="logLevels">Colour and contour log10(f − min f) instead of f.</param>
    /// <param name="levels">Number of contour lines (2 to 100).</param>
    /// <param name="xLabel">Horizontal axis label.</param>
    /// <param name="yLabel">Vertical axis label.</param>
    /// <param name="size">Pixel size; <see cref="ChartSize.Contour"/> when <see langword="null"/>.</param>
    /// <returns>The two files written.</returns>
    public static ChartFiles TheoryOverPractice(
        string path,
        string title,
        Func<double, double, double> f,
        PlotBox box,
        IReadOnlyList<Trajectory> predictions,
        IReadOnlyList<Trajectory> measured,
        IReadOnlyList<Point2>? minima = null,
        bool logLevels = false,
        int levels = 20,
        string xLabel = "x",
        string yLabel = "y",
        ChartSize? size = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(measured);
        Plot plot = LandscapePlot(title, f, box, logLevels, levels, xLabel, yLabel, size ?? ChartSize.Contour);
        DrawMinima(plot, minima);
        for (int i = 0; i < predictions.Count; i++)
        {
            Trajectory t = predictions[i];
            DrawTrajectory(plot, t, box, ChartCanvas.ColorOf(t.Name, t.Color, i), nameof(predictions));
        }

        for (int i = 0; i < measured.Count; i++)
        {
            Trajectory t = measured[i];
            DrawIterates(plot, t, box, ChartCanvas.ColorOf(t.Name, t.Color, predictions.Count + i), nameof(measured));
        }

        FinishLandscape(plot, minima, predictions.Count > 0);
        return ChartCanvas.Save(plot, path, size ?? ChartSize.Contour);
    }

    /// <summary>One dot per iterate, white-rimmed so that it reads over a line of any colour.</summary>
    private static void DrawIterates(Plot plot, Trajectory t, PlotBox box, Color color, string paramName)
    {
        (double[] xs, double[] ys) = PathGeometry.Drawable(t, box, paramName);
        if (xs.Length == 0)
        {
            return;
        }

        var dots = plot.Add.Markers(xs, ys, MarkerShape.FilledCircle, 7, color);
        dots.MarkerStyle.OutlineColor = Colors.White;
        dots.MarkerStyle.OutlineWidth = 1;
        dots.LegendText = t.Name;
    }
}
