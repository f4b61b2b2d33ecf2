using System.Diagnostics;
using Descent.Parallel;

namespace Descent.Distributed;

/// <summary>
/// The ranks of an <c>mpirun</c> job (MPI's <c>MPI_COMM_WORLD</c>), over Open MPI's C library: start the program with
/// <c>mpirun -np 2 dotnet app.dll</c> and call <see cref="World()"/> once in each process.
/// </summary>
/// <remarks>
/// <para>Every collective runs as MPI's non-blocking form (<c>MPI_Ialltoallv</c>, <c>MPI_Iallgatherv</c>,
/// <c>MPI_Ibcast</c>, <c>MPI_Ibarrier</c>), completed by polling <c>MPI_Test</c>, so that it can give up after
/// <see cref="Communicator.Timeout"/> with a <see cref="CommunicationException"/> instead of waiting for ever on a rank
/// that died or hangs. The poll spins and yields for a short while, then sleeps a millisecond between tests, so that a
/// rank waiting for a slower one leaves the cores to the computation.</para>
/// <para>MPI runs at <c>MPI_THREAD_SERIALIZED</c>: any thread may call, one at a time; a lock makes concurrent calls
/// wait for each other. After a failed or timed-out collective the communicator is unusable (its operation may still
/// be pending inside MPI): every later call throws, and the rank should <see cref="Abort"/>.</para>
/// <para>Dispose the communicator (which finalizes MPI) before the process ends: <c>mpirun</c> reports a rank that
/// exits without finalizing as failed.</para>
/// <para>Open MPI 4.1's <c>mpirun</c> binds each rank to one core when there are at most two ranks (then
/// <see cref="Environment.ProcessorCount"/> is 1 in each), to a socket when there are more; <c>--bind-to none</c> lets a
/// rank's threads use every core.</para>
/// </remarks>
public sealed unsafe class MpiCommunicator : Communicator
{
    private static readonly Lock s_worldGate = new();
    private static MpiCommunicator? s_world;
    private static bool s_finalized;

    private readonly MpiLibrary _mpi;
    private readonly Lock _gate = new();
    private volatile bool _aborting;
    private string? _failure;
    private bool _disposed;

    private MpiCommunicator(MpiLibrary mpi, int rank, int size)
    {
        _mpi = mpi;
        Rank = rank;
        Size = size;
    }

    /// <inheritdoc />
    public override int Rank { get; }

    /// <inheritdoc />
    public override int Size { get; }

    /// <summary>The Open MPI library file this process loaded (for example <c>libmpi.so.40</c>).</summary>
    public string LibraryName => _mpi.FileName;

    /// <summary>
    /// True when this process was started by <c>mpirun</c> (or another MPI launcher): its environment holds
    /// <c>OMPI_COMM_WORLD_SIZE</c>, <c>PMIX_RANK</c> or <c>PMI_RANK</c>.
    /// </summary>
    public static bool IsLaunchedByMpirun => IsLaunched(Environment.GetEnvironmentVariable);

    /// <summary>How to start a program under MPI, for messages: <c>mpirun -np 2 &lt;command&gt;</c>.</summary>
    public const string LaunchHint = "start it with mpirun -np 2 <command> (as root add --allow-run-as-root, for more ranks than cores --oversubscribe)";

    /// <summary>
    /// The ranks of this job. The first call initialises MPI (<c>MPI_Init_thread</c> at <c>MPI_THREAD_SERIALIZED</c>,
    /// errors returned as codes rather than aborting); later calls return the same communicator.
    /// </summary>
    /// <exception cref="MpiUnavailableException">Open MPI is not installed, or the process was not started by
    /// <c>mpirun</c> (MPI would otherwise start silently as a group of one).</exception>
    /// <exception cref="InvalidOperationException">MPI was already finalized in this process (by disposing the communicator).</exception>
    public static MpiCommunicator World() => World(MpiLibrary.DefaultNames, Environment.GetEnvironmentVariable);

    /// <summary><see cref="World()"/> with the library files to try and the environment to read, for tests.</summary>
    internal static MpiCommunicator World(IReadOnlyList<string> libraryNames, Func<string, string?> environment)
    {
        lock (s_worldGate)
        {
            if (s_world is { } world) return world;
            if (s_finalized) throw new InvalidOperationException("MPI was finalized in this process (the communicator was disposed); it cannot be initialised again");
            var mpi = MpiLibrary.Load(libraryNames);
            if (!IsLaunched(environment))
                throw new MpiUnavailableException($"this process was not started by mpirun (no OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_RANK in its environment): {LaunchHint}");
            s_world = Initialise(mpi);
            return s_world;
        }
    }

