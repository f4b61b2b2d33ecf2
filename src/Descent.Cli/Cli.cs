using Spectre.Console;

namespace Descent.Cli;

/// <summary>Runs a command's body and turns the errors a user can cause into a message and an exit code, never a stack trace.</summary>
internal static class Cli
{
    /// <summary>Exit code for a mistake on the command line.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for a failure while running (bad data, divergence, I/O, a collective that failed or timed out).</summary>
    public const int RunError = 1;

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            Error(e.Message);
            return UsageError;
        }
        catch (Exception e) when (ExitCodeOf(e) == RunError)
        {
            Error(e.Message);
            return RunError;
        }
    }

    /// <summary>The exit code <see cref="Run"/> gives for <paramref name="e"/>, or null for an exception it lets through.</summary>
    public static int? ExitCodeOf(Exception e) => e switch
    {
        UsageException => UsageError,
        ArgumentException or InvalidOperationException or InvalidDataException or IOException or UnauthorizedAccessException or FormatException
            or Parallel.CommunicationException => RunError,
        _ => null,
    };

    private static void Error(string message) => Console.Error.WriteLine("error: " + message);
}
