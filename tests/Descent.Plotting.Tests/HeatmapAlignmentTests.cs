using ScottPlot;

namespace Descent.Plotting.Tests;

/// <summary>The heatmap must put f(x, y) at (x, y): high values where f is high, on both axes.</summary>
public class HeatmapAlignmentTests
{
    private static readonly PlotBox Box = new(-3, 1, 2, 5);

    private static double Lightness(Plot plot, SkiaSharp.SKBitmap bitmap, double x, double y)
    {
        Pixel p = plot.GetPixel(new Coordinates(x, y));
        SkiaSharp.SKColor c = bitmap.GetPixel((int)p.X, (int)p.Y);
        return 0.2126 * c.Red + 0.7152 * c.Green + 0.0722 * c.Blue;
    }

    private static (Plot Plot, SkiaSharp.SKBitmap Bitmap) Render(Func<double, double, double> f, bool log)
    {
        ChartFonts.EnsureRegistered();
        var plot = new Plot();
        Landscape.Draw(plot, f, Box, log, levels: 10);
        byte[] png = plot.GetImageBytes(600, 500, ImageFormat.Png);
        return (plot, SkiaSharp.SKBitmap.Decode(png));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void High_values_are_drawn_where_y_is_high(bool log)
    {
        (Plot plot, SkiaSharp.SKBitmap bitmap) = Render((x, y) => y - 2, log);
        using (bitmap)
        {
            // Viridis runs from dark purple (low) to light yellow (high).
            Assert.True(Lightness(plot, bitmap, -1, 4.8) > Lightness(plot, bitmap, -1, 2.2) + 40);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void High_values_are_drawn_where_x_is_high(bool log)
    {
        (Plot plot, SkiaSharp.SKBitmap bitmap) = Render((x, y) => x + 3, log);
        using (bitmap)
        {
            Assert.True(Lightness(plot, bitmap, 0.8, 3.5) > Lightness(plot, bitmap, -2.8, 3.5) + 40);
        }
    }

    [Fact]
    public void The_darkest_spot_of_a_bowl_is_at_its_minimum()
    {
        (Plot plot, SkiaSharp.SKBitmap bitmap) = Render((x, y) => (x + 2) * (x + 2) + (y - 4) * (y - 4), log: false);
        using (bitmap)
        {
            double atMinimum = Lightness(plot, bitmap, -2, 4);
            Assert.True(atMinimum < Lightness(plot, bitmap, 0, 4));
            Assert.True(atMinimum < Lightness(plot, bitmap, -2, 2.5));
            Assert.True(atMinimum < Lightness(plot, bitmap, -2.8, 4.8));
        }
    }
}
