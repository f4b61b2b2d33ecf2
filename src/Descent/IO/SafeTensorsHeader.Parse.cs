using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Descent.IO;

internal static partial class SafeTensorsHeader
{
    /// <summary>
    /// Parses and validates a header against a data region of <paramref name="dataLength"/> bytes: valid UTF-8 JSON
    /// object, string metadata, known dtypes, non-negative shapes, offsets in bounds that tile the data region exactly
    /// (no overlap, no hole), and dtype size × element count = byte length. Returns the entries in offset order.
    /// </summary>
    public static (List<SafeTensorsEntry> Entries, Dictionary<string, string> Metadata) Parse(ReadOnlySpan<byte> header, long dataLength)
    {
        if (!Utf8.IsValid(header)) throw Bad("the header is not valid UTF-8");
        if (header.Length == 0 || header[0] != (byte)'{')
            throw Bad($"the header must start with '{{', it starts with byte 0x{(header.Length == 0 ? 0 : header[0]):x2}");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header.ToArray());
        }
        catch (JsonException e)
        {
            throw Bad($"the header is not valid JSON ({e.Message})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad("the header must be a JSON object");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<SafeTensorsEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name)) throw Bad($"the header names '{prop.Name}' twice");
                if (prop.Name == MetadataKey) ReadMetadata(prop.Value, metadata);
                else entries.Add(ReadEntry(prop.Name, prop.Value));
            }
            Validate(entries, dataLength);
            return (entries, metadata);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object) throw Bad($"{MetadataKey} must be an object of strings, got {value.ValueKind}");
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw Bad($"{MetadataKey} value of '{p.Name}' must be a string, got {p.Value.ValueKind}");
            metadata[p.Name] = p.Value.GetString()!;
        }
    }

    private static SafeTensorsEntry ReadEntry(string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Bad($"tensor '{name}': entry must be an object, got {value.ValueKind}");
        if (!value.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
            throw Bad($"tensor '{name}': missing or non-string \"dtype\"");
        DType dtype = ParseDType(name, dtypeEl.GetString()!);

        if (!value.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw Bad($"tensor '{name}': missing or non-array \"shape\"");
        var shape = new int[shapeEl.GetArrayLength()];
        int i = 0;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long size) || size < 0)
                throw Bad($"tensor '{name}': shape entries must be non-negative integers, got {d.GetRawText()}");
            if (size > int.MaxValue) throw Bad($"tensor '{name}': dimension {i} has size {size}, more than Descent's limit {int.MaxValue}");
            shape[i++] = (int)size;
        }

        if (!value.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw Bad($"tensor '{name}': \"data_offsets\" must be an array [begin, end]");
        long begin = Offset(name, offEl[0]), end = Offset(name, offEl[1]);
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    private static long Offset(string name, JsonElement e) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long v) && v >= 0 ? v
        : throw Bad($"tensor '{name}': data offsets must be non-negative integers, got {e.GetRawText()}");

    private static DType ParseDType(string name, string code) => code switch
    {
        "F32" => DType.Float32,
        "F64" => DType.Float64,
        "I64" => DType.Int64,
        "BOOL" or "U8" or "I8" or "F8_E5M2" or "F8_E4M3" or "I16" or "U16" or "F16" or "BF16" or "I32" or "U32" or "U64" =>
            throw Bad($"tensor '{name}': dtype {code} is valid safetensors but Descent reads only F32, F64 and I64"),
        _ => throw Bad($"tensor '{name}': unknown dtype \"{code}\" (Descent reads F32, F64 and I64)"),
    };

    // The tensors, in offset order, must tile [0, dataLength) exactly.
    private static void Validate(List<SafeTensorsEntry> entries, long dataLength)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        SafeTensorsEntry? previous = null;
        foreach (var e in entries)
        {
            if (e.End < e.Begin) throw Bad($"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] end before they begin");
            if (e.End > dataLength)
                throw Bad($"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] go past the end of the data region ({dataLength} bytes)");
            if (e.Begin < expected)
                throw Bad($"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] overlap tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]");
            if (e.Begin > expected)
                throw Bad($"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] leave bytes [{expected}, {e.Begin}) of the data region unused");
            ulong count = ElementCount(e.Shape)
                ?? throw Bad($"tensor '{e.Name}': the product of shape {Shapes.Format(e.Shape)}, taken from left to right, overflows 64 bits (the reference reader rejects it too)");
            if (count > (ulong)Shapes.MaxNumEl)
                throw Bad($"tensor '{e.Name}': shape {Shapes.Format(e.Shape)} has more than {Shapes.MaxNumEl} elements, the most a Descent tensor holds");
            long bytes = (long)count * e.DType.ElementSize();
            if (bytes != e.End - e.Begin)
                throw Bad($"tensor '{e.Name}': dtype {Code(e.DType)} × shape {Shapes.Format(e.Shape)} = {bytes} bytes, but data_offsets [{e.Begin}, {e.End}] hold {e.End - e.Begin}");
            expected = e.End;
            previous = e;
        }
        if (expected != dataLength)
            throw Bad($"the tensors cover {expected} bytes but the data region has {dataLength} (trailing bytes after the last tensor)");
    }

    /// <summary>
    /// A shape's element count as the reference reader computes it: the running product of the sizes from left to right
    /// in 64 bits, null when a step overflows (even if a later size is 0, so [2147483647, 2147483647, 0] has 0 elements
    /// but [2147483647, 2147483647, 2147483647, 0] is rejected).
    /// </summary>
    public static ulong? ElementCount(ReadOnlySpan<int> shape)
    {
        ulong count = 1;
        foreach (int d in shape)
        {
            if (Math.BigMul(count, (ulong)d, out count) != 0) return null;
        }
        return count;
    }

    internal static InvalidDataException Bad(string message) => new("safetensors: " + message);
}