    internal static bool IsLaunched(Func<string, string?> environment) =>
        !string.IsNullOrEmpty(environment("OMPI_COMM_WORLD_SIZE"))
        || !string.IsNullOrEmpty(environment("PMIX_RANK"))
        || !string.IsNullOrEmpty(environment("PMI_RANK"));

    private static MpiCommunicator Initialise(MpiLibrary mpi)
    {
        int initialized;
        Check(mpi, mpi.Initialized(&initialized), "MPI_Initialized");
        if (initialized != 0) throw new InvalidOperationException("MPI was already initialised in this process by other code");
        int provided;
        Check(mpi, mpi.InitThread(null, null, MpiLibrary.ThreadSerialized, &provided), "MPI_Init_thread");
        if (provided < MpiLibrary.ThreadSerialized)
        {
            mpi.Finalize();
            s_finalized = true;
            throw new MpiUnavailableException($"{mpi.FileName} provides thread level {provided}, below the MPI_THREAD_SERIALIZED (2) that Descent.Distributed needs");
        }
        Check(mpi, mpi.CommSetErrhandler(mpi.CommWorld, mpi.ErrorsReturn), "MPI_Comm_set_errhandler");
        int rank, size;
        Check(mpi, mpi.CommRank(mpi.CommWorld, &rank), "MPI_Comm_rank");
        Check(mpi, mpi.CommSize(mpi.CommWorld, &size), "MPI_Comm_size");
        return new MpiCommunicator(mpi, rank, size);
    }

    /// <inheritdoc />
    public override void AllToAll(ReadOnlySpan<byte> send, ReadOnlySpan<int> sendCounts, Span<byte> receive, ReadOnlySpan<int> receiveCounts)
    {
        CheckCounts(sendCounts, send.Length, nameof(sendCounts), nameof(send));
        CheckCounts(receiveCounts, receive.Length, nameof(receiveCounts), nameof(receive));
        if (sendCounts[Rank] != receiveCounts[Rank])
            throw new ArgumentException($"rank {Rank} sends {sendCounts[Rank]} bytes to itself but expects {receiveCounts[Rank]}", nameof(receiveCounts));
        Span<int> sendDisplacements = Size <= 256 ? stackalloc int[Size] : new int[Size];
        Span<int> receiveDisplacements = Size <= 256 ? stackalloc int[Size] : new int[Size];
        Packed(sendCounts, sendDisplacements);
        Packed(receiveCounts, receiveDisplacements);
        lock (_gate)
        {
            EnsureUsable();
            fixed (byte* s = send)
            fixed (byte* r = receive)
            fixed (int* sc = sendCounts)
            fixed (int* sd = sendDisplacements)
            fixed (int* rc = receiveCounts)
            fixed (int* rd = receiveDisplacements)
            {
                nint request;
                Check(_mpi.Ialltoallv(s, sc, sd, _mpi.Byte, r, rc, rd, _mpi.Byte, _mpi.CommWorld, &request), "MPI_Ialltoallv", Describe("AllToAll", send.Length));
                Complete(request, "AllToAll", send.Length);
            }
        }
    }

    /// <inheritdoc />
    public override void AllGather(ReadOnlySpan<byte> send, Span<byte> receive, ReadOnlySpan<int> counts)
    {
        CheckCounts(counts, receive.Length, nameof(counts), nameof(receive));
        if (send.Length < counts[Rank]) throw new ArgumentException($"send holds {send.Length} bytes, fewer than the {counts[Rank]} of counts[{Rank}]", nameof(send));
        Span<int> displacements = Size <= 256 ? stackalloc int[Size] : new int[Size];
        Packed(counts, displacements);
        lock (_gate)
        {
            EnsureUsable();
            fixed (byte* s = send)
            fixed (byte* r = receive)
            fixed (int* c = counts)
            fixed (int* d = displacements)
            {
                nint request;
                Check(_mpi.Iallgatherv(s, counts[Rank], _mpi.Byte, r, c, d, _mpi.Byte, _mpi.CommWorld, &request), "MPI_Iallgatherv", Describe("AllGather", receive.Length));
                Complete(request, "AllGather", receive.Length);
            }
        }
    }

    /// <inheritdoc />
    public override void Broadcast(Span<byte> data, int root)
    {
        if ((uint)root >= (uint)Size) throw new ArgumentOutOfRangeException(nameof(root), root, $"root must be a rank from 0 to {Size - 1}");
        lock (_gate)
        {
            EnsureUsable();
            fixed (byte* d = data)
            {
                nint request;
                Check(_mpi.Ibcast(d, data.Length, _mpi.Byte, root, _mpi.CommWorld, &request), "MPI_Ibcast", Describe("Broadcast", data.Length));
                Complete(request, "Broadcast", data.Length);
            }
        }
    }

