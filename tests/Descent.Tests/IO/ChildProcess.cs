using System.Diagnostics;

namespace Descent.Tests.IO;

/// <summary>
/// This test assembly run as a child process with a .NET startup hook (<see cref="StartupHook"/>): instead of the
/// tests, the child runs the role its environment variables name (a save to crash), and the test kills it.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    /// <summary>How long to wait for the child to reach a point: generous, as the machine may be busy; it only guards against hangs.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private readonly Process _process;
    private readonly Task<string> _stderr;

    private ChildProcess(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync(); // drained so that a chatty child never blocks on a full pipe
    }

    /// <summary>The child's process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether the child has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Starts the test assembly with the startup hook and <paramref name="environment"/> added to this process's environment.</summary>
    public static ChildProcess Start(IReadOnlyDictionary<string, string> environment)
    {
        string testAssembly = typeof(ChildProcess).Assembly.Location;
        var start = new ProcessStartInfo(DotnetHost.Path, [testAssembly])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_STARTUP_HOOKS"] = testAssembly;
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return new ChildProcess(Process.Start(start)!);
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, the child exits or <see cref="Patience"/> runs out, and returns
    /// whether the condition holds.
    /// </summary>
    public async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition() && !_process.HasExited && DateTime.UtcNow < deadline) await Task.Delay(10);
        return condition();
    }

    /// <summary>
    /// Kills the child and its descendants if it still runs (SIGKILL on Unix: no handler, no cleanup), and waits until
    /// it has ended and been reaped, so that its process id is free.
    /// </summary>
    public async Task KillAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It ended between the check and the kill.
        }
        await _process.WaitForExitAsync();
    }

    /// <summary>How the child ended and what it wrote to stderr, for assertion messages (or that it still runs).</summary>
    public async Task<string> DescribeAsync() =>
        _process.HasExited ? $"the child exited with code {_process.ExitCode}; stderr: {await _stderr}" : "the child still runs";

    /// <summary>Kills the child if it still runs and releases it.</summary>
    /// <summary>
    /// Asserts that a save after the kill removed the killed child's temporary files (<paramref name="temporaries"/>,
    /// listed after it). Should a new process have taken the child's id since (ids wrap around), the save rightly keeps
    /// them, and only they may remain.
    /// </summary>
    public static void AssertTemporariesRemoved(string[] temporaries, int killedId, string target)
    {
        if (Descent.IO.AtomicFile.IsProcessAlive(killedId))
            Assert.All(temporaries, f => Assert.StartsWith($".{target}.{killedId}.", Path.GetFileName(f), StringComparison.Ordinal));
        else
            Assert.Empty(temporaries);
    }

    public void Dispose()
    {
        KillAsync().GetAwaiter().GetResult();
        _process.Dispose();
    }

}
