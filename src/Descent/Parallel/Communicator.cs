using System.Runtime.InteropServices;

namespace Descent.Parallel;

/// <summary>
/// A group of processes (ranks 0 … <see cref="Size"/> − 1) that exchange bytes in collective operations: every rank calls
/// the same operations in the same order, as in MPI. Only a few collectives are needed, and none reduces: data-parallel
/// training sums gradients itself, in one fixed order, so that its result does not depend on how an implementation
/// (or the number of ranks) orders the additions. <see cref="Single"/> is the group of this process alone; the
/// <c>Descent.Distributed</c> package provides one over MPI.
/// </summary>
/// <remarks>
/// The operations are blocking. A rank may call them from any one thread at a time (the data-parallel wrapper calls them
/// from its own communication thread while the backward pass runs). A collective that has not completed after
/// <see cref="Timeout"/> throws a <see cref="CommunicationException"/> rather than waiting for ever on a rank that died
/// or hangs.
/// </remarks>
public abstract class Communicator : IDisposable
{
    /// <summary>The group of this process alone: rank 0 of 1, every collective a copy.</summary>
    public static Communicator Single { get; } = new SingleProcess();

    /// <summary>This process's rank, from 0.</summary>
    public abstract int Rank { get; }

    /// <summary>The number of ranks.</summary>
    public abstract int Size { get; }

    /// <summary>True on rank 0, the one that writes files and prints.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>How long a collective may take before it fails (default one minute).</summary>
    public TimeSpan Timeout
    {
        get;
        set => field = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(Timeout), value, "Timeout must be positive");
    } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Every rank sends <c>sendCounts[r]</c> bytes to each rank r (the blocks laid out in rank order in
    /// <paramref name="send"/>) and receives <c>receiveCounts[r]</c> bytes from each rank r (laid out in rank order in
    /// <paramref name="receive"/>): MPI's <c>Alltoallv</c> with packed displacements.
    /// </summary>
    public abstract void AllToAll(ReadOnlySpan<byte> send, ReadOnlySpan<int> sendCounts, Span<byte> receive, ReadOnlySpan<int> receiveCounts);

    /// <summary>
    /// Every rank contributes <paramref name="send"/> (<c>counts[Rank]</c> bytes) and receives every rank's contribution,
    /// laid out in rank order in <paramref name="receive"/>: MPI's <c>Allgatherv</c> with packed displacements.
    /// </summary>
    public abstract void AllGather(ReadOnlySpan<byte> send, Span<byte> receive, ReadOnlySpan<int> counts);

    /// <summary>Copies <paramref name="data"/> from rank <paramref name="root"/> to every rank.</summary>
    public abstract void Broadcast(Span<byte> data, int root);

    /// <summary>Returns when every rank has called it.</summary>
    public abstract void Barrier();

    /// <summary>
    /// Ends every rank of the group at once with <paramref name="exitCode"/>, after writing <paramref name="message"/>
    /// (which should name this rank) to standard error: what a rank does when it cannot go on, so that the others do not
    /// wait for it. Does not return.
    /// </summary>
    public abstract void Abort(string message, int exitCode);

    /// <summary><see cref="AllToAll"/> of unmanaged values; the counts are in elements.</summary>
    public void AllToAll<T>(ReadOnlySpan<T> send, ReadOnlySpan<int> sendCounts, Span<T> receive, ReadOnlySpan<int> receiveCounts) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        AllToAll(MemoryMarshal.AsBytes(send), Scaled(sendCounts, size), MemoryMarshal.AsBytes(receive), Scaled(receiveCounts, size));
    }

    /// <summary><see cref="AllGather"/> of unmanaged values; the counts are in elements.</summary>
    public void AllGather<T>(ReadOnlySpan<T> send, Span<T> receive, ReadOnlySpan<int> counts) where T : unmanaged =>
        AllGather(MemoryMarshal.AsBytes(send), MemoryMarshal.AsBytes(receive), Scaled(counts, Marshal.SizeOf<T>()));

    /// <summary><see cref="Broadcast"/> of unmanaged values.</summary>
    public void Broadcast<T>(Span<T> data, int root) where T : unmanaged => Broadcast(MemoryMarshal.AsBytes(data), root);

    /// <summary>Releases the group's resources (MPI: finalizes).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources; <paramref name="disposing"/> is false from a finalizer.</summary>
    protected virtual void Dispose(bool disposing) { }

    /// <summary>Checks the arguments every implementation receives: one count per rank, none negative, and spans that hold them.</summary>
    protected void CheckCounts(ReadOnlySpan<int> counts, int bytes, string countsName, string bufferName)
    {
        if (counts.Length != Size) throw new ArgumentException($"{countsName} has {counts.Length} entries for {Size} ranks", countsName);
        long total = 0;
        foreach (int c in counts)
        {
            if (c < 0) throw new ArgumentException($"{countsName} holds a negative count {c}", countsName);
            total += c;
        }
        if (total > bytes) throw new ArgumentException($"{bufferName} holds {bytes} bytes, fewer than the {total} of {countsName}", bufferName);
    }

    private static int[] Scaled(ReadOnlySpan<int> counts, int size)
    {
        var bytes = new int[counts.Length];
        for (int i = 0; i < counts.Length; i++) bytes[i] = checked(counts[i] * size);
        return bytes;
    }

    private sealed class SingleProcess : Communicator
    {
        public override int Rank => 0;

        public override int Size => 1;

        public override void AllToAll(ReadOnlySpan<byte> send, ReadOnlySpan<int> sendCounts, Span<byte> receive, ReadOnlySpan<int> receiveCounts)
        {
            CheckCounts(sendCounts, send.Length, nameof(sendCounts), nameof(send));
            CheckCounts(receiveCounts, receive.Length, nameof(receiveCounts), nameof(receive));
            if (sendCounts[0] != receiveCounts[0]) throw new ArgumentException($"rank 0 sends {sendCounts[0]} bytes to itself but expects {receiveCounts[0]}", nameof(receiveCounts));
            send[..sendCounts[0]].CopyTo(receive);
        }

        public override void AllGather(ReadOnlySpan<byte> send, Span<byte> receive, ReadOnlySpan<int> counts)
        {
            CheckCounts(counts, receive.Length, nameof(counts), nameof(receive));
            if (send.Length < counts[0]) throw new ArgumentException($"send holds {send.Length} bytes, fewer than the {counts[0]} of counts[0]", nameof(send));
            send[..counts[0]].CopyTo(receive);
        }

        public override void Broadcast(Span<byte> data, int root)
        {
            if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), root, "root must be 0 in a group of one");
        }

        public override void Barrier() { }

        public override void Abort(string message, int exitCode)
        {
            Console.Error.WriteLine(message);
            Environment.Exit(exitCode);
        }
    }
}

/// <summary>A collective operation failed or timed out: another rank died, hangs, or called a different operation.</summary>
public sealed class CommunicationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CommunicationException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public CommunicationException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception without a message.</summary>
    public CommunicationException() { }
}
