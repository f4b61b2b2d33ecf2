using ScottPlot;

namespace Descent.Plotting;

/// <summary>What every chart shares: fonts, title and labels, colours, and writing the PNG and SVG files.</summary>
internal static class ChartCanvas
{
    public const float TitleSize = 20;
    public const float LabelSize = 16;
    public const float TickSize = 13;
    public const float LegendSize = 13;

    /// <summary>A plot with the embedded font, a title and axis labels.</summary>
    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(xLabel);
        ArgumentNullException.ThrowIfNull(yLabel);
        ChartFonts.EnsureRegistered();
        var plot = new Plot();
        plot.Font.Set(ChartFonts.Family);
        plot.Title(title, TitleSize);
        plot.Axes.Title.Label.FontName = ChartFonts.Family;
        plot.Axes.Title.Label.Bold = true;
        plot.XLabel(xLabel, LabelSize);
        plot.YLabel(yLabel, LabelSize);
        plot.Axes.Bottom.TickLabelStyle.FontSize = TickSize;
        plot.Axes.Left.TickLabelStyle.FontSize = TickSize;
        plot.Legend.FontName = ChartFonts.Family;
        plot.Legend.FontSize = LegendSize;
        plot.Legend.SetBestFontOnEachRender = false;
        return plot;
    }

    /// <summary>Colour of the <paramref name="index"/>-th named item of a chart (palette, unless overridden).</summary>
    public static Color ColorOf(string name, string? overrideHex, int index) =>
        Color.FromHex(overrideHex ?? OptimizerPalette.GetHex(name, index));

    /// <summary>
    /// Writes <c>base.png</c> and <c>base.svg</c>, where base is <paramref name="path"/> without a .png or .svg
    /// extension; creates the folder when needed.
    /// </summary>
    public static ChartFiles Save(Plot plot, string path, ChartSize size)
    {
        string basePath = BasePath(path);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(basePath));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var files = new ChartFiles(basePath + ".png", basePath + ".svg");
        plot.SavePng(files.PngPath, size.Width, size.Height);
        plot.SaveSvg(files.SvgPath, size.Width, size.Height);
        return files;
    }

    public static void Validate(ChartSize size)
    {
        ArgumentNullException.ThrowIfNull(size);
        if (size.Width < 200 || size.Height < 150 || size.Width > 8000 || size.Height > 8000)
        {
            throw new ArgumentOutOfRangeException(
                nameof(size), $"size must be between 200x150 and 8000x8000 pixels, got {size.Width}x{size.Height}");
        }
    }

    private static string BasePath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string extension = Path.GetExtension(path);
        return extension.Equals(".png", StringComparison.OrdinalIgnoreCase)
            || extension.Equals(".svg", StringComparison.OrdinalIgnoreCase)
            ? path[..^extension.Length]
            : path;
    }
}
