using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Descent.Plotting;

/// <summary>How <see cref="ReportData"/> is written into the page.</summary>
internal static class ReportDataEncoding
{
    /// <summary>The JSON of <paramref name="data"/>, after checking that it parses.</summary>
    public static string Check(ReportData data)
    {
        ArgumentNullException.ThrowIfNull(data.Json, nameof(data));
        try
        {
            using var _ = JsonDocument.Parse(data.Json, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"data '{data.Id}' is not valid JSON: {e.Message}", nameof(data), e);
        }

        return data.Json;
    }

    /// <summary>
    /// JSON with every '&lt;', '&gt;' and '&amp;' written as a \u escape. In valid JSON these characters occur only
    /// inside strings, where the escape means the same character, so the text parses to the same value; and without
    /// them it can neither end the script ("&lt;/script", "&lt;!--") nor break the page as XML ("]]&gt;", "&amp;").
    /// </summary>
    public static string EscapeForScript(string json)
    {
        var sb = new StringBuilder(json.Length + 16);
        foreach (char c in json)
        {
            switch (c)
            {
                case '<': sb.Append("\\u003c"); break;
                case '>': sb.Append("\\u003e"); break;
                case '&': sb.Append("\\u0026"); break;
                default: sb.Append(c); break;
            }
        }

        return sb.ToString();
    }

    /// <summary>base64(gzip(UTF-8 <paramref name="json"/>)), compressed as small as gzip goes.</summary>
    public static string GzipBase64(string json)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(json));
        }

        return Convert.ToBase64String(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
