using System.Diagnostics;

namespace Descent.Distributed.Tests;

/// <summary>How a bounded run ended: the exit code (−1 when the run was killed at its bound), what it wrote, how long it took.</summary>
public sealed record RunResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed, bool TimedOut)
{
    /// <summary>Both streams, for assertions that do not care which one a line went to.</summary>
    public string Output => StandardOutput + StandardError;

    /// <summary>A description for failure messages.</summary>
    public override string ToString() =>
        $"exit code {ExitCode}{(TimedOut ? " (killed at the bound)" : "")} after {Elapsed.TotalSeconds:0.0} s\n--- stdout\n{StandardOutput}--- stderr\n{StandardError}";
}

/// <summary>
/// Starts programs under <c>mpirun</c> on this machine alone, as the tests need them: loopback networking only, as root
/// if need be, more ranks than cores allowed, every run bounded by a time after which the whole process tree is killed.
/// </summary>
/// <example><code>
/// RunResult r = MpiRun.Dotnet(2, WorkerTests.Dll, ["alltoall"]);
/// RunResult r = MpiRun.Run(2, "/bin/hostname", [], TimeSpan.FromSeconds(30));
/// </code></example>
public static class MpiRun
{
    /// <summary>The xunit collection of tests that launch MPI jobs: they run one after the other, not beside each other.</summary>
    public const string Collection = "mpirun";

    /// <summary>The bound of a run when none is given.</summary>
    public static TimeSpan DefaultBound { get; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// mpirun's options for a job of <paramref name="ranks"/> ranks on this machine: <c>--allow-run-as-root</c> (CI runs
    /// as root; harmless otherwise), <c>--oversubscribe</c> (more ranks than cores), shared memory between the ranks and
    /// TCP over the loopback interface only, for both MPI's messages and mpirun's own (out-of-band) channel. Binding is
    /// left to mpirun (with 2 ranks, one core each); pass <c>--bind-to none</c> as an extra option if a rank needs several.
    /// </summary>
    public static IReadOnlyList<string> Options(int ranks) =>
    [
        "--allow-run-as-root", "--oversubscribe", "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--mca", "btl", "self,vader,tcp", "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo",
    ];

    /// <summary>The mpirun on PATH.</summary>
    /// <exception cref="InvalidOperationException">There is none: the message says what to install.</exception>
    public static string Executable => BoundedProcess.FindOnPath("mpirun")
        ?? throw new InvalidOperationException("mpirun is not on PATH: install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin; macOS: brew install open-mpi)");

    /// <summary>Runs <paramref name="program"/> with <paramref name="arguments"/> on <paramref name="ranks"/> ranks.</summary>
    /// <param name="ranks">The number of ranks (processes).</param>
    /// <param name="program">The program each rank runs.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="bound">How long the job may run before the whole process tree is killed (default <see cref="DefaultBound"/>).</param>
    /// <param name="environment">Variables to set (a null value removes one) in mpirun's environment, which the ranks inherit.</param>
    /// <param name="workingDirectory">The job's working directory (default: this process's).</param>
    /// <param name="mpirunOptions">More options for mpirun, after <see cref="Options"/> (e.g. <c>--bind-to none</c>).</param>
    public static RunResult Run(int ranks, string program, IEnumerable<string> arguments, TimeSpan? bound = null,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null, IEnumerable<string>? mpirunOptions = null)
    {
        using var job = Start(ranks, program, arguments, environment, workingDirectory, mpirunOptions);
        return job.WaitForEnd(bound ?? DefaultBound);
    }

    /// <summary>Runs a .NET program (<paramref name="dll"/>, with its runtimeconfig beside it) under mpirun, with the dotnet host running the tests.</summary>
    public static RunResult Dotnet(int ranks, string dll, IEnumerable<string> arguments, TimeSpan? bound = null,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null, IEnumerable<string>? mpirunOptions = null) =>
        Run(ranks, BoundedProcess.DotnetHost, [dll, .. arguments], bound, environment, workingDirectory, mpirunOptions);

    /// <summary>
    /// Starts the job as <see cref="Run"/> does and returns at once, for tests that act on a job while it runs (such as
    /// killing one of its ranks); <see cref="RunningProcess.WaitForEnd"/> then bounds it.
    /// </summary>
    public static RunningProcess Start(int ranks, string program, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null, IEnumerable<string>? mpirunOptions = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ranks, 1);
        string[] command = [.. Options(ranks), .. mpirunOptions ?? [], program, .. arguments];
        return BoundedProcess.Start(Executable, command, environment, workingDirectory);
    }

