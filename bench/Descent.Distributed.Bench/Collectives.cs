using System.Diagnostics;
using Descent.Distributed;

/// <summary>
/// Times collectives over the ranks of a job, the same way for every figure: each is the slowest rank's median of
/// repeats after a warm-up, in seconds per operation.
/// </summary>
internal sealed class Collectives(MpiCommunicator world)
{
    private int Ranks => world.Size;

    /// <summary>Open MPI's own <c>MPI_Allreduce</c> (<c>MPI_SUM</c>) of <paramref name="bytes"/> in place.</summary>
    public double AllReduce(long bytes)
    {
        var data = new float[Floats(bytes)];
        return Measure(() => world.AllReduceSum(data));
    }

    /// <summary>
    /// <c>AllToAll</c> then <c>AllGather</c> of <paramref name="bytes"/>: what the deterministic reduce-scatter +
    /// all-gather exchanges, without its additions.
    /// </summary>
    public double Exchange(long bytes)
    {
        int floats = Floats(bytes);
        int block = floats / Ranks; // floats each rank owns (reduces) in the reduce-scatter
        var data = new float[floats];
        var received = new float[block * Ranks];
        int[] counts = [.. Enumerable.Repeat(block, Ranks)];
        return Measure(() =>
        {
            world.AllToAll<float>(data, counts, received, counts);
            world.AllGather<float>(received.AsSpan(0, block), data, counts);
        });
    }

    /// <summary>A copy of <paramref name="bytes"/> within one rank (<c>Span.CopyTo</c>): what memory gives.</summary>
    public double Memcpy(long bytes)
    {
        var data = new float[Floats(bytes)];
        var copy = new float[data.Length];
        return Measure(() => data.AsSpan().CopyTo(copy));
    }

    /// <summary>The ring all-reduce's algorithmic bytes for a message of <paramref name="bytes"/>: 2(N−1)/N · bytes.</summary>
    public double Bus(long bytes) => 2.0 * (Ranks - 1) / Ranks * bytes;

    /// <summary>
    /// The slowest rank's median over samples (at least 5, about half a second), after warm-ups; seconds per operation.
    /// A sample repeats a short operation until it lasts some 50 µs, far above the clock's resolution.
    /// </summary>
    public double Measure(Action operation)
    {
        for (int i = 0; i < 3; i++) operation();
        world.Barrier();
        long start = Stopwatch.GetTimestamp();
        operation();
        double first = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double[] plan = [Math.Clamp(Math.Ceiling(50e-6 / first), 1, 1000), 0];
        plan[1] = Math.Clamp((int)(0.5 / (first * plan[0])), 5, 200);
        world.Broadcast<double>(plan, 0); // every rank repeats as often as rank 0
        int inner = (int)plan[0];
        var times = new double[(int)plan[1]];
        for (int i = 0; i < times.Length; i++)
        {
            world.Barrier();
            start = Stopwatch.GetTimestamp();
            for (int k = 0; k < inner; k++) operation();
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds / inner;
        }
        Array.Sort(times);
        var medians = new double[Ranks];
        world.AllGather<double>([times[times.Length / 2]], medians, [.. Enumerable.Repeat(1, Ranks)]);
        return medians.Max();
    }

    private static int Floats(long bytes) => checked((int)(bytes / sizeof(float)));
}

/// <summary>How the tables write sizes, times and rates.</summary>
internal static class Show
{
    public static string Bytes(long bytes) => bytes >= 1 << 20 ? $"{bytes / (double)(1 << 20):0.##} MB" : bytes >= 1 << 10 ? $"{bytes / 1024.0:0.#} KB" : $"{bytes} B";

    public static string Time(double seconds) =>
        seconds >= 1e-3 ? $"{seconds * 1e3:0.00} ms" : seconds >= 1e-5 ? $"{seconds * 1e6:0.0} µs" : $"{seconds * 1e6:0.00} µs";

    public static string Rate(double bytes, double seconds) => $"{bytes / seconds / 1e9:0.00}";
}
