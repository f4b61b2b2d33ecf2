using System.Diagnostics;
using Descent.Distributed;
using Descent.Parallel;

/// <summary>The worker's scenarios by name. Data depend on the sending rank, the receiving rank and the position, so that a
/// block delivered to the wrong rank or place is seen.</summary>
internal static class Scenarios
{
    public static IReadOnlyDictionary<string, Action<MpiCommunicator, string>> All { get; } = new Dictionary<string, Action<MpiCommunicator, string>>
    {
        ["alltoall"] = (c, _) => { AllToAll(c, scale: 1); AllToAll(c, scale: 50_000); AllToAllFloats(c); },
        ["allgather"] = (c, _) => { AllGather(c, scale: 1); AllGather(c, scale: 50_000); },
        ["broadcast"] = (c, _) => Broadcast(c),
        ["barrier"] = Barrier,
        ["allreduce"] = (c, _) => AllReduce(c),
        ["threads"] = (c, _) => FromOtherThreads(c),
        ["arguments"] = (c, _) => Arguments(c),
        ["timeout"] = (c, _) => Timeout(c),
        ["kill"] = (c, _) => Kill(c),
    };

    /// <summary>Bytes rank <paramref name="from"/> sends to rank <paramref name="to"/>: some blocks are empty.</summary>
    private static int Count(int from, int to, int scale) => (from * 3 + to * 5 + 1) % 7 * scale;

    private static byte Value(int from, int to, int index) => (byte)((from * 31 + to * 17 + index) % 251);

    private static void AllToAll(Communicator c, int scale)
    {
        int[] sendCounts = [.. Enumerable.Range(0, c.Size).Select(to => Count(c.Rank, to, scale))];
        int[] receiveCounts = [.. Enumerable.Range(0, c.Size).Select(from => Count(from, c.Rank, scale))];
        var send = new byte[sendCounts.Sum()];
        for (int to = 0, offset = 0; to < c.Size; offset += sendCounts[to++])
            for (int i = 0; i < sendCounts[to]; i++) send[offset + i] = Value(c.Rank, to, i);
        var receive = new byte[receiveCounts.Sum()];
        c.AllToAll(send, sendCounts, receive, receiveCounts);
        for (int from = 0, offset = 0; from < c.Size; offset += receiveCounts[from++])
            for (int i = 0; i < receiveCounts[from]; i++)
                if (receive[offset + i] != Value(from, c.Rank, i)) throw Failed(c, $"AllToAll (scale {scale}): byte {i} from rank {from} is {receive[offset + i]}, expected {Value(from, c.Rank, i)}");
    }

    private static void AllToAllFloats(Communicator c)
    {
        // Every rank sends rank `to` the two values rank·10 + to and −(rank·10 + to).
        float[] send = [.. Enumerable.Range(0, c.Size).SelectMany(to => new[] { c.Rank * 10f + to, -(c.Rank * 10f + to) })];
        int[] counts = [.. Enumerable.Repeat(2, c.Size)];
        var receive = new float[2 * c.Size];
        c.AllToAll<float>(send, counts, receive, counts);
        for (int from = 0; from < c.Size; from++)
            if (receive[2 * from] != from * 10f + c.Rank || receive[2 * from + 1] != -(from * 10f + c.Rank))
                throw Failed(c, $"AllToAll<float>: from rank {from} received {receive[2 * from]}, {receive[2 * from + 1]}");
    }

    private static void AllGather(Communicator c, int scale)
    {
        int[] counts = [.. Enumerable.Range(0, c.Size).Select(r => (r * 7 + 3) % 5 * scale)];
        var send = new byte[counts[c.Rank]];
        for (int i = 0; i < send.Length; i++) send[i] = Value(c.Rank, 0, i);
        var receive = new byte[counts.Sum()];
        c.AllGather(send, receive, counts);
        for (int from = 0, offset = 0; from < c.Size; offset += counts[from++])
            for (int i = 0; i < counts[from]; i++)
                if (receive[offset + i] != Value(from, 0, i)) throw Failed(c, $"AllGather (scale {scale}): byte {i} of rank {from} is {receive[offset + i]}, expected {Value(from, 0, i)}");
    }

    private static void Broadcast(Communicator c)
    {
        foreach (int length in new[] { 0, 1, 1000, 3_000_000 })
        {
            for (int root = 0; root < c.Size; root++)
            {
                var data = new byte[length];
                if (c.Rank == root) for (int i = 0; i < length; i++) data[i] = Value(root, 1, i);
                c.Broadcast(data, root);
                for (int i = 0; i < length; i++)
                    if (data[i] != Value(root, 1, i)) throw Failed(c, $"Broadcast of {length} bytes from root {root}: byte {i} is {data[i]}");
            }
        }
        double[] values = c.IsRoot ? [Math.PI, -0.0, double.Epsilon] : new double[3];
        c.Broadcast<double>(values, 0);
        if (!values.SequenceEqual([Math.PI, -0.0, double.Epsilon]) || !double.IsNegative(values[1]))
            throw Failed(c, $"Broadcast<double> received {string.Join(", ", values)}");
    }

