namespace Descent.Distributed;

/// <summary>
/// MPI cannot be used in this process: Open MPI's library is missing (or is not Open MPI), or the process was not
/// started by <c>mpirun</c>. The message says what to install or how to launch.
/// </summary>
public sealed class MpiUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MpiUnavailableException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public MpiUnavailableException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception without a message.</summary>
    public MpiUnavailableException() { }
}
