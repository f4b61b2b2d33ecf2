namespace Descent.Fuzz;

/// <summary>
/// One reader call on a fuzz input and what it did: the exception it threw (null when it loaded), the bytes it
/// allocated on its thread, and the bound those bytes must keep.
/// </summary>
/// <param name="Target">The fuzz target (<see cref="FuzzTargets.Names"/>).</param>
/// <param name="Reader">The call, e.g. <c>Mnist.ReadImages(path)</c>.</param>
/// <param name="Path">The file the reader was given; null for an in-memory reader, whose errors name no file.</param>
/// <param name="Error">What the call threw, or null when it returned.</param>
/// <param name="InputBytes">The bytes the reader was given (<see cref="AllocationBound.InputBytes"/>).</param>
/// <param name="AllocatedBytes">Bytes allocated on the calling thread during the call.</param>
/// <param name="BoundBytes">The most the call may allocate (<see cref="AllocationBound.For"/>).</param>
/// <param name="Broken">Another broken promise (a failed load that changed its objects, readers that disagree), or null.</param>
internal sealed record ReaderCall(string Target, string Reader, string? Path, Exception? Error, long InputBytes, long AllocatedBytes, long BoundBytes, string? Broken = null)
{
    /// <summary>
    /// How the call broke the contract, or null when it kept it: it either returned or threw
    /// <see cref="InvalidDataException"/> whose message names the file, allocated at most <see cref="BoundBytes"/>,
    /// and broke nothing else.
    /// </summary>
    public string? Violation
    {
        get
        {
            if (Error is not null and not InvalidDataException)
                return $"{Reader} threw {Error.GetType().FullName}, not InvalidDataException: {Error.Message}";
            if (Error is not null && Path is not null && !Error.Message.Contains(Path, StringComparison.Ordinal))
                return $"{Reader} threw InvalidDataException whose message does not name the file {Path}: {Error.Message}";
            if (AllocatedBytes > BoundBytes)
                return $"{Reader} allocated {AllocatedBytes:N0} bytes, more than its bound of {BoundBytes:N0}";
            return Broken;
        }
    }

    /// <summary>The error's message with the file's path replaced by <c>&lt;file&gt;</c>, to count distinct messages.</summary>
    public string? MessageWithoutPath => Error is null ? null : Path is null ? Error.Message : Error.Message.Replace(Path, "<file>", StringComparison.Ordinal);
}

/// <summary>Thrown by the fuzzing harness when a reader breaks the contract, so that afl-fuzz records the input as a crash.</summary>
internal sealed class ContractViolationException : Exception
{
    /// <summary>Creates the exception for a broken contract; <paramref name="inner"/> is the reader's own exception, if any.</summary>
    public ContractViolationException(string message, Exception? inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ContractViolationException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public ContractViolationException()
    {
    }
}
