using ScottPlot;

namespace Descent.Plotting;

/// <summary>Chart functions: each takes plain data, writes a PNG and an SVG, and returns their paths.</summary>
public static partial class Charts
{
    private static readonly Color MinimumFill = Colors.White;
    private static readonly Color Neutral = Color.FromHex("#555555");
    private static readonly Color ArrowColor = Color.FromHex("#3A3A3A");

    /// <summary>
    /// A filled contour plot of <paramref name="f"/> over <paramref name="box"/> with each trajectory drawn as a line
    /// from an open circle (start) to a filled circle (end), and the known minima as white diamonds.
    /// </summary>
    /// <param name="path">Where to write; ".png" and ".svg" are appended to the path without its extension.</param>
    /// <param name="title">The chart's title.</param>
    /// <param name="f">The function, evaluated on a 160×160 grid (non-finite values are drawn as the largest finite one).</param>
    /// <param name="box">The region drawn; trajectories leaving it are clipped at its edge.</param>
    /// <param name="trajectories">The runs to draw, in legend order.</param>
    /// <param name="minima">Known minima to mark, or <see langword="null"/>.</param>
    /// <param name="logLevels">Colour and contour log10(f − min f) instead of f (for Rosenbrock-like valleys).</param>
    /// <param name="levels">Number of contour lines (2 to 100).</param>
    /// <param name="xLabel">Horizontal axis label.</param>
    /// <param name="yLabel">Vertical axis label.</param>
    /// <param name="size">Pixel size; <see cref="ChartSize.Contour"/> when <see langword="null"/>.</param>
    /// <returns>The two files written.</returns>
    public static ChartFiles Contour(
        string path,
        string title,
        Func<double, double, double> f,
        PlotBox box,
        IReadOnlyList<Trajectory> trajectories,
        IReadOnlyList<Point2>? minima = null,
        bool logLevels = false,
        int levels = 20,
        string xLabel = "x",
        string yLabel = "y",
        ChartSize? size = null)
    {
        ArgumentNullException.ThrowIfNull(trajectories);
        Plot plot = LandscapePlot(title, f, box, logLevels, levels, xLabel, yLabel, size ?? ChartSize.Contour);
        DrawMinima(plot, minima);
        for (int i = 0; i < trajectories.Count; i++)
        {
            Trajectory t = trajectories[i];
            DrawTrajectory(plot, t, box, ChartCanvas.ColorOf(t.Name, t.Color, i), nameof(trajectories));
        }

        FinishLandscape(plot, minima, trajectories.Count > 0);
        return ChartCanvas.Save(plot, path, size ?? ChartSize.Contour);
    }

    /// <summary>
    /// The gradient as a field of arrows over the contour lines of <paramref name="f"/>: each arrow points along
    /// ∇f (uphill, perpendicular to the level set through its tail; all arrows drawn the same length so the
    /// direction reads everywhere), with one descent path, which runs against the arrows. Axes use equal units so
    /// right angles look right.
    /// </summary>
    /// <param name="path">Where to write; ".png" and ".svg" are appended to the path without its extension.</param>
    /// <param name="title">The chart's title.</param>
    /// <param name="f">The function.</param>
    /// <param name="box">The region drawn.</param>
    /// <param name="gradient">∇f at (x, y), or <see langword="null"/> to use central differences of <paramref name="f"/>.</param>
    /// <param name="descent">A descent path to draw, or <see langword="null"/>.</param>
    /// <param name="minima">Known minima to mark, or <see langword="null"/>.</param>
    /// <param name="logLevels">Colour and contour log10(f − min f) instead of f.</param>
    /// <param name="levels">Number of contour lines (2 to 100).</param>
    /// <param name="arrowsPerSide">Arrows along each side of the grid (3 to 60).</param>
    /// <param name="xLabel">Horizontal axis label.</param>
    /// <param name="yLabel">Vertical axis label.</param>
    /// <param name="size">Pixel size; <see cref="ChartSize.Contour"/> when <see langword="null"/>.</param>
    /// <returns>The two files written.</returns>
    public static ChartFiles GradientField(
        string path,
        string title,
        Func<double, double, double> f,
        PlotBox box,
        Func<double, double, (double Dx, double Dy)>? gradient = null,
        Trajectory? descent = null,
        IReadOnlyList<Point2>? minima = null,
        bool logLevels = false,
        int levels = 20,
        int arrowsPerSide = 15,
        string xLabel = "x",
        string yLabel = "y",
        ChartSize? size = null)
    {
        if (arrowsPerSide is < 3 or > 60)
        {
            throw new ArgumentOutOfRangeException(nameof(arrowsPerSide), $"arrowsPerSide must be in [3, 60], got {arrowsPerSide}");
        }

        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(box);
        box.Validate(nameof(box));
        ChartSize pixels = size ?? ChartSize.Contour;
        gradient ??= CentralDifference(f, box);
        Plot Build(PlotBox drawn)
        {
            Plot plot = LandscapePlot(title, f, drawn, logLevels, levels, xLabel, yLabel, pixels);
            DrawArrows(plot, gradient, drawn, arrowsPerSide);
            DrawMinima(plot, minima);
            if (descent is not null)
            {
                DrawTrajectory(plot, descent, drawn, ChartCanvas.ColorOf(descent.Name, descent.Color, 0), nameof(descent));
            }

            FinishLandscape(plot, minima, descent is not null);
            return plot;
        }

        // Arrows are perpendicular to level sets only when a unit is as long across as up: render once to learn the
        // data area's pixel size, then widen the box along one axis so the units match and the landscape fills it.
        Plot first = Build(box);
        first.GetImage(pixels.Width, pixels.Height);
        PixelRect area = first.RenderManager.LastRender.DataRect;
        return ChartCanvas.Save(Build(EqualUnits(box, area.Width, area.Height)), path, pixels);
    }

