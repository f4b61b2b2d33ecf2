using System.Diagnostics;
using System.Globalization;

namespace Descent.Fuzz;

/// <summary>
/// The folder where fuzz inputs are written before a reader opens them: <c>descent-fuzz-&lt;pid&gt;</c> in
/// <c>/dev/shm</c> when it exists (memory, so an input costs no disk write), else in the temporary folder. One per
/// process, so parallel fuzzers and test runs never share a file; folders of processes that are gone are removed
/// when the next one starts.
/// </summary>
internal static class WorkFolder
{
    private const string Prefix = "descent-fuzz-";
    private static readonly Lazy<string> s_path = new(Create);

    /// <summary>This process's folder (created on first use).</summary>
    public static string Path => s_path.Value;

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="fileName"/> in the folder and returns the file's full path.</summary>
    public static string Write(string fileName, byte[] bytes)
    {
        string path = System.IO.Path.Combine(Path, fileName);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Removes this process's folder, if it was created.</summary>
    public static void Delete()
    {
        if (s_path.IsValueCreated && Directory.Exists(s_path.Value)) Directory.Delete(s_path.Value, recursive: true);
    }

    private static string Create()
    {
        string parent = Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        RemoveStale(parent);
        string path = System.IO.Path.Combine(parent, Prefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(path);
        return path;
    }

    // A folder whose process has exited (afl-fuzz kills its targets, so none cleans up after itself).
    private static void RemoveStale(string parent)
    {
        foreach (var dir in Directory.EnumerateDirectories(parent, Prefix + "*"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir).AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                || pid == Environment.ProcessId || IsRunning(pid)) continue;
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { } // another process removed it first
            catch (UnauthorizedAccessException) { } // another user's
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
