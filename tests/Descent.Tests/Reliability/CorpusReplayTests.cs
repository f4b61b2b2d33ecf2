using System.IO.Compression;
using Descent.Fuzz;

namespace Descent.Tests.Reliability;

/// <summary>
/// Replays every committed fuzz input (fuzz/corpus/&lt;target&gt;/* and fuzz/crashes/&lt;target&gt;/*) through the fuzz
/// harness's own targets: each reader loads or throws InvalidDataException naming the file, allocates within
/// <see cref="AllocationBound"/> (GC.GetAllocatedBytesForCurrentThread, never timing), changes nothing when it fails,
/// and keeps the promise of the file's name (ok- loads, bad- is refused). One row per file, so a failure names it.
/// Checkpoint loads set the default generator (restored afterwards), so these run alone.
/// </summary>
[Collection(DefaultGeneratorCollection.Name)]
public sealed class CorpusReplayTests : IClassFixture<CorpusReplayTests.WorkFolderCleanup>
{
    /// <summary>Removes the harness's work folder after the class's tests.</summary>
    public sealed class WorkFolderCleanup : IDisposable
    {
        public void Dispose() => WorkFolder.Delete();
    }

    private static IEnumerable<string> InputFiles() =>
        new[] { "fuzz/corpus", "fuzz/crashes" }
            .Select(RepositoryFiles.PathOf)
            .Where(Directory.Exists)
            .SelectMany(root => Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Select(f => Path.GetRelativePath(RepositoryFiles.Root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    public static TheoryData<string> Files() => new(InputFiles());

    [Theory]
    [MemberData(nameof(Files))]
    public void EveryReaderKeepsTheContract(string file)
    {
        string target = file.Split('/')[2];
        var calls = FuzzTargets.Run(target, File.ReadAllBytes(RepositoryFiles.PathOf(file)));
        Assert.NotEmpty(calls);
        var broken = calls.Select(c => c.Violation).OfType<string>().ToList();
        if (FuzzTargets.ExpectationFailure(Path.GetFileName(file), calls) is string promise) broken.Add(promise);
        Assert.True(broken.Count == 0, $"{file}:\n" + string.Join("\n", broken));
    }

    [Fact]
    public void EveryTargetHasASmallCorpusOfValidAndDamagedFiles()
    {
        var files = InputFiles().ToList();
        foreach (var target in FuzzTargets.Names)
        {
            var names = files.Where(f => f.StartsWith($"fuzz/corpus/{target}/", StringComparison.Ordinal)).Select(Path.GetFileName).ToList();
            Assert.Contains(names, n => n!.StartsWith("ok-", StringComparison.Ordinal));
            Assert.Contains(names, n => n!.StartsWith("bad-", StringComparison.Ordinal));
        }
        Assert.True(files.Sum(f => new FileInfo(RepositoryFiles.PathOf(f)).Length) < 2 << 20, "the committed fuzz inputs must stay under 2 MiB");
    }

    [Fact]
    public void AnUndocumentedExceptionAMessageWithoutTheFileAndAnAllocationOverTheBoundAreViolations()
    {
        ReaderCall Call(Exception? e, long allocated) => new("csv", "Csv.Read(path)", "/x/input.csv", e, 10, allocated, AllocationBound.For("csv", 10));
        Assert.Null(Call(null, 0).Violation);
        Assert.Null(Call(new InvalidDataException("/x/input.csv: line 2: bad"), 0).Violation);
        Assert.Contains("FormatException", Call(new FormatException("bad"), 0).Violation);
        Assert.Contains("does not name the file", Call(new InvalidDataException("line 2: bad"), 0).Violation);
        Assert.Contains("more than its bound", Call(null, AllocationBound.For("csv", 10) + 1).Violation);
        Assert.Equal("changed", (Call(new InvalidDataException("/x/input.csv"), 0) with { Broken = "changed" }).Violation);
    }

    [Fact]
    public void TheBoundOfAGzipFileCountsTheBytesItDecompressesTo()
    {
        var raw = new byte[100_000];
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.SmallestSize, leaveOpen: true)) gz.Write(raw);
        byte[] compressed = ms.ToArray();
        Assert.Equal(compressed.Length + raw.Length, AllocationBound.InputBytes(compressed, gunzips: true));
        Assert.Equal(compressed.Length, AllocationBound.InputBytes(compressed, gunzips: false));
        Assert.Equal(compressed.Length / 2 + CountedUpToTheCut(compressed), AllocationBound.InputBytes(compressed[..(compressed.Length / 2)], gunzips: true));
        Assert.Equal(raw.Length, AllocationBound.InputBytes(raw, gunzips: true)); // no gzip magic: the length alone
    }

    // What a stream cut in half decompresses to before the cut (counted the same way, independently).
    private static long CountedUpToTheCut(byte[] compressed)
    {
        long n = 0;
        var buffer = new byte[4096];
        try
        {
            using var gz = new GZipStream(new MemoryStream(compressed[..(compressed.Length / 2)]), CompressionMode.Decompress);
            for (int r; (r = gz.Read(buffer)) > 0;) n += r;
        }
        catch (InvalidDataException)
        {
        }
        return n;
    }
}
