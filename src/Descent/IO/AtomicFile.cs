using System.Diagnostics;
using System.Globalization;

namespace Descent.IO;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new content, never a mix: the bytes go
/// to a temporary file in the same folder, are flushed to disk, and the temporary file is then renamed over the target
/// (a rename within one file system replaces the directory entry in one step).
/// </summary>
/// <remarks>
/// The temporary file is named <c>.NAME.PID.RANDOM.tmp</c>: NAME is the target's file name, PID the writing process's
/// id and RANDOM 32 hex digits. A process killed mid-write leaves its temporary file behind; the next successful save
/// of the same target removes it (see <see cref="IsStale"/>), so crashes do not pile files up in the folder.
/// </remarks>
internal static class AtomicFile
{
    private const string Suffix = ".tmp";
    private const int RandomDigits = 32;

    /// <summary>
    /// How long a temporary file without a process id (<c>.NAME.RANDOM.tmp</c>, written by Descent before the id was
    /// part of the name) must have gone unmodified before a save removes it. A writer changes its file as it writes, so
    /// one untouched for this long belongs to no running save.
    /// </summary>
    internal static readonly TimeSpan UnownedTemporaryAge = TimeSpan.FromHours(1);

    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>. If writing throws, the temporary file is deleted
    /// and the previous file (if any) is left untouched. If the process dies mid-write, the previous file is still
    /// intact; only a stale hidden temporary file (<c>.NAME.PID.RANDOM.tmp</c>) remains next to it, until the next
    /// successful save of the same target removes it.
    /// </summary>
    /// <remarks>
    /// After the rename, the save deletes the target's stale temporary files (<see cref="IsStale"/>): those of
    /// processes that no longer exist, and those without a process id unmodified for <see cref="UnownedTemporaryAge"/>.
    /// It keeps the files of live processes (this one included: another thread may be saving the same target), the
    /// files of other targets, and names it does not recognise. This cleanup is best effort: a failure in it (a file
    /// that vanished, a permission) is ignored and never makes the save throw. Process ids mean something only on one
    /// machine: a folder shared between machines (or between containers with their own process id spaces) can see the
    /// file of a live writer elsewhere removed, which makes that writer's save fail with its previous file intact.
    /// </remarks>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="write">Writes the whole content to the stream it is given.</param>
    /// <param name="wrap">For tests: wraps the file stream (e.g. to fail after some bytes).</param>
    /// <param name="deleteStale">For tests: deletes a stale temporary file (<see cref="File.Delete"/> when null).</param>
    public static void Write(string path, Action<Stream> write, Func<Stream, Stream>? wrap = null, Action<string>? deleteStale = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string temp = TemporaryPath(full);
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Stream target = wrap is null ? file : wrap(file);
                write(target);
                target.Flush();
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        RemoveStaleTemporaries(full, deleteStale ?? File.Delete);
    }

    /// <summary>A new temporary file name for <paramref name="full"/>, in its folder, owned by this process.</summary>
    internal static string TemporaryPath(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, TemporaryName(Path.GetFileName(full), Environment.ProcessId));

    /// <summary>The name <c>.NAME.PID.RANDOM.tmp</c> of a temporary file for the target <paramref name="targetName"/>.</summary>
    internal static string TemporaryName(string targetName, int processId) =>
        Prefix(targetName) + processId.ToString(CultureInfo.InvariantCulture) + "." + Guid.NewGuid().ToString("N") + Suffix;

    private static string Prefix(string targetName) => "." + targetName + ".";

    /// <summary>
    /// Whether the file <paramref name="file"/> is an abandoned temporary file of the target <paramref name="targetName"/>:
    /// named <c>.NAME.PID.RANDOM.tmp</c> with a PID that is not this process's and that no running process has; or
    /// named <c>.NAME.RANDOM.tmp</c> (the format without a process id) and last written more than
    /// <see cref="UnownedTemporaryAge"/> before <paramref name="nowUtc"/>. Any other name (another target's temporary
    /// file, a user's file) is not stale. A reused process id keeps a dead writer's file: the safe direction.
    /// </summary>
    internal static bool IsStale(FileInfo file, string targetName, DateTime nowUtc)
    {
        string name = file.Name;
        string prefix = Prefix(targetName);
        if (name.Length <= prefix.Length + Suffix.Length
            || !name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(Suffix, StringComparison.Ordinal))
            return false;
        var middle = name.AsSpan(prefix.Length, name.Length - prefix.Length - Suffix.Length);
        int dot = middle.IndexOf('.');
        if (dot < 0) return IsRandom(middle) && nowUtc - file.LastWriteTimeUtc > UnownedTemporaryAge;
        if (!IsRandom(middle[(dot + 1)..])) return false;
        if (!int.TryParse(middle[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out int processId) || processId <= 0) return false;
        return processId != Environment.ProcessId && !IsProcessAlive(processId);
    }

    private static bool IsRandom(ReadOnlySpan<char> s) => s.Length == RandomDigits && !s.ContainsAnyExcept("0123456789abcdef");

    /// <summary>
    /// Whether a process with id <paramref name="processId"/> exists on this machine (on Unix, <c>kill(pid, 0)</c>
    /// succeeds or is refused for permission). A process that has exited but not been reaped still counts as alive.
    /// </summary>
    internal static bool IsProcessAlive(int processId)
    {
        if (processId == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(processId);
            return true;
        }
        catch (ArgumentException)
        {
            return false; // no running process has this id
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
        {
            return true; // undecidable (or no process list on this platform): keeping the file is the safe answer
        }
    }

    /// <summary>Deletes the stale temporary files of <paramref name="full"/> (<see cref="IsStale"/>), ignoring failures.</summary>
    private static void RemoveStaleTemporaries(string full, Action<string> delete)
    {
        try
        {
            var folder = new DirectoryInfo(Path.GetDirectoryName(full)!);
            string targetName = Path.GetFileName(full);
            var now = DateTime.UtcNow;
            // The pattern only narrows the listing; IsStale decides on the exact name.
            foreach (var file in folder.EnumerateFiles(Prefix(targetName) + "*" + Suffix))
            {
                if (!IsStale(file, targetName, now)) continue;
                try
                {
                    delete(file.FullName);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Gone already, or not ours to delete: leave it and go on with the others.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or System.Security.SecurityException or NotSupportedException)
        {
            // Best effort: the save itself has succeeded, and a failed listing must not undo that for the caller.
        }
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (IOException)
        {
            // Best effort: the original exception matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
