using System.Text.Json;
using Xunit;

namespace Descent.Distributed.Tests;

/// <summary>
/// The command line <c>descent</c> as a user starts it: in a process of its own, alone or as every rank of an MPI job.
/// Each run is bounded; a run's data sets are found from the tests' folder, inside the repository.
/// </summary>
internal static class DescentCli
{
    /// <summary>The command line's dll, copied next to the tests' by the project reference.</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "Descent.Cli.dll");

    /// <summary>The bound of one run: far above what any run here needs, so that only a hang reaches it.</summary>
    public static TimeSpan Bound { get; } = TimeSpan.FromSeconds(90);

    /// <summary>The variables by which a process knows it was started by mpirun, removed for a run that must not be.</summary>
    private static readonly Dictionary<string, string?> NotLaunched = new()
    {
        ["OMPI_COMM_WORLD_SIZE"] = null, ["OMPI_COMM_WORLD_RANK"] = null, ["PMIX_RANK"] = null, ["PMI_RANK"] = null,
    };

    /// <summary>Runs <c>descent</c> with <paramref name="arguments"/> in one process, not in an MPI job.</summary>
    public static RunResult Run(params string[] arguments) =>
        BoundedProcess.Run(BoundedProcess.DotnetHost, [Dll, .. arguments], Bound, NotLaunched);

    /// <summary>Runs <c>descent</c> with <paramref name="arguments"/> on every rank of a job of <paramref name="ranks"/>.</summary>
    public static RunResult Mpirun(int ranks, params string[] arguments) => MpiRun.Dotnet(ranks, Dll, arguments, Bound);

    /// <summary>
    /// The one JSON document of a successful run's standard output: the run must have exited with 0 and printed that
    /// document alone, on one line (one rank speaking, nothing else on the stream).
    /// </summary>
    public static JsonElement Json(RunResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        string[] lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line of JSON on stdout, got {lines.Length}\n{result}");
        using var document = JsonDocument.Parse(lines[0]); // throws on anything after the document
        return document.RootElement.Clone();
    }

    /// <summary>The SHA-256 of the trained weights that a run printed with <c>--json</c>.</summary>
    public static string WeightsSha256(JsonElement json)
    {
        string sha = json.GetProperty("weights_sha256").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", sha);
        return sha;
    }

    /// <summary>The epochs a run trained, as <c>--json</c> lists them in its history.</summary>
    public static int[] EpochsTrained(JsonElement json) =>
        [.. json.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("epoch").GetInt32())];

    /// <summary>How many times <paramref name="text"/> occurs in <paramref name="output"/>.</summary>
    public static int Occurrences(string output, string text)
    {
        int count = 0;
        for (int at = output.IndexOf(text, StringComparison.Ordinal); at >= 0; at = output.IndexOf(text, at + text.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}

/// <summary>A fresh folder under the system's temporary folder, deleted with what it holds at the end of a test.</summary>
internal sealed class TemporaryFolder : IDisposable
{
    public TemporaryFolder(string prefix) => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>A path inside the folder.</summary>
    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
