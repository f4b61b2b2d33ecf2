using System.CommandLine;
using System.CommandLine.Invocation;
using Descent.Cli.Commands;

namespace Descent.Cli;

/// <summary>The <c>descent</c> command line: every command, parsed and run.</summary>
internal static class CliApp
{
    /// <summary>Runs the command line and returns the exit code (0 success, 1 run failure, 2 usage error).</summary>
    public static int Invoke(string[] args)
    {
        var root = new RootCommand("Descent: gradient-based optimisation for .NET — run optimizers side by side, train models, minimise functions.")
        {
            LabCommand.Create(),
            MinimizeCommand.Create(),
            TrainCommand.Create(),
            BenchCommand.Create(),
            ListCommands.Functions(),
            ListCommands.Optimizers(),
        };
        var result = root.Parse(args);
        // A parse error (unknown command or option, a value of the wrong type) is a usage error: one line naming the
        // option and what it expects, not System.CommandLine's own report (a line per error, .NET type names, the help).
        // --help clears the errors and runs.
        if (result.Action is ParseErrorAction)
        {
            Console.Error.WriteLine("error: " + ParseErrors.Describe(result));
            return Cli.UsageError;
        }
        return Cli.Run(() => result.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
    }
}
