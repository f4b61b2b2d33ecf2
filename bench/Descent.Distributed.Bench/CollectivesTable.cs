using Descent.Distributed;

/// <summary>
/// The collectives' table for message sizes 4 KB … 64 MB (or the sizes in bytes given): MPI_Allreduce (Open MPI's own
/// sum, not deterministic across rank counts); AllToAll then AllGather of the same bytes; a memcpy of the same bytes on
/// one rank. "bus" is the ring all-reduce's algorithmic bandwidth 2(N−1)/N · bytes / time.
/// </summary>
internal static class CollectivesTable
{
    public static int Run(string[] args)
    {
        long[] sizes;
        try
        {
            sizes = args.Length > 0 ? [.. args.Select(ParseBytes)] : [.. Enumerable.Range(0, 8).Select(i => 4096L << (2 * i))];
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"Descent.Distributed.Bench: {e.Message}");
            return 2;
        }
        if (!MpiCommunicator.IsLaunchedByMpirun)
        {
            Console.Error.WriteLine($"Descent.Distributed.Bench: {MpiCommunicator.LaunchHint}");
            return 2;
        }
        using var world = MpiCommunicator.World();
        var collectives = new Collectives(world);
        if (world.IsRoot)
        {
            Console.WriteLine($"{world.Size} ranks, {Environment.ProcessorCount} cores per process, {world.LibraryName}, .NET {Environment.Version}");
            Console.WriteLine();
            Console.WriteLine("| bytes | Allreduce | GB/s | bus GB/s | AllToAll + AllGather | GB/s | bus GB/s | memcpy | GB/s |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        }
        foreach (long bytes in sizes)
        {
            double allReduce = collectives.AllReduce(bytes);
            double exchange = collectives.Exchange(bytes);
            double memcpy = collectives.Memcpy(bytes);
            double bus = collectives.Bus(bytes);
            if (world.IsRoot)
                Console.WriteLine($"| {Show.Bytes(bytes)} | {Show.Time(allReduce)} | {Show.Rate(bytes, allReduce)} | {Show.Rate(bus, allReduce)} " +
                                  $"| {Show.Time(exchange)} | {Show.Rate(bytes, exchange)} | {Show.Rate(bus, exchange)} | {Show.Time(memcpy)} | {Show.Rate(bytes, memcpy)} |");
        }
        return 0;
    }

    private static long ParseBytes(string text) =>
        long.TryParse(text, out long bytes) && bytes >= 4 && bytes <= (long)int.MaxValue * sizeof(float)
            ? bytes
            : throw new FormatException($"a message size must be a number of bytes from 4 to {(long)int.MaxValue * sizeof(float)}, got '{text}'");
}
