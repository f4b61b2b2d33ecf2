namespace Descent.Plotting;

/// <summary>A point of the plane, e.g. a known minimum.</summary>
/// <param name="X">The horizontal coordinate.</param>
/// <param name="Y">The vertical coordinate.</param>
public readonly record struct Point2(double X, double Y);

/// <summary>The rectangle <c>[XMin, XMax] × [YMin, YMax]</c> a 2-D function is drawn over.</summary>
/// <param name="XMin">Left edge.</param>
/// <param name="XMax">Right edge (greater than <paramref name="XMin"/>).</param>
/// <param name="YMin">Bottom edge.</param>
/// <param name="YMax">Top edge (greater than <paramref name="YMin"/>).</param>
public sealed record PlotBox(double XMin, double XMax, double YMin, double YMax)
{
    internal void Validate(string paramName)
    {
        if (!(double.IsFinite(XMin) && double.IsFinite(XMax) && XMin < XMax))
        {
            throw new ArgumentException($"box x range must be finite with XMin < XMax, got [{XMin}, {XMax}]", paramName);
        }

        if (!(double.IsFinite(YMin) && double.IsFinite(YMax) && YMin < YMax))
        {
            throw new ArgumentException($"box y range must be finite with YMin < YMax, got [{YMin}, {YMax}]", paramName);
        }
    }
}

/// <summary>
/// The iterates of one run in the plane: <c>(Xs[k], Ys[k])</c> is the point after step k (index 0 is the start).
/// Points after the first non-finite one are not drawn (a diverged run ends there).
/// </summary>
/// <param name="Name">Legend text; an optimizer name picks that optimizer's colour.</param>
/// <param name="Xs">x of each iterate.</param>
/// <param name="Ys">y of each iterate, as many as <paramref name="Xs"/>.</param>
/// <param name="Color">A <c>#RRGGBB</c> colour that overrides the palette, or <see langword="null"/>.</param>
public sealed record Trajectory(string Name, double[] Xs, double[] Ys, string? Color = null);

/// <summary>One line of a line chart: <c>Values[k]</c> at <c>Xs[k]</c> (or at k when <paramref name="Xs"/> is null).</summary>
/// <param name="Name">Legend text; an optimizer name picks that optimizer's colour.</param>
/// <param name="Values">The y values; non-finite values (and non-positive ones on a log axis) leave a gap.</param>
/// <param name="Xs">The x values, as many as <paramref name="Values"/>, or <see langword="null"/> for 0, 1, 2, …</param>
/// <param name="Color">A <c>#RRGGBB</c> colour that overrides the palette, or <see langword="null"/>.</param>
/// <param name="Dashed">Draw dashed (e.g. the test curve beside a solid train curve of the same colour).</param>
public sealed record Series(string Name, double[] Values, double[]? Xs = null, string? Color = null, bool Dashed = false);

/// <summary>The two files a chart function writes.</summary>
/// <param name="PngPath">The raster image.</param>
/// <param name="SvgPath">The same chart as scalable vector graphics.</param>
public sealed record ChartFiles(string PngPath, string SvgPath);

/// <summary>Pixel size of a chart.</summary>
/// <param name="Width">Width in pixels (at least 200).</param>
/// <param name="Height">Height in pixels (at least 150).</param>
public sealed record ChartSize(int Width, int Height)
{
    /// <summary>The default size of a contour chart (the legend sits to the right).</summary>
    public static ChartSize Contour { get; } = new(960, 760);

    /// <summary>The default size of a line chart.</summary>
    public static ChartSize Line { get; } = new(900, 560);
}

/// <summary>The iterates x₀, x₁, … of one run on a function of one variable.</summary>
/// <param name="Name">Legend text; an optimizer name picks that optimizer's colour.</param>
/// <param name="Xs">The iterates; those outside the drawn range or non-finite are not drawn.</param>
/// <param name="Color">A <c>#RRGGBB</c> colour that overrides the palette, or <see langword="null"/>.</param>
public sealed record Walk(string Name, double[] Xs, string? Color = null);

/// <summary>
/// One series of a band chart: a shaded range from <c>Low[k]</c> to <c>High[k]</c> and a line through <c>Middle[k]</c>,
/// at <c>Xs[k]</c> (or at k), e.g. the min, median and max of a loss over several seeds.
/// </summary>
/// <param name="Name">Legend text; an optimizer name picks that optimizer's colour.</param>
/// <param name="Low">The lower edge of the band.</param>
/// <param name="Middle">The line, e.g. the median; as many values as <paramref name="Low"/>.</param>
/// <param name="High">The upper edge of the band; as many values as <paramref name="Low"/>.</param>
/// <param name="Xs">The x values, as many as <paramref name="Middle"/>, or <see langword="null"/> for 0, 1, 2, …</param>
/// <param name="Color">A <c>#RRGGBB</c> colour that overrides the palette, or <see langword="null"/>.</param>
public sealed record Band(string Name, double[] Low, double[] Middle, double[] High, double[]? Xs = null, string? Color = null);
