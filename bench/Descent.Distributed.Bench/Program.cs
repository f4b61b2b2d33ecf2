using System.Diagnostics;
using Descent.Distributed;

// Collective bandwidth over Open MPI, for message sizes 4 KB … 64 MB (or the sizes in bytes given as arguments):
//   mpirun -np 2 dotnet bench/Descent.Distributed.Bench/bin/Release/net10.0/Descent.Distributed.Bench.dll
// Columns: MPI_Allreduce (Open MPI's own sum, not deterministic across rank counts); AllToAll then AllGather of the same
// bytes (what a deterministic reduce-scatter + all-gather exchanges, without the additions); a memcpy of the same bytes
// on one rank. Each figure is the slowest rank's median of repeats after a warm-up; "bus" is the ring
// all-reduce's algorithmic bandwidth 2(N−1)/N · bytes / time.
if (!MpiCommunicator.IsLaunchedByMpirun)
{
    Console.Error.WriteLine($"Descent.Distributed.Bench: {MpiCommunicator.LaunchHint}");
    return 2;
}
using var world = MpiCommunicator.World();
long[] sizes = args.Length > 0 ? [.. args.Select(long.Parse)] : [.. Enumerable.Range(0, 8).Select(i => 4096L << (2 * i))];
int n = world.Size;
if (world.IsRoot)
{
    Console.WriteLine($"{n} ranks, {Environment.ProcessorCount} cores per process, {world.LibraryName}, .NET {Environment.Version}");
    Console.WriteLine();
    Console.WriteLine("| bytes | Allreduce | GB/s | bus GB/s | AllToAll + AllGather | GB/s | bus GB/s | memcpy | GB/s |");
    Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
}
foreach (long bytes in sizes)
{
    int floats = checked((int)(bytes / sizeof(float)));
    int block = floats / n; // floats each rank owns (reduces) in the reduce-scatter
    var data = new float[floats];
    var received = new float[block * n];
    var copy = new float[floats];
    int[] counts = [.. Enumerable.Repeat(block, n)];
    double allReduce = Measure(bytes, () => world.AllReduceSum(data));
    double exchange = Measure(bytes, () =>
    {
        world.AllToAll<float>(data, counts, received, counts);
        world.AllGather<float>(received.AsSpan(0, block), data, counts);
    });
    double memcpy = Measure(bytes, () => data.AsSpan().CopyTo(copy));
    if (world.IsRoot)
        Console.WriteLine($"| {Bytes(bytes)} | {Time(allReduce)} | {Rate(bytes, allReduce)} | {Rate(Bus(bytes), allReduce)} " +
                          $"| {Time(exchange)} | {Rate(bytes, exchange)} | {Rate(Bus(bytes), exchange)} | {Time(memcpy)} | {Rate(bytes, memcpy)} |");
}
return 0;

// The slowest rank's median over samples (at least 5, about half a second), after warm-ups; seconds per operation. A
// sample repeats a short operation until it lasts some 50 µs, far above the clock's resolution.
double Measure(long bytes, Action operation)
{
    for (int i = 0; i < 3; i++) operation();
    world.Barrier();
    long start = Stopwatch.GetTimestamp();
    operation();
    double first = Seconds(start);
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
        times[i] = Seconds(start) / inner;
    }
    Array.Sort(times);
    var medians = new double[n];
    world.AllGather<double>([times[times.Length / 2]], medians, [.. Enumerable.Repeat(1, n)]);
    return medians.Max();
}

static double Seconds(long start) => (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;

double Bus(long bytes) => 2.0 * (n - 1) / n * bytes;

static string Bytes(long bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MB" : $"{bytes >> 10} KB";

static string Time(double seconds) => seconds >= 1e-3 ? $"{seconds * 1e3:0.00} ms" : seconds >= 1e-5 ? $"{seconds * 1e6:0.0} µs" : $"{seconds * 1e6:0.00} µs";

static string Rate(double bytes, double seconds) => $"{bytes / seconds / 1e9:0.00}";
