using Descent.Parallel;

namespace Descent.Tests.Parallel;

/// <summary>
/// A group of ranks that are threads of this process, exchanging through shared arrays: data-parallel code runs on
/// 2 or 3 ranks in a unit test, without MPI. <see cref="Run"/> starts one thread per rank.
/// </summary>
internal sealed class ThreadCommunicator : Communicator
{
    private readonly Group _group;

    private ThreadCommunicator(Group group, int rank)
    {
        _group = group;
        Rank = rank;
    }

    public override int Rank { get; }

    public override int Size => _group.Size;

    /// <summary>Runs <paramref name="body"/> on <paramref name="size"/> threads, each with its rank's communicator; returns each rank's result.</summary>
    public static T[] Run<T>(int size, Func<Communicator, T> body)
    {
        var group = new Group(size);
        var results = new T[size];
        var failures = new Exception?[size];
        var threads = Enumerable.Range(0, size).Select(r => new Thread(() =>
        {
            try
            {
                results[r] = body(new ThreadCommunicator(group, r) { Timeout = TimeSpan.FromSeconds(60) });
            }
            catch (Exception e)
            {
                failures[r] = e;
                group.Barrier.Dispose(); // wakes the other ranks, which then fail too
            }
        }, maxStackSize: 16 << 20)).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        if (failures.FirstOrDefault(f => f is not null and not ObjectDisposedException and not CommunicationException) is { } first) throw new AggregateException(first);
        if (failures.FirstOrDefault(f => f is not null) is { } any) throw new AggregateException(any);
        return results;
    }

    public override void AllToAll(ReadOnlySpan<byte> send, ReadOnlySpan<int> sendCounts, Span<byte> receive, ReadOnlySpan<int> receiveCounts)
    {
        CheckCounts(sendCounts, send.Length, nameof(sendCounts), nameof(send));
        CheckCounts(receiveCounts, receive.Length, nameof(receiveCounts), nameof(receive));
        _group.Posted[Rank] = (send.ToArray(), sendCounts.ToArray());
        Wait();
        int at = 0;
        for (int r = 0; r < Size; r++)
        {
            var (data, counts) = _group.Posted[r];
            int offset = counts.Take(Rank).Sum();
            if (counts[Rank] != receiveCounts[r]) throw new CommunicationException($"rank {r} sends {counts[Rank]} bytes to rank {Rank}, which expects {receiveCounts[r]}");
            data.AsSpan(offset, counts[Rank]).CopyTo(receive[at..]);
            at += counts[Rank];
        }
        Wait();
    }

    public override void AllGather(ReadOnlySpan<byte> send, Span<byte> receive, ReadOnlySpan<int> counts)
    {
        CheckCounts(counts, receive.Length, nameof(counts), nameof(receive));
        _group.Posted[Rank] = (send[..counts[Rank]].ToArray(), []);
        Wait();
        int at = 0;
        for (int r = 0; r < Size; r++)
        {
            var data = _group.Posted[r].Data;
            if (data.Length != counts[r]) throw new CommunicationException($"rank {r} contributes {data.Length} bytes, rank {Rank} expects {counts[r]}");
            data.CopyTo(receive[at..]);
            at += data.Length;
        }
        Wait();
    }

    public override void Broadcast(Span<byte> data, int root)
    {
        if (Rank == root) _group.Posted[Rank] = (data.ToArray(), []);
        Wait();
        if (Rank != root) _group.Posted[root].Data.CopyTo(data);
        Wait();
    }

    public override void Barrier() => Wait();

    public override void Abort(string message, int exitCode) => throw new CommunicationException(message);

    private void Wait()
    {
        if (!_group.Barrier.SignalAndWait(Timeout)) throw new CommunicationException($"rank {Rank}: the other threads did not arrive within {Timeout}");
    }

    private sealed class Group(int size)
    {
        public int Size { get; } = size;

        public System.Threading.Barrier Barrier { get; } = new(size);

        public (byte[] Data, int[] Counts)[] Posted { get; } = new (byte[], int[])[size];
    }
}
