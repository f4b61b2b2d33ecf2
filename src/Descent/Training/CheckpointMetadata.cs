using System.Globalization;
using System.Text.Json;

namespace Descent.Training;

/// <summary>
/// A checkpoint's metadata read strictly, for files that may come from anywhere: every value is checked before it is
/// used, and every failure is an <see cref="InvalidDataException"/> that reads "PATH: FIELD: what is wrong", FIELD being
/// the metadata key and the place inside its JSON (<c>optimizer.steps["3"].step</c>).
/// </summary>
internal sealed class CheckpointMetadata(string path, IReadOnlyDictionary<string, string> metadata)
{
    // Deep enough for every value a checkpoint writes (four levels); a hostile file cannot make the parser recurse far.
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 16 };

    /// <summary>The file, as the caller named it.</summary>
    public string Path => path;

    /// <summary>Whether the metadata has <paramref name="key"/>.</summary>
    public bool Has(string key) => metadata.ContainsKey(key);

    /// <summary>The text of <paramref name="key"/>, which must be there.</summary>
    public string Text(string key) => metadata.TryGetValue(key, out var value) ? value : throw Error(key, "missing from the checkpoint's metadata");

    /// <summary>The failure "PATH: FIELD: MESSAGE".</summary>
    public InvalidDataException Error(string field, string message, Exception? inner = null) => new($"{path}: {field}: {message}", inner);

    /// <summary>The whole number from 0 to <see cref="int.MaxValue"/> written as the text of <paramref name="key"/>.</summary>
    public int Count(string key)
    {
        string text = Text(key);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value
            : throw Error(key, $"must be a whole number from 0 to {int.MaxValue}, got {Quote(text)}");
    }

    /// <summary>The JSON value of <paramref name="key"/>, parsed.</summary>
    public JsonField Json(string key)
    {
        try
        {
            using var document = JsonDocument.Parse(Text(key), Options);
            return new JsonField(this, key, document.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw Error(key, $"is not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>
    /// A scheduler's state (<c>LRScheduler.StateDict</c>) as <see cref="Checkpoint"/> writes it: an object of arrays of
    /// numbers, where an infinity (a plateau's best before its first step) is the string <c>"Infinity"</c> or <c>"-Infinity"</c>.
    /// </summary>
    public Dictionary<string, double[]> SchedulerState(string key)
    {
        var state = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var (name, values) in Json(key).Properties())
            state[name] = [.. values.Elements().Select(v => v.DoubleOrInfinity())];
        return state;
    }

    /// <summary>A generator's state: its four words as decimal strings, not all zero.</summary>
    public ulong[] GeneratorState(string key)
    {
        var field = Json(key);
        var words = field.Elements().Select(w => w.Word()).ToArray();
        if (words.Length != 4) throw field.Error($"must hold 4 words, got {words.Length}");
        if (words.All(w => w == 0)) throw field.Error("must not be all zeros (a generator would repeat one number)");
        return words;
    }

    /// <summary>Text as the messages quote it, cut short when long.</summary>
    public static string Quote(string text) => "'" + (text.Length <= 40 ? text : text[..40] + "…") + "'";
}

/// <summary>One value inside a metadata key's JSON, with its place for the messages.</summary>
internal readonly record struct JsonField(CheckpointMetadata Metadata, string Field, JsonElement Value)
{
    /// <summary>The failure "PATH: FIELD: MESSAGE" at this value.</summary>
    public InvalidDataException Error(string message) => Metadata.Error(Field, message);

    /// <summary>The elements of an array.</summary>
    public IEnumerable<JsonField> Elements()
    {
        Expect(JsonValueKind.Array, "an array");
        int i = 0;
        foreach (var element in Value.EnumerateArray()) yield return new JsonField(Metadata, $"{Field}[{i++}]", element);
    }

    /// <summary>The members of an object, each name once.</summary>
    public IEnumerable<(string Name, JsonField Value)> Properties()
    {
        Expect(JsonValueKind.Object, "an object");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in Value.EnumerateObject())
            if (!seen.Add(p.Name)) throw Error($"has the key {CheckpointMetadata.Quote(p.Name)} twice");
        foreach (var p in Value.EnumerateObject()) yield return (p.Name, new JsonField(Metadata, $"{Field}[\"{p.Name}\"]", p.Value));
    }

    /// <summary>The member <paramref name="name"/> of an object, which must be there.</summary>
    public JsonField Property(string name)
    {
        Expect(JsonValueKind.Object, "an object");
        return Value.TryGetProperty(name, out var member) ? new JsonField(Metadata, $"{Field}.{name}", member)
            : throw Error($"has no '{name}'");
    }

    /// <summary>A finite number.</summary>
    public double Double()
    {
        Expect(JsonValueKind.Number, "a number");
        return Value.TryGetDouble(out double d) && double.IsFinite(d) ? d : throw Error($"must be a finite number, got {Value.GetRawText()}");
    }

    /// <summary>A finite number, or an infinity written as the string <c>"Infinity"</c> or <c>"-Infinity"</c>.</summary>
    public double DoubleOrInfinity() => Value.ValueKind != JsonValueKind.String ? Double() : Value.GetString() switch
    {
        "Infinity" => double.PositiveInfinity,
        "-Infinity" => double.NegativeInfinity,
        var text => throw Error($"must be a finite number, \"Infinity\" or \"-Infinity\", got {CheckpointMetadata.Quote(text!)}"),
    };

    /// <summary>A whole number within <see cref="long"/>'s range.</summary>
    public long Int64()
    {
        Expect(JsonValueKind.Number, "a whole number");
        return Value.TryGetInt64(out long n) ? n : throw Error($"must be a whole number from {long.MinValue} to {long.MaxValue}, got {Value.GetRawText()}");
    }

    /// <summary>A whole number within <see cref="int"/>'s range.</summary>
    public int Int32()
    {
        Expect(JsonValueKind.Number, "a whole number");
        return Value.TryGetInt32(out int n) ? n : throw Error($"must be a whole number from {int.MinValue} to {int.MaxValue}, got {Value.GetRawText()}");
    }

    /// <summary>A string.</summary>
    public string String()
    {
        Expect(JsonValueKind.String, "a string");
        return Value.GetString()!;
    }

    /// <summary>A 64-bit word written as a decimal string (JSON numbers lose precision past 2^53).</summary>
    public ulong Word() => ulong.TryParse(String(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong w) ? w
        : throw Error($"must be a whole number from 0 to {ulong.MaxValue} written as a string, got {CheckpointMetadata.Quote(Value.GetString()!)}");

    private void Expect(JsonValueKind kind, string what)
    {
        if (Value.ValueKind != kind) throw Error($"must be {what}, got {Describe(Value)}");
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "the string " + CheckpointMetadata.Quote(value.GetString()!),
        JsonValueKind.Null => "null",
        _ => CheckpointMetadata.Quote(value.GetRawText()),
    };
}