    /// <summary>
    /// The process id of rank <paramref name="rank"/> of the job <paramref name="job"/> started, or null while there is
    /// none: the descendant of mpirun whose environment holds <c>OMPI_COMM_WORLD_RANK</c> = <paramref name="rank"/>
    /// (read from <c>/proc</c>: Linux only).
    /// </summary>
    public static int? RankProcessId(RunningProcess job, int rank)
    {
        ArgumentNullException.ThrowIfNull(job);
        string wanted = "OMPI_COMM_WORLD_RANK=" + rank.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (int pid in ProcessTree.Descendants(job.Id))
        {
            if (ProcessTree.Environment(pid).Contains(wanted)) return pid;
        }
        return null;
    }
}

/// <summary>Runs a program to its end or to a bound, capturing its output.</summary>
public static class BoundedProcess
{
    /// <summary>The dotnet host: the one the SDK names in <c>DOTNET_HOST_PATH</c>, else the <c>dotnet</c> on PATH.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : FindOnPath("dotnet") ?? throw new InvalidOperationException("dotnet is not on PATH and DOTNET_HOST_PATH is not set");

    /// <summary>
    /// Runs <paramref name="program"/> and waits for its end, or kills it and every process it started after
    /// <paramref name="bound"/>. <c>TERM=dumb</c> unless <paramref name="environment"/> says otherwise: the ranks' output
    /// reaches mpirun through a terminal, and .NET would put terminal escapes in it.
    /// </summary>
    public static RunResult Run(string program, IEnumerable<string> arguments, TimeSpan bound,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        using var process = Start(program, arguments, environment, workingDirectory);
        return process.WaitForEnd(bound);
    }

    /// <summary>Starts <paramref name="program"/> as <see cref="Run"/> does, reading its output, and returns at once.</summary>
    public static RunningProcess Start(string program, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["TERM"] = "dumb";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }
        return new RunningProcess(start);
    }

    /// <summary>The full path of <paramref name="name"/> in a directory of PATH, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}

/// <summary>A process started by <see cref="BoundedProcess.Start"/>, its output read as it comes; disposing of it kills what is left of it.</summary>
public sealed class RunningProcess : IDisposable
{
    private readonly Process _process;
    private readonly Stopwatch _clock;
    private readonly Task<string> _stdout, _stderr;

    internal RunningProcess(ProcessStartInfo start)
    {
        _clock = Stopwatch.StartNew();
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        _process.StandardInput.Close();
        _stdout = _process.StandardOutput.ReadToEndAsync();
        _stderr = _process.StandardError.ReadToEndAsync();
    }

    /// <summary>The process's id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether it has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Waits for its end, or kills it and every process it started after <paramref name="bound"/>.</summary>
    public RunResult WaitForEnd(TimeSpan bound)
    {
        bool exited = _process.WaitForExit(bound);
        if (!exited) _process.Kill(entireProcessTree: true);
        // A process that outlived the job could hold the pipes open: wait for their end a while, not for ever.
        Task.WaitAll([_stdout, _stderr], TimeSpan.FromSeconds(30));
        _process.WaitForExit(TimeSpan.FromSeconds(30));
        _clock.Stop();
        return new RunResult(exited ? _process.ExitCode : -1, Finished(_stdout), Finished(_stderr), _clock.Elapsed, !exited);
    }

    /// <summary>Kills the process and every process it started if they still run, and lets go of them.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It ended meanwhile.
        }
        _process.Dispose();
    }

    private static string Finished(Task<string> text) => text.IsCompletedSuccessfully ? text.Result : "(output not closed)\n";
}
