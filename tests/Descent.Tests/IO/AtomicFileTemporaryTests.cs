using System.Diagnostics;
using System.Text.RegularExpressions;
using Descent.IO;

namespace Descent.Tests.IO;

/// <summary>
/// The temporary files of atomic saves: named after the writing process, and those a dead process left behind are
/// removed by the next save of the same target, while a live writer's, another target's and unknown files stay.
/// </summary>
public partial class AtomicFileTemporaryTests
{
    private const string Target = "model.safetensors";
    private static readonly byte[] Content = [1, 2, 3, 4, 5, 6, 7, 8];

    [GeneratedRegex(@"^\.model\.safetensors\.(?<pid>[0-9]+)\.[0-9a-f]{32}\.tmp$")]
    private static partial Regex TemporaryNamePattern();

    private static void Save(string path, Action<string>? deleteStale = null) => AtomicFile.Write(path, s => s.Write(Content), deleteStale: deleteStale);

    /// <summary>A file in <paramref name="folder"/> with a few bytes, as a crashed writer leaves one.</summary>
    private static string Leftover(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, [9, 9, 9]);
        return path;
    }

    /// <summary>The id of a process that has run and exited (and been reaped): no process has it now.</summary>
    private static int DeadProcessId()
    {
        using var done = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        done.WaitForExit();
        return done.Id;
    }

    /// <summary>A process that sleeps until killed: a live writer other than this process.</summary>
    private static Process Sleeper() => Process.Start(new ProcessStartInfo("sleep", ["600"]) { UseShellExecute = false })!;

    private static string[] Names(string folder) => Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void TheTemporaryFileIsNamedAfterTheWritingProcess()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, Target);
        string[] during = [];
        AtomicFile.Write(path, s => s.Write(Content), wrap: s =>
        {
            during = Names(dir.Path);
            return s;
        });

        var match = TemporaryNamePattern().Match(Assert.Single(during));
        Assert.True(match.Success, during[0]);
        Assert.Equal(Environment.ProcessId, int.Parse(match.Groups["pid"].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([Target], Names(dir.Path));
        Assert.Equal(Content, File.ReadAllBytes(path));
    }

    [Fact]
    public void ADeadProcesssTemporaryFileIsRemovedByTheNextSave()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, Target);
        int dead = DeadProcessId();
        Assert.False(AtomicFile.IsProcessAlive(dead));
        Leftover(dir.Path, AtomicFile.TemporaryName(Target, dead));
        Leftover(dir.Path, AtomicFile.TemporaryName(Target, dead));

        Save(path);

        Assert.Equal([Target], Names(dir.Path));
    }

    [Fact]
    public void ALiveProcesssTemporaryFileIsKept()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, Target);
        using var sleeper = Sleeper();
        try
        {
            Assert.True(AtomicFile.IsProcessAlive(sleeper.Id));
            // Another process saving the same target now, and another thread of this one.
            string other = Leftover(dir.Path, AtomicFile.TemporaryName(Target, sleeper.Id));
            string own = Leftover(dir.Path, AtomicFile.TemporaryName(Target, Environment.ProcessId));

            Save(path);

            Assert.True(File.Exists(other));
            Assert.True(File.Exists(own));
            Assert.Equal(3, Names(dir.Path).Length);
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [Fact]
    public void AnotherTargetsTemporaryFilesAreUntouched()
    {
        using var dir = new TempFolder();
        int dead = DeadProcessId();
        string[] others =
        [
            Leftover(dir.Path, AtomicFile.TemporaryName("other.safetensors", dead)),
            Leftover(dir.Path, AtomicFile.TemporaryName("safetensors", dead)), // a target whose name ends ours…
            Leftover(dir.Path, AtomicFile.TemporaryName(Target + ".bak", dead)), // …or starts with it
            Leftover(dir.Path, "." + Target + ".bak." + Guid.NewGuid().ToString("N") + ".tmp"),
        ];
        foreach (var file in others) File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-2));

        Save(Path.Combine(dir.Path, Target));

        Assert.All(others, f => Assert.True(File.Exists(f), f));
    }

    [Fact]
    public void ATemporaryFileWithoutAProcessIdIsRemovedOnlyOnceOld()
    {
        // The format of earlier versions, .NAME.RANDOM.tmp: no writer to ask, so the file's age decides.
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, Target);
        string recent = Leftover(dir.Path, "." + Target + "." + Guid.NewGuid().ToString("N") + ".tmp");
        string old = Leftover(dir.Path, "." + Target + "." + Guid.NewGuid().ToString("N") + ".tmp");
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow - AtomicFile.UnownedTemporaryAge - TimeSpan.FromMinutes(5));

        Save(path);

        Assert.True(File.Exists(recent));
        Assert.False(File.Exists(old));
    }

    [Theory]
    [InlineData(".model.safetensors.notes.tmp")]
    [InlineData(".model.safetensors.12x.0123456789abcdef0123456789abcdef.tmp")]
    [InlineData(".model.safetensors.-5.0123456789abcdef0123456789abcdef.tmp")]
    [InlineData(".model.safetensors.0.0123456789abcdef0123456789abcdef.tmp")]
    [InlineData(".model.safetensors.{dead}.0123456789abcdef.tmp")]
    [InlineData(".model.safetensors.{dead}.0123456789ABCDEF0123456789ABCDEF.tmp")]
    [InlineData(".model.safetensors.{dead}.0123456789abcdef0123456789abcdef.x.tmp")]
    [InlineData(".model.safetensors.99999999999.0123456789abcdef0123456789abcdef.tmp")]
    [InlineData(".model.safetensors..tmp")]
    public void AnUnrecognisedNameIsKeptWhateverItsAge(string pattern)
    {
        using var dir = new TempFolder();
        string name = pattern.Replace("{dead}", DeadProcessId().ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        string file = Leftover(dir.Path, name);
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-30));

        Save(Path.Combine(dir.Path, Target));

        Assert.True(File.Exists(file));
    }

    [Theory]
    [InlineData(typeof(IOException))]
    [InlineData(typeof(UnauthorizedAccessException))]
    [InlineData(typeof(FileNotFoundException))]
    [InlineData(typeof(DirectoryNotFoundException))]
    public void AFailureWhileCleaningDoesNotFailTheSave(Type failure)
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, Target);
        int dead = DeadProcessId();
        string first = Leftover(dir.Path, AtomicFile.TemporaryName(Target, dead));
        string second = Leftover(dir.Path, AtomicFile.TemporaryName(Target, dead));
        int calls = 0;

        // The first deletion fails; the save still succeeds, and the next file is still deleted.
        Save(path, deleteStale: f =>
        {
            if (calls++ == 0) throw (Exception)Activator.CreateInstance(failure, "cannot delete " + f)!;
            File.Delete(f);
        });

        Assert.Equal(Content, File.ReadAllBytes(path));
        Assert.Equal(2, calls);
        Assert.Single(new[] { first, second }, File.Exists);
    }

    [Fact]
    public void ProcessLiveness()
    {
        Assert.True(AtomicFile.IsProcessAlive(Environment.ProcessId));
        Assert.False(AtomicFile.IsProcessAlive(DeadProcessId()));
        using var sleeper = Sleeper();
        try
        {
            Assert.True(AtomicFile.IsProcessAlive(sleeper.Id));
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
        Assert.False(AtomicFile.IsProcessAlive(sleeper.Id));
    }
}
