using System.Buffers.Binary;
using System.Xml.Linq;

namespace Descent.Plotting.Tests;

/// <summary>Checks on written files that need no image library: PNG header, SVG as XML.</summary>
internal static class ImageChecks
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The width and height from a PNG's IHDR chunk, after checking the signature.</summary>
    public static (int Width, int Height) PngSize(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"{path} has only {bytes.Length} bytes");
        Assert.Equal(PngSignature, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    public static void AssertPng(string path, int width, int height)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        Assert.Equal((width, height), PngSize(path));
        double ink = PngPixels.InkFraction(path);
        Assert.True(ink > 0.01, $"{path} is blank ({ink:P2} of its pixels are not white)");
    }

    /// <summary>The SVG parses as XML, has an svg root, and its text contains every string given.</summary>
    public static void AssertSvgContains(string path, params string[] texts)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        XDocument doc = XDocument.Load(path);
        Assert.Equal("svg", doc.Root!.Name.LocalName);
        string allText = string.Concat(doc.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value + "\n"));
        foreach (string text in texts)
        {
            Assert.Contains(text, allText, StringComparison.Ordinal);
        }
    }
}