    /// <summary>The smallest box containing <paramref name="box"/>, centred on it, whose aspect matches the pixels'.</summary>
    private static PlotBox EqualUnits(PlotBox box, double pixelWidth, double pixelHeight)
    {
        double w = box.XMax - box.XMin, h = box.YMax - box.YMin;
        if (pixelWidth <= 0 || pixelHeight <= 0)
        {
            return box;
        }

        double unitsPerPixel = Math.Max(w / pixelWidth, h / pixelHeight);
        double padX = (unitsPerPixel * pixelWidth - w) / 2, padY = (unitsPerPixel * pixelHeight - h) / 2;
        return new PlotBox(box.XMin - padX, box.XMax + padX, box.YMin - padY, box.YMax + padY);
    }

    private static Plot LandscapePlot(
        string title, Func<double, double, double> f, PlotBox box, bool logLevels, int levels, string xLabel,
        string yLabel, ChartSize size)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(box);
        box.Validate(nameof(box));
        if (levels is < 2 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(levels), $"levels must be in [2, 100], got {levels}");
        }

        ChartCanvas.Validate(size);
        Plot plot = ChartCanvas.NewPlot(title, xLabel, yLabel);
        Landscape.Draw(plot, f, box, logLevels, levels);
        return plot;
    }

    private static void DrawTrajectory(Plot plot, Trajectory t, PlotBox box, Color color, string paramName)
    {
        (double[] xs, double[] ys) = PathGeometry.Drawable(t, box, paramName);
        if (xs.Length == 0)
        {
            return;
        }

        var halo = plot.Add.ScatterLine(xs, ys, Colors.White.WithAlpha(0.8));
        halo.LineWidth = 5;
        var line = plot.Add.ScatterLine(xs, ys, color);
        line.LineWidth = 2.5f;
        line.LegendText = t.Name;
        var start = plot.Add.Marker(xs[0], ys[0], MarkerShape.OpenCircle, 13, color);
        start.LineWidth = 2.5f;
        plot.Add.Marker(xs[^1], ys[^1], MarkerShape.FilledCircle, 10, color);
    }

    private static void DrawArrows(Plot plot, Func<double, double, (double Dx, double Dy)> gradient, PlotBox box, int n)
    {
        double sx = (box.XMax - box.XMin) / n, sy = (box.YMax - box.YMin) / n;
        double length = 0.75 * Math.Min(sx, sy);
        Color color = ArrowColor;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double x = box.XMin + (j + 0.5) * sx, y = box.YMin + (i + 0.5) * sy;
                (double gx, double gy) = gradient(x, y);
                double norm = Math.Sqrt(gx * gx + gy * gy);
                if (!double.IsFinite(norm) || norm == 0)
                {
                    continue;
                }

                var arrow = plot.Add.Arrow(x, y, x + length * gx / norm, y + length * gy / norm);
                arrow.ArrowFillColor = color;
                arrow.ArrowLineColor = color;
                arrow.ArrowLineWidth = 0;
                arrow.ArrowWidth = 1.5f;
                arrow.ArrowheadWidth = 7;
                arrow.ArrowheadLength = 8;
                arrow.ArrowheadAxisLength = 8;
            }
        }

        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "∇f (uphill)", LineColor = ArrowColor, LineWidth = 2 });
    }

    private static Func<double, double, (double Dx, double Dy)> CentralDifference(Func<double, double, double> f, PlotBox box)
    {
        double hx = (box.XMax - box.XMin) * 1e-5, hy = (box.YMax - box.YMin) * 1e-5;
        return (x, y) => ((f(x + hx, y) - f(x - hx, y)) / (2 * hx), (f(x, y + hy) - f(x, y - hy)) / (2 * hy));
    }

    /// <summary>Minima go under the trajectories, so an end point that reached one stays visible on it.</summary>
    private static void DrawMinima(Plot plot, IReadOnlyList<Point2>? minima)
    {
        foreach (Point2 m in minima ?? [])
        {
            var marker = plot.Add.Marker(m.X, m.Y, MarkerShape.FilledDiamond, 16, MinimumFill);
            marker.MarkerStyle.OutlineColor = Colors.Black;
            marker.MarkerStyle.OutlineWidth = 1.5f;
        }
    }

    private static void FinishLandscape(Plot plot, IReadOnlyList<Point2>? minima, bool anyPath)
    {
        if (anyPath)
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

        if (minima is { Count: > 0 })
        {
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = "known minimum",
                MarkerStyle = new MarkerStyle(MarkerShape.FilledDiamond, 13, MinimumFill)
                {
                    OutlineColor = Colors.Black, OutlineWidth = 1.5f,
                },
            });
        }

        ChartCanvas.ShowLegend(plot, Edge.Right);
    }
}
