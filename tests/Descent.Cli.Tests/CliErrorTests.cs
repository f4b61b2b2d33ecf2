using Descent.Parallel;

namespace Descent.Cli.Tests;

/// <summary>How the command line reports a failure: one line on standard error and an exit code, never a stack trace.</summary>
public class CliErrorTests
{
    [Fact]
    public void A_failed_collective_is_a_one_line_error_with_the_run_error_code()
    {
        const string message = "rank 1 of 2: AllToAll of 940584 bytes did not complete within the timeout of 60 s: another rank died or hangs";
        var old = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        int code;
        try
        {
            code = Cli.Run(() => throw new CommunicationException(message));
        }
        finally
        {
            Console.SetError(old);
        }

        Assert.Equal(Cli.RunError, code);
        Assert.Equal($"error: {message}{Environment.NewLine}", error.ToString());
        // descent train --distributed aborts the whole job with this code when one rank's collective fails.
        Assert.Equal(Cli.RunError, Cli.ExitCodeOf(new CommunicationException(message)));
    }

    [Fact]
    public void A_failing_rank_names_itself_once_in_the_line_it_ends_the_job_with()
    {
        var single = Communicator.Single; // rank 0 of 1
        var timedOut = new CommunicationException("rank 0 of 1: Barrier did not complete within the timeout of 60 s: another rank died or hangs");
        var diverged = new InvalidOperationException("training diverged");

        Assert.Equal("error: rank 0 of 1: Barrier did not complete within the timeout of 60 s: another rank died or hangs",
            Commands.TrainCommand.AbortMessage(single, timedOut));
        Assert.Equal("error: rank 0 of 1: training diverged", Commands.TrainCommand.AbortMessage(single, diverged));
        // An unexpected failure keeps its stack trace, after the rank.
        Assert.StartsWith("error: rank 0 of 1: Descent.Parallel.CommunicationException: rank 0 of 1: Barrier",
            Commands.TrainCommand.AbortMessage(single, timedOut, withStackTrace: true), StringComparison.Ordinal);
    }
}
