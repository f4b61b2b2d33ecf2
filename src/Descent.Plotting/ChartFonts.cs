using System.Reflection;
using ScottPlot;
using SkiaSharp;

namespace Descent.Plotting;

/// <summary>
/// Loads DejaVu Sans from this assembly's resources and registers it with ScottPlot, so charts carry text even on a
/// machine with no fonts installed (Skia then draws no glyphs at all, silently).
/// </summary>
internal static class ChartFonts
{
    /// <summary>The family name every chart uses.</summary>
    public const string Family = "DejaVu Sans";

    private static readonly Lock Gate = new();
    private static bool registered;

    /// <summary>Registers the embedded font once per process; later calls do nothing.</summary>
    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (registered)
            {
                return;
            }

            var resolver = new EmbeddedFontResolver(
                Load("Descent.Plotting.Fonts.DejaVuSans.ttf"),
                Load("Descent.Plotting.Fonts.DejaVuSans-Bold.ttf"));
            Fonts.FontResolvers.Insert(0, resolver);
            Fonts.Default = Family;
            Fonts.Sans = Family;
            registered = true;
        }
    }

    private static SKTypeface Load(string resourceName)
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"font resource {resourceName} is missing from the assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        using var data = SKData.CreateCopy(copy.ToArray());
        return SKTypeface.FromData(data)
            ?? throw new InvalidOperationException($"font resource {resourceName} could not be read by Skia");
    }

    /// <summary>Answers only for <see cref="Family"/>; other names fall through to ScottPlot's system lookup.</summary>
    private sealed class EmbeddedFontResolver(SKTypeface regularFace, SKTypeface boldFace) : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            CreateTypeface(fontName, weight >= FontWeight.SemiBold, slant != FontSlant.Upright);

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            string.Equals(fontName, Family, StringComparison.OrdinalIgnoreCase) ? (bold ? boldFace : regularFace) : null;
    }
}
