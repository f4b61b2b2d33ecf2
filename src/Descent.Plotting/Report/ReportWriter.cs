using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Descent.Plotting;

/// <summary>
/// Writes a <see cref="Report"/> as one self-contained <c>index.html</c>: inline CSS, no network. A report without a
/// <see cref="ReportWidget"/> has no script; one with widgets carries the lab viewer (lab.js and lab.css, embedded in
/// this assembly) inline, and its <see cref="Report.Data"/> as non-executed script elements. The markup is also
/// well-formed XML (every element closed, every attribute quoted, the script in a CDATA section), which the tests
/// rely on.
/// </summary>
public static class ReportWriter
{
    /// <summary>Writes <c>index.html</c> into <paramref name="folder"/> (created when missing) and returns its path.</summary>
    /// <param name="report">The report.</param>
    /// <param name="folder">The report's folder; relative image paths are resolved against it.</param>
    /// <param name="images">Link the image files (default) or embed them as <c>data:</c> URIs.</param>
    /// <returns>The full path of the written <c>index.html</c>.</returns>
    /// <exception cref="FileNotFoundException">An image file does not exist.</exception>
    /// <exception cref="ArgumentException">A linked image lies outside <paramref name="folder"/>, a table row has the
    /// wrong number of cells, an image has no alt text, a widget or data id is used twice, or data is not valid
    /// JSON.</exception>
    public static string Write(Report report, string folder, ReportImages images = ReportImages.Linked)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string full = Path.GetFullPath(folder);
        Directory.CreateDirectory(full);
        string html = Render(report, full, images);
        string path = Path.Combine(full, "index.html");
        File.WriteAllText(path, html, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }

    /// <summary>The HTML of <paramref name="report"/> as <see cref="Write"/> would write it into <paramref name="folder"/>.</summary>
    /// <param name="report">The report.</param>
    /// <param name="folder">The folder the page will live in; relative image paths are resolved against it.</param>
    /// <param name="images">Link the image files (default) or embed them as <c>data:</c> URIs.</param>
    /// <returns>The page.</returns>
    public static string Render(Report report, string folder, ReportImages images = ReportImages.Linked)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(report.Sections);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (!Enum.IsDefined(images))
        {
            throw new ArgumentOutOfRangeException(nameof(images), $"images must be Linked or Embedded, got {images}");
        }

        var html = new HtmlBuilder(Path.GetFullPath(folder), images);
        html.Page(report);
        return html.ToString();
    }

    /// <summary>Escapes text for HTML element content and double- or single-quoted attributes.</summary>
    /// <param name="text">Plain text.</param>
    /// <returns>The text with &amp;, &lt;, &gt;, " and ' replaced by entities.</returns>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ when char.IsControl(c) && c is not '\n' and not '\t' and not '\r' => "",
                _ => c.ToString(),
            });
        }

        return sb.ToString();
    }

    /// <summary>Width and height of a PNG from its header, or null for anything else.</summary>
    internal static (int Width, int Height)? PngSize(string path)
    {
        Span<byte> head = stackalloc byte[24];
        using FileStream stream = File.OpenRead(path);
        if (stream.Read(head) < 24 || head[0] != 0x89 || head[1] != (byte)'P' || head[2] != (byte)'N' || head[3] != (byte)'G')
        {
            return null;
        }

        return (BinaryPrimitives.ReadInt32BigEndian(head[16..]), BinaryPrimitives.ReadInt32BigEndian(head[20..]));
    }

    internal static string MimeType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".svg" => "image/svg+xml",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".gif" => "image/gif",
        ".webp" => "image/webp",
        _ => throw new ArgumentException($"image '{path}' is not a PNG, SVG, JPEG, GIF or WebP file", nameof(path)),
    };

    internal static bool LooksNumeric(string cell)
    {
        string t = cell.Trim().TrimEnd('%', 's', 'x', '×').Replace("−", "-", StringComparison.Ordinal);
        return t.Length > 0 && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
    }
}
