using Descent.Tests;
using System.Diagnostics;

namespace Descent.Packages.Tests;

/// <summary>What a finished command printed and how it ended.</summary>
internal sealed record CommandResult(string CommandLine, int ExitCode, string Out, string Err)
{
    /// <summary>The command line, exit code and both streams, for assertion messages.</summary>
    public string Describe() => $"{CommandLine}\nexit code {ExitCode}\n--- stdout ---\n{Out}\n--- stderr ---\n{Err}";
}

/// <summary>
/// Runs a program (dotnet, or the installed tool) to its end in a working folder, with this process's environment less
/// the variables that would tie a child dotnet to the test host's own build, plus the given ones.
/// </summary>
internal static class Command
{
    /// <summary>
    /// How long one command may take before it counts as hung: generous, since the machine may be busy (packing the
    /// tool builds three platforms); it only guards against hangs and is never a timing assertion.
    /// </summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(20);

    /// <summary>The dotnet host that runs these tests (the SDK's), else dotnet on the PATH.</summary>
    public static string Dotnet { get; } = DotnetHost.Path;

    /// <summary>Runs <paramref name="program"/> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>.</summary>
    /// <exception cref="TimeoutException">It ran longer than <see cref="Patience"/>; it and its children are killed.</exception>
    public static CommandResult Run(string program, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        // A child dotnet must find its own MSBuild and SDK, not the test host's.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToArray())
            start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }
        string commandLine = $"(in {workingDirectory}) {program} {string.Join(' ', start.ArgumentList)}";

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {commandLine}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Patience))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{commandLine} still ran after {Patience.TotalMinutes} minutes");
        }
        // The streams end with the process (build servers are disabled, so no grandchild keeps them open).
        Task.WaitAll([stdout, stderr], Patience);
        return new CommandResult(commandLine, process.ExitCode, stdout.Result, stderr.Result);
    }

}
