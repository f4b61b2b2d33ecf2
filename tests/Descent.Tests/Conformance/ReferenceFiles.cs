using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Descent.Tests.Conformance;

/// <summary>
/// Finds PyTorch's reference files (every <c>PREFIX-*.json</c> in <c>DESCENT_REFERENCE_DIR</c>, by default the
/// repository's <c>reference/</c> copy) and hands out their cases by id, so that a suite runs every case of every
/// file of a format without code changes.
/// </summary>
internal static class ReferenceFiles
{
    public static string Directory
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("DESCENT_REFERENCE_DIR");
            if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;
            return Path.Combine(AppContext.BaseDirectory, "reference");
        }
    }

    /// <summary>Every case of every <c>{prefix}-*.json</c>, keyed by id, with the file's root (for tolerance and descriptions).</summary>
    public static IReadOnlyDictionary<string, (JsonObject Case, JsonObject File)> Cases(string prefix)
    {
        var result = new Dictionary<string, (JsonObject, JsonObject)>(StringComparer.Ordinal);
        if (!System.IO.Directory.Exists(Directory)) return result;
        foreach (var path in System.IO.Directory.GetFiles(Directory, prefix + "-*.json").Order(StringComparer.Ordinal))
        {
            var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            foreach (var c in root["cases"]!.AsArray())
            {
                var obj = c!.AsObject();
                result[obj["id"]!.GetValue<string>()] = (obj, root);
            }
        }
        return result;
    }

    /// <summary>Theory data: one row per case id.</summary>
    public static TheoryData<string> Ids(string prefix)
    {
        var data = new TheoryData<string>();
        foreach (var id in Cases(prefix).Keys) data.Add(id);
        return data;
    }

    public static double[] Doubles(JsonNode? node) =>
        node!.AsArray().Select(v => v is null ? double.NaN : v.GetValue<double>()).ToArray();

    public static int[] Ints(JsonNode? node) => node!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
}

/// <summary>Compares values within <c>|a − b| ≤ atol + rtol·|b|</c> and records the worst errors of a case.</summary>
internal sealed class Tolerance(double rtol, double atol)
{
    public double MaxAbsError { get; private set; }
    public double MaxRelError { get; private set; }
    public List<string> Failures { get; } = [];

    public static Tolerance FromFile(JsonObject file, string? dtype = null)
    {
        var t = file["tolerance"]!.AsObject();
        if (dtype is not null && t[dtype] is JsonObject perDType) t = perDType;
        return new Tolerance(t["rtol"]!.GetValue<double>(), t["atol"]!.GetValue<double>());
    }

    public void Check(string what, ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        if (actual.Length != expected.Length)
        {
            Failures.Add($"{what}: {actual.Length} values, expected {expected.Length}");
            return;
        }
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], b = expected[i];
            if (double.IsNaN(b) && double.IsNaN(a)) continue;
            double abs = Math.Abs(a - b);
            double rel = b == 0 ? (abs == 0 ? 0 : double.PositiveInfinity) : abs / Math.Abs(b);
            if (double.IsNaN(abs)) abs = rel = double.PositiveInfinity;
            if (a == b) abs = rel = 0; // equal infinities
            MaxAbsError = Math.Max(MaxAbsError, abs);
            MaxRelError = Math.Max(MaxRelError, rel);
            if (!(abs <= atol + rtol * Math.Abs(b)) && a != b && Failures.Count < 5)
                Failures.Add(string.Create(CultureInfo.InvariantCulture, $"{what}[{i}]: got {a:R}, expected {b:R} (abs error {abs:E3})"));
        }
    }

    public bool Passed => Failures.Count == 0;
}

/// <summary>Writes one JSON line per case to <c>$DESCENT_CONFORMANCE_REPORT/{format}.jsonl</c> when that variable is set.</summary>
internal static class ConformanceReport
{
    private static readonly Lock Gate = new();

    public static void Record(string format, string id, bool passed, double maxAbs, double maxRel)
    {
        var dir = Environment.GetEnvironmentVariable("DESCENT_CONFORMANCE_REPORT");
        if (string.IsNullOrWhiteSpace(dir)) return;
        var line = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["id"] = id,
            ["passed"] = passed,
            ["max_abs_error"] = Finite(maxAbs),
            ["max_rel_error"] = Finite(maxRel),
        });
        lock (Gate)
        {
            System.IO.Directory.CreateDirectory(dir);
            File.AppendAllText(Path.Combine(dir, format + ".jsonl"), line + "\n");
        }
    }

    private static double Finite(double v) => double.IsFinite(v) ? v : double.MaxValue;

    /// <summary>Records the case and fails the test with the first mismatches when it did not pass.</summary>
    public static void Finish(string format, string id, Tolerance tolerance)
    {
        Record(format, id, tolerance.Passed, tolerance.MaxAbsError, tolerance.MaxRelError);
        Assert.True(tolerance.Passed, $"{id}:\n" + string.Join("\n", tolerance.Failures));
    }

    /// <summary>Records a case that threw before it could be compared, then rethrows.</summary>
    public static void Crashed(string format, string id) => Record(format, id, false, double.PositiveInfinity, double.PositiveInfinity);
}
