using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Descent.IO;

/// <summary>One tensor's entry in a safetensors header; offsets are relative to the first byte after the header.</summary>
internal sealed record SafeTensorsEntry(string Name, DType DType, int[] Shape, long Begin, long End);

/// <summary>
/// The JSON header of a safetensors file: writing it exactly as the reference (Rust) writer does, and parsing and
/// validating it as the reference reader does, with messages that name the tensor and the numbers.
/// </summary>
internal static partial class SafeTensorsHeader
{
    /// <summary>The reference reader's bound on the header size (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>The format's name of a dtype.</summary>
    public static string Code(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int64 => "I64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    // The reference writer orders tensors by descending dtype, in the order of its Dtype enum (… F32 < F64 < I64 …),
    // so that data of larger alignment comes first.
    private static int WriterRank(DType dtype) => dtype switch
    {
        DType.Float32 => 0,
        DType.Float64 => 1,
        _ => 2,
    };

    /// <summary>Compares names as the reference does: by their UTF-8 bytes.</summary>
    public static int CompareNames(string a, string b) =>
        Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));

    /// <summary>The writer's order: descending dtype, then name.</summary>
    public static int CompareForWriting((string Name, DType DType) a, (string Name, DType DType) b)
    {
        int byType = WriterRank(b.DType).CompareTo(WriterRank(a.DType));
        return byType != 0 ? byType : CompareNames(a.Name, b.Name);
    }

    /// <summary>
    /// The header bytes, padded with spaces to a multiple of 8 (an ArgumentException when they would exceed
    /// <see cref="MaxHeaderBytes"/>, which no reader accepts): compact JSON with <c>__metadata__</c> first (keys sorted,
    /// omitted when empty), then the tensors in the order given, each as <c>{"dtype":…,"shape":[…],"data_offsets":[b,e]}</c>.
    /// </summary>
    public static byte[] Build(IReadOnlyList<SafeTensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var json = new StringBuilder("{");
        bool first = true;
        if (metadata is { Count: > 0 })
        {
            json.Append(Quote(MetadataKey)).Append(":{");
            var keys = metadata.Keys.ToList();
            keys.Sort(CompareNames);
            for (int i = 0; i < keys.Count; i++)
            {
                if (i > 0) json.Append(',');
                json.Append(Quote(keys[i])).Append(':').Append(Quote(metadata[keys[i]]));
            }
            json.Append('}');
            first = false;
        }
        foreach (var e in entries)
        {
            if (!first) json.Append(',');
            first = false;
            json.Append(Quote(e.Name)).Append(":{\"dtype\":").Append(Quote(Code(e.DType))).Append(",\"shape\":[")
                .AppendJoin(',', e.Shape).Append("],\"data_offsets\":[")
                .Append(e.Begin.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(e.End.ToString(CultureInfo.InvariantCulture)).Append("]}");
        }
        json.Append('}');
        string text = json.ToString();
        long length = Encoding.UTF8.GetByteCount(text);
        long padded = length + (8 - length % 8) % 8;
        if (padded > MaxHeaderBytes)
            throw new ArgumentException($"the safetensors header would be {padded} bytes, more than the {MaxHeaderBytes} that readers accept (fewer tensors, shorter names or less metadata)");
        var bytes = new byte[padded];
        Encoding.UTF8.GetBytes(text, bytes);
        bytes.AsSpan((int)length).Fill((byte)' ');
        return bytes;
    }

    // JSON string escaping as serde_json writes it: quote, backslash and control characters only; everything else,
    // including non-ASCII, as raw UTF-8.
    private static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
