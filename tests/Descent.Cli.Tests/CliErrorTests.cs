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

    private static (int Code, string Err) RunCapturingErrors(Func<int> body)
    {
        var old = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try
        {
            return (Cli.Run(body), error.ToString());
        }
        finally
        {
            Console.SetError(old);
        }
    }

    [Fact]
    public void An_unexpected_exception_is_one_line_naming_its_type_and_the_run_error_code()
    {
        var (code, err) = RunCapturingErrors(() => throw new NullReferenceException("Object reference not set to an instance of an object."));

        Assert.Equal(Cli.RunError, code);
        Assert.Equal("error: internal error: NullReferenceException: Object reference not set to an instance of an object. " +
                     $"(run with DESCENT_DEBUG=1 for the stack trace){Environment.NewLine}", err);
    }

    [Fact]
    public void Descent_debug_adds_the_stack_trace_of_an_unexpected_exception()
    {
        Environment.SetEnvironmentVariable(Cli.DebugVariable, "1");
        try
        {
            var (code, err) = RunCapturingErrors(() => throw new KeyNotFoundException("no such key"));
            Assert.Equal(Cli.RunError, code);
            Assert.StartsWith("error: internal error: KeyNotFoundException: no such key", err, StringComparison.Ordinal);
            Assert.Contains("   at ", err, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Cli.DebugVariable, null);
        }
    }

    [Fact]
    public void An_argument_exception_loses_the_lines_dotnet_appends()
    {
        var (code, err) = RunCapturingErrors(() => throw new ArgumentOutOfRangeException("maxLr", 0.0, "maxLr must be > 0, got 0"));

        Assert.Equal(Cli.RunError, code);
        Assert.Equal($"error: maxLr must be > 0, got 0{Environment.NewLine}", err);
    }

    [Fact]
    public void A_bad_input_file_is_the_usage_error_code()
    {
        var (code, err) = RunCapturingErrors(() => throw new InvalidDataException("data.csv, line 3: 2 fields, expected 3 as on line 1"));

        Assert.Equal(Cli.UsageError, code);
        Assert.Equal($"error: data.csv, line 3: 2 fields, expected 3 as on line 1{Environment.NewLine}", err);
    }

    [Fact]
    public void Json_writes_numbers_that_are_not_finite_as_strings()
    {
        string json = Cli.Json(new Dictionary<string, object?> { ["nan"] = double.NaN, ["inf"] = double.PositiveInfinity, ["minus"] = double.NegativeInfinity, ["none"] = null, ["one"] = 1.5 });

        Assert.Equal("{\"nan\":\"NaN\",\"inf\":\"Infinity\",\"minus\":\"-Infinity\",\"none\":null,\"one\":1.5}", json);
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
        // An unexpected failure is one line too, naming its type.
        Assert.Equal("error: rank 0 of 1: internal error: NullReferenceException: oops (run with DESCENT_DEBUG=1 for the stack trace)",
            Commands.TrainCommand.AbortMessage(single, new NullReferenceException("oops")));
        // Asked for (DESCENT_DEBUG), the stack trace follows the rank.
        Assert.StartsWith("error: rank 0 of 1: Descent.Parallel.CommunicationException: rank 0 of 1: Barrier",
            Commands.TrainCommand.AbortMessage(single, timedOut, withStackTrace: true), StringComparison.Ordinal);
    }
}
