using SkiaSharp;

namespace Descent.Plotting.Tests;

/// <summary>Reads pixels of a written PNG back (with Skia, which the plotting project brings along).</summary>
internal static class PngPixels
{
    /// <summary>Pixels darker than mid-grey in the rows [top, bottom) of the middle half of the image.</summary>
    public static int DarkPixelsInBand(string path, int top, int bottom)
    {
        using SKBitmap bitmap = SKBitmap.Decode(path) ?? throw new InvalidOperationException($"{path} does not decode");
        int count = 0;
        for (int y = top; y < Math.Min(bottom, bitmap.Height); y++)
        {
            for (int x = bitmap.Width / 4; x < bitmap.Width * 3 / 4; x++)
            {
                SKColor c = bitmap.GetPixel(x, y);
                if (c.Alpha > 128 && c.Red + c.Green + c.Blue < 3 * 128)
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>The fraction of pixels that are not (near) white: a blank render gives 0.</summary>
    public static double InkFraction(string path)
    {
        using SKBitmap bitmap = SKBitmap.Decode(path) ?? throw new InvalidOperationException($"{path} does not decode");
        long ink = 0;
        for (int y = 0; y < bitmap.Height; y += 2)
        {
            for (int x = 0; x < bitmap.Width; x += 2)
            {
                SKColor c = bitmap.GetPixel(x, y);
                if (c.Red + c.Green + c.Blue < 3 * 235)
                {
                    ink++;
                }
            }
        }

        return ink / (double)(((bitmap.Height + 1) / 2) * ((bitmap.Width + 1) / 2));
    }
}
