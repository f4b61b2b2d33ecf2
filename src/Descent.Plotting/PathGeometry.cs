namespace Descent.Plotting;

/// <summary>Turns the iterates of a run into a polyline that is safe to draw.</summary>
internal static class PathGeometry
{
    /// <summary>
    /// The drawable prefix of a trajectory: points up to the first non-finite one, and up to the first point far
    /// outside <paramref name="box"/> (replaced by where the path crosses the far boundary), so a diverging run is
    /// drawn leaving the picture instead of handing Skia coordinates like 1e300.
    /// </summary>
    public static (double[] Xs, double[] Ys) Drawable(Trajectory trajectory, PlotBox box, string paramName)
    {
        ArgumentNullException.ThrowIfNull(trajectory, paramName);
        ArgumentNullException.ThrowIfNull(trajectory.Name, paramName);
        ArgumentNullException.ThrowIfNull(trajectory.Xs, paramName);
        ArgumentNullException.ThrowIfNull(trajectory.Ys, paramName);
        if (trajectory.Xs.Length != trajectory.Ys.Length)
        {
            throw new ArgumentException(
                $"trajectory '{trajectory.Name}' has {trajectory.Xs.Length} xs but {trajectory.Ys.Length} ys", paramName);
        }

        double marginX = 3 * (box.XMax - box.XMin), marginY = 3 * (box.YMax - box.YMin);
        var far = new PlotBox(box.XMin - marginX, box.XMax + marginX, box.YMin - marginY, box.YMax + marginY);
        var xs = new List<double>();
        var ys = new List<double>();
        for (int k = 0; k < trajectory.Xs.Length; k++)
        {
            double x = trajectory.Xs[k], y = trajectory.Ys[k];
            if (!double.IsFinite(x) || !double.IsFinite(y))
            {
                break;
            }

            if (!Inside(far, x, y))
            {
                if (k > 0)
                {
                    (double cx, double cy) = ExitPoint(far, xs[^1], ys[^1], x, y);
                    xs.Add(cx);
                    ys.Add(cy);
                }

                break;
            }

            xs.Add(x);
            ys.Add(y);
        }

        return (xs.ToArray(), ys.ToArray());
    }

    private static bool Inside(PlotBox b, double x, double y) =>
        x >= b.XMin && x <= b.XMax && y >= b.YMin && y <= b.YMax;

    /// <summary>Where the segment from an inside point to an outside point leaves the box.</summary>
    private static (double X, double Y) ExitPoint(PlotBox b, double x0, double y0, double x1, double y1)
    {
        double t = 1;
        double dx = x1 - x0, dy = y1 - y0;
        if (dx > 0) { t = Math.Min(t, (b.XMax - x0) / dx); }
        if (dx < 0) { t = Math.Min(t, (b.XMin - x0) / dx); }
        if (dy > 0) { t = Math.Min(t, (b.YMax - y0) / dy); }
        if (dy < 0) { t = Math.Min(t, (b.YMin - y0) / dy); }
        return (x0 + t * dx, y0 + t * dy);
    }
}
