namespace Descent.Distributed.Tests;

/// <summary>The processes below a process, and a process's environment, as Linux's <c>/proc</c> shows them.</summary>
internal static class ProcessTree
{
    /// <summary>Every process started, directly or not, by <paramref name="root"/> and still alive.</summary>
    public static IReadOnlyList<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out int pid) && ParentOf(pid) is int parent) parents[pid] = parent;
        }
        var found = new List<int>();
        var frontier = new Queue<int>([root]);
        while (frontier.TryDequeue(out int parent))
        {
            foreach (var (pid, _) in parents.Where(p => p.Value == parent))
            {
                found.Add(pid);
                frontier.Enqueue(pid);
            }
        }
        return found;
    }

    /// <summary>The variables NAME=VALUE a process was started with; none once it has ended.</summary>
    public static IReadOnlySet<string> Environment(int pid)
    {
        string? text = ReadOrNull($"/proc/{pid}/environ");
        return text is null ? new HashSet<string>() : text.Split('\0', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    }

    // /proc/PID/stat is "PID (COMMAND) STATE PPID ...", and COMMAND may itself hold spaces and parentheses.
    private static int? ParentOf(int pid)
    {
        string? stat = ReadOrNull($"/proc/{pid}/stat");
        if (stat is null) return null;
        string[] afterCommand = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return afterCommand.Length > 1 && int.TryParse(afterCommand[1], out int parent) ? parent : null;
    }

    // A process may end between listing /proc and reading its files.
    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
