using ScottPlot;
using ScottPlot.Plottables;

namespace Descent.Plotting;

/// <summary>The filled heatmap, colour bar and contour lines of f over a box: the background of the 2-D charts.</summary>
internal static class Landscape
{
    private const int Resolution = 160;

    public static void Draw(Plot plot, Func<double, double, double> f, PlotBox box, bool logLevels, int levels)
    {
        double[,] z = Sample(f, box, out double dx, out double dy);
        string colorLabel = logLevels ? "log10(f − min f + ε)" : "f(x, y)";
        if (logLevels)
        {
            ToLog(z);
        }

        // Row 0 of the grid is y = YMin; ScottPlot draws row 0 at the top unless flipped.
        var heatmap = plot.Add.Heatmap(z);
        heatmap.FlipVertically = true;
        heatmap.Extent = new CoordinateRect(box.XMin - dx / 2, box.XMax + dx / 2, box.YMin - dy / 2, box.YMax + dy / 2);
        heatmap.Colormap = new LightViridis();
        heatmap.Smooth = true;
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = colorLabel;
        bar.LabelStyle.FontSize = ChartCanvas.TickSize;
        bar.LabelStyle.FontName = ChartFonts.Family;
        bar.Axis.TickLabelStyle.FontSize = ChartCanvas.TickSize - 1;

        var grid = new Coordinates3d[Resolution, Resolution];
        for (int i = 0; i < Resolution; i++)
        {
            for (int j = 0; j < Resolution; j++)
            {
                grid[i, j] = new Coordinates3d(box.XMin + j * dx, box.YMin + i * dy, z[i, j]);
            }
        }

        ContourLines contours = plot.Add.ContourLines(grid, levels);
        contours.LineColor = Colors.White.WithAlpha(0.85);
        contours.LineWidth = 1;
        contours.LabelStyle.IsVisible = false;

        plot.Axes.SetLimits(box.XMin, box.XMax, box.YMin, box.YMax);
    }

    /// <summary>f on a Resolution² grid with z[i, j] = f(XMin + j·dx, YMin + i·dy); non-finite values become the largest finite one.</summary>
    private static double[,] Sample(Func<double, double, double> f, PlotBox box, out double dx, out double dy)
    {
        dx = (box.XMax - box.XMin) / (Resolution - 1);
        dy = (box.YMax - box.YMin) / (Resolution - 1);
        var z = new double[Resolution, Resolution];
        double max = double.NegativeInfinity;
        for (int i = 0; i < Resolution; i++)
        {
            for (int j = 0; j < Resolution; j++)
            {
                double v = f(box.XMin + j * dx, box.YMin + i * dy);
                z[i, j] = v;
                if (double.IsFinite(v) && v > max)
                {
                    max = v;
                }
            }
        }

        if (double.IsNegativeInfinity(max))
        {
            throw new ArgumentException("f has no finite value on the box", nameof(f));
        }

        for (int i = 0; i < Resolution; i++)
        {
            for (int j = 0; j < Resolution; j++)
            {
                if (!double.IsFinite(z[i, j]))
                {
                    z[i, j] = max;
                }
            }
        }

        return z;
    }

    /// <summary>
    /// z ← log10(z − min z + ε): equally spaced levels in log space, so a narrow valley (Rosenbrock) shows. ε is the
    /// 1st percentile of z − min z over the grid, so the lowest percent of the box shares the bottom colours instead
    /// of a pile of contour lines around the minimum, whatever the function's scale.
    /// </summary>
    private static void ToLog(double[,] z)
    {
        double[] sorted = z.Cast<double>().Order().ToArray();
        double min = sorted[0], max = sorted[^1];
        double eps = Math.Max(sorted[sorted.Length / 100] - min, Math.Max((max - min) * 1e-9, 1e-12));
        for (int i = 0; i < z.GetLength(0); i++)
        {
            for (int j = 0; j < z.GetLength(1); j++)
            {
                z[i, j] = Math.Log10(z[i, j] - min + eps);
            }
        }
    }
}
