using System.Text.Json;

namespace Descent.Cli;

/// <summary>
/// Runs a command's body and turns every error into one line on standard error and an exit code, never a stack trace:
/// 2 for a bad argument or a bad input file, 1 for a failure while running. An exception no part of the command line
/// expects (a bug) is one line too, naming its type; <c>DESCENT_DEBUG=1</c> adds its stack trace.
/// </summary>
internal static class Cli
{
    /// <summary>Exit code for a mistake on the command line, or a file it names that cannot be read (a corrupt checkpoint or CSV).</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for a failure while running (divergence, I/O, a collective that failed or timed out, an internal error).</summary>
    public const int RunError = 1;

    /// <summary>The environment variable that, set to 1, adds the stack trace to an internal error.</summary>
    public const string DebugVariable = "DESCENT_DEBUG";

    /// <summary>Runs <paramref name="body"/>: its exit code, or that of the exception it threw, which is printed as one line.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception caught)
        {
            // A failure inside a parallel loop comes wrapped; the one inside is what went wrong.
            var e = caught is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : caught;
            Console.Error.WriteLine(ErrorLine(e));
            if (ExitCodeOf(e) is null && Debug) Console.Error.WriteLine(caught.ToString());
            return ExitCodeOf(e) ?? RunError;
        }
    }

    /// <summary>
    /// The exit code <see cref="Run"/> gives for <paramref name="e"/>, or null for an exception nothing expects (an
    /// internal error, which <see cref="Run"/> ends with <see cref="RunError"/>).
    /// </summary>
    public static int? ExitCodeOf(Exception e) => e switch
    {
        UsageException or InvalidDataException => UsageError,
        RunException or ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException or FormatException
            or OutOfMemoryException or Parallel.CommunicationException => RunError,
        _ => null,
    };

    /// <summary>The line <see cref="Run"/> prints for <paramref name="e"/>: "error: " and the message on one line, or the internal error's type and message.</summary>
    public static string ErrorLine(Exception e) => "error: " + Describe(e);

    /// <summary>The message of <paramref name="e"/> on one line; for an internal error, its type, the message and how to see the stack trace.</summary>
    public static string Describe(Exception e) => ExitCodeOf(e) is null
        ? $"internal error: {e.GetType().Name}: {OneLine(e)} (run with {DebugVariable}=1 for the stack trace)"
        : OneLine(e);

    /// <summary>
    /// The message of <paramref name="e"/> on one line: without the "(Parameter 'x')" and "Actual value was" that .NET
    /// appends to an argument exception's message, and with any line breaks made spaces.
    /// </summary>
    public static string OneLine(Exception e)
    {
        string message = e.Message;
        if (e is ArgumentException { ParamName: { Length: > 0 } name })
        {
            int cut = message.LastIndexOf($" (Parameter '{name}')", StringComparison.Ordinal);
            if (cut >= 0) message = message[..cut];
        }
        return string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    /// <summary>
    /// Reads a file the command line named (<paramref name="option"/> <paramref name="path"/>): every failure that says the
    /// file is not what it should be (corrupt, truncated, not of this model) becomes an <see cref="InvalidDataException"/>
    /// whose one-line message names the option and the file, so that it ends the run with <see cref="UsageError"/>. The
    /// type of an exception other than the documented ones is kept in the message: a reader that let it through has a bug.
    /// </summary>
    public static T ReadFile<T>(string option, string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (SaysTheFileIsBad(e))
        {
            string message = e is InvalidDataException or ArgumentException or InvalidOperationException ? OneLine(e) : $"{e.GetType().Name}: {OneLine(e)}";
            throw new InvalidDataException($"{option}: {(message.StartsWith(path, StringComparison.Ordinal) ? message : $"{path}: {message}")}", e);
        }
    }

    /// <summary>Reads a file the command line named, as <see cref="ReadFile{T}"/> does, for a read that returns nothing.</summary>
    public static void ReadFile(string option, string path, Action read) => ReadFile(option, path, () =>
    {
        read();
        return 0;
    });

    /// <summary>Serialises <paramref name="value"/> as the commands' <c>--json</c> output does: NaN and infinities as the strings "NaN", "Infinity" and "-Infinity".</summary>
    public static string Json(object value) => JsonSerializer.Serialize(value, JsonOptions);

    /// <summary>
    /// The options of every <c>--json</c> output: a number that is not finite (the loss of a run that diverged) is written
    /// as the string "NaN", "Infinity" or "-Infinity" (JSON has no such numbers), and null keeps meaning "does not apply".
    /// </summary>
    public static JsonSerializerOptions JsonOptions { get; } = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>True when <see cref="DebugVariable"/> asks for the stack trace of an internal error.</summary>
    public static bool Debug => Environment.GetEnvironmentVariable(DebugVariable) is "1" or "true";

    private static bool SaysTheFileIsBad(Exception e) => e is InvalidDataException or EndOfStreamException or JsonException or FormatException or OverflowException
        or InvalidCastException or KeyNotFoundException or IndexOutOfRangeException or ArgumentException or NullReferenceException
        or InvalidOperationException;
}

/// <summary>A mistake on the command line: printed as a message (no stack trace) with exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>A run that failed after it started (the weights diverged): printed as a message with exit code 1.</summary>
internal sealed class RunException(string message) : Exception(message);