    /// <summary>Each rank leaves a file in the shared directory before the barrier; after it, every rank's file must be there.</summary>
    private static void Barrier(Communicator c, string directory)
    {
        if (!Directory.Exists(directory)) throw Failed(c, $"barrier needs an existing directory as its second argument, got '{directory}'");
        for (int round = 0; round < 3; round++)
        {
            File.WriteAllText(Path.Combine(directory, $"round{round}-rank{c.Rank}"), "");
            c.Barrier();
            for (int r = 0; r < c.Size; r++)
                if (!File.Exists(Path.Combine(directory, $"round{round}-rank{r}"))) throw Failed(c, $"after barrier {round} rank {r}'s file is missing");
        }
    }

    private static void AllReduce(MpiCommunicator c)
    {
        // Small integers: exact in float whatever the order of the additions.
        float[] data = [.. Enumerable.Range(0, 10_000).Select(i => (float)(c.Rank + i % 100))];
        c.AllReduceSum(data);
        for (int i = 0; i < data.Length; i++)
        {
            float expected = c.Size * (c.Size - 1) / 2 + c.Size * (i % 100);
            if (data[i] != expected) throw Failed(c, $"AllReduceSum: element {i} is {data[i]}, expected {expected}");
        }
    }

    /// <summary>Collectives called one after the other from new threads (as from a communication thread), never the one that initialised MPI.</summary>
    private static void FromOtherThreads(Communicator c)
    {
        for (int round = 0; round < 10; round++)
        {
            Exception? failure = null;
            var thread = new Thread(() =>
            {
                try
                {
                    int[] counts = [.. Enumerable.Repeat(1, c.Size)];
                    var gathered = new int[c.Size];
                    c.AllGather<int>([c.Rank * 100 + round], gathered, counts);
                    for (int r = 0; r < c.Size; r++)
                        if (gathered[r] != r * 100 + round) throw Failed(c, $"round {round}: rank {r} sent {gathered[r]}");
                    c.Barrier();
                }
                catch (Exception e) when (e is CheckFailedException or CommunicationException) { failure = e; }
            });
            thread.Start();
            thread.Join();
            if (failure is not null) throw failure;
        }
    }

    /// <summary>Bad arguments fail on the calling rank before MPI is called, so the ranks stay in step.</summary>
    private static void Arguments(MpiCommunicator c)
    {
        if (!ReferenceEquals(MpiCommunicator.World(), c)) throw Failed(c, "World() returned a second communicator");
        int[] tooFew = new int[c.Size - 1];
        Throws<ArgumentException>(c, "sendCounts has", () => c.AllToAll(new byte[4], tooFew, new byte[4], new int[c.Size]));
        Throws<ArgumentException>(c, "receive holds", () => c.AllGather(new byte[1], new byte[1], [.. Enumerable.Repeat(1, c.Size)]));
        Throws<ArgumentOutOfRangeException>(c, "root must be", () => c.Broadcast(new byte[1], c.Size));
        Throws<ArgumentOutOfRangeException>(c, "Timeout must be positive", () => c.Timeout = TimeSpan.Zero);
        c.Barrier(); // still usable
    }

    /// <summary>The last rank stops answering; the others' barrier times out after two seconds and they abort the job.</summary>
    private static void Timeout(Communicator c)
    {
        c.Barrier();
        if (c.Rank == c.Size - 1)
        {
            Console.WriteLine($"rank {c.Rank} of {c.Size}: stops answering");
            Thread.Sleep(TimeSpan.FromMinutes(10));
        }
        c.Timeout = TimeSpan.FromSeconds(2);
        c.Barrier();
        throw new CheckFailedException($"rank {c.Rank} of {c.Size}: the barrier completed although rank {c.Size - 1} sleeps");
    }

    /// <summary>Rank 1 kills itself with SIGKILL while the others wait in a barrier: mpirun must end the job.</summary>
    private static void Kill(Communicator c)
    {
        c.Barrier();
        if (c.Rank == 1)
        {
            Console.WriteLine($"rank {c.Rank} of {c.Size}: kills itself");
            Process.GetCurrentProcess().Kill();
        }
        c.Barrier();
        throw new CheckFailedException($"rank {c.Rank} of {c.Size}: the barrier completed although rank 1 was killed");
    }

    private static void Throws<T>(Communicator c, string expectedMessage, Action action) where T : Exception
    {
        try
        {
            action();
        }
        catch (T e) when (e.Message.Contains(expectedMessage, StringComparison.Ordinal))
        {
            return;
        }
        throw new CheckFailedException($"rank {c.Rank} of {c.Size}: expected {typeof(T).Name} saying '{expectedMessage}'");
    }

    private static CheckFailedException Failed(Communicator c, string what) => new($"rank {c.Rank} of {c.Size}: {what}");
}

/// <summary>A scenario's check failed on this rank.</summary>
internal sealed class CheckFailedException(string message) : Exception(message);