    /// <inheritdoc />
    public override void Barrier()
    {
        lock (_gate)
        {
            EnsureUsable();
            nint request;
            Check(_mpi.Ibarrier(_mpi.CommWorld, &request), "MPI_Ibarrier", "Barrier");
            Complete(request, "Barrier", 0);
        }
    }

    /// <summary>
    /// Sums <paramref name="data"/> over the ranks in place with MPI's own <c>MPI_Allreduce</c> (<c>MPI_SUM</c>), for
    /// benchmarks only: Open MPI chooses the order of the additions by message size and number of ranks, so the result
    /// is not the same to the bit across rank counts (training sums in a fixed order over
    /// <see cref="AllToAll"/> and <see cref="AllGather"/> instead). Blocks without <see cref="Communicator.Timeout"/>.
    /// </summary>
    public void AllReduceSum(Span<float> data)
    {
        lock (_gate)
        {
            EnsureUsable();
            fixed (float* d = data)
                Check(_mpi.Allreduce(MpiLibrary.InPlace, d, data.Length, _mpi.Float, _mpi.OpSum, _mpi.CommWorld), "MPI_Allreduce", Describe("AllReduceSum", data.Length * sizeof(float)));
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Writes the message to standard error, then calls <c>MPI_Abort</c> on the world, which makes <c>mpirun</c> end every
    /// rank. A collective running on another thread gives up first (within a poll interval), so that MPI is called by
    /// one thread at a time.
    /// </remarks>
    public override void Abort(string message, int exitCode)
    {
        Console.Out.Flush();
        Console.Error.WriteLine(message);
        Console.Error.Flush();
        _aborting = true;
        bool entered = _gate.TryEnter(TimeSpan.FromSeconds(5)); // an AllReduceSum may block inside MPI: abort anyway
        try
        {
            if (_disposed) Environment.Exit(exitCode);
            _mpi.Abort(_mpi.CommWorld, exitCode);
            Environment.Exit(exitCode); // MPI_Abort does not return; this is in case it does
        }
        finally
        {
            if (entered) _gate.Exit();
        }
    }

    /// <summary>Finalizes MPI, once; not after a failed collective, whose operation may still be pending.</summary>
    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            lock (s_worldGate)
            {
                s_world = null;
                s_finalized = true;
            }
            if (_failure is null) Check(_mpi.Finalize(), "MPI_Finalize", "");
        }
    }

    /// <summary>Polls <c>MPI_Test</c> until the request completes, the timeout passes or another thread aborts.</summary>
    private void Complete(nint request, string operation, long bytes)
    {
        long start = Stopwatch.GetTimestamp();
        var spin = new SpinWait();
        while (true)
        {
            int done;
            Check(_mpi.Test(&request, &done, null), "MPI_Test", Describe(operation, bytes));
            if (done != 0) return;
            TimeSpan waited = Stopwatch.GetElapsedTime(start);
            if (waited > Timeout)
                throw Fail($"rank {Rank} of {Size}: {Describe(operation, bytes)} did not complete within the timeout of {Timeout.TotalSeconds:0.###} s: another rank died or hangs");
            if (_aborting) throw Fail($"rank {Rank} of {Size}: {Describe(operation, bytes)} was interrupted by Abort");
            // A collective of up to a few megabytes completes within the yield phase; a longer wait is one for a rank
            // still computing, which a millisecond's sleep between tests leaves the core to.
            if (waited < YieldPhase) spin.SpinOnce(sleep1Threshold: -1);
            else Thread.Sleep(1);
        }
    }

    private static readonly TimeSpan YieldPhase = TimeSpan.FromMilliseconds(2);

    private CommunicationException Fail(string message)
    {
        _failure = message;
        return new CommunicationException(message);
    }

    private void EnsureUsable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failure is not null) throw new CommunicationException($"rank {Rank} of {Size}: the communicator is unusable after an earlier failure ({_failure}); abort");
    }

    private void Check(int code, string function, string operation)
    {
        if (code == MpiLibrary.Success) return;
        throw Fail($"rank {Rank} of {Size}: {function} failed{(operation.Length > 0 ? $" in {operation}" : "")}: {_mpi.Describe(code)}");
    }

    private static void Check(MpiLibrary mpi, int code, string function)
    {
        if (code != MpiLibrary.Success) throw new CommunicationException($"{function} failed: {mpi.Describe(code)}");
    }

    private static string Describe(string operation, long bytes) => bytes > 0 ? $"{operation} of {bytes} bytes" : operation;

    /// <summary>Displacements of blocks laid out one after the other: the prefix sums of the counts.</summary>
    private static void Packed(ReadOnlySpan<int> counts, Span<int> displacements)
    {
        int offset = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            displacements[i] = offset;
            offset = checked(offset + counts[i]);
        }
    }
}
