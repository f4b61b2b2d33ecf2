using System.Diagnostics;
using Descent.Cli.Catalog;
using Descent.Kernels;
using Descent.Optim;
using F = Descent.NN.Functional;

namespace Descent.Cli.Bench;

/// <summary>
/// Training speed on MNIST at one thread count: the median over the repetitions of seconds per epoch, the samples per
/// second at that median, the managed bytes allocated per step, and every repetition's seconds per epoch in run order.
/// </summary>
internal sealed record TrainResult(string Model, int BatchSize, int Threads, int TimedBatches, double SecondsPerEpoch, double SamplesPerS, long BytesPerStep, IReadOnlyList<double> RunSeconds);

/// <summary>
/// The time at <see cref="Threads"/> threads over the time at <see cref="BaseThreads"/> threads: one ratio per
/// repetition (the two timings of a repetition run back to back), their median and their range, and the ratio of the
/// two best times (<see cref="OfBest"/>: what the threads give when other work on the machine leaves them alone).
/// </summary>
internal sealed record TrainRatio(int Threads, int BaseThreads, double Median, double Min, double Max, double OfBest, IReadOnlyList<double> PerRepetition);

/// <summary>
/// Times the training loop of a catalog model on MNIST with Adam (PyTorch's defaults). The batches are sliced before
/// the clock starts, so data loading and shuffling are excluded; a few warm-up steps run first. Each step runs in a
/// <see cref="TensorScope"/> and zeroes the gradients in place, so its buffers come from the pool: the managed bytes
/// allocated per step (tensor headers, shapes, graph nodes) are reported beside the time.
/// </summary>
/// <remarks>
/// Several thread counts are measured in one process on one model, interleaved: each repetition times every thread
/// count once, in ascending order on even repetitions and descending on odd ones, so that a change in the machine's
/// load (other processes on a shared machine) falls on all of them alike, and the ratio of two thread counts within a
/// repetition is the figure to read. The model keeps training across the timings; a step's cost does not depend on the
/// values of the weights.
/// </remarks>
internal static class TrainBench
{
    // .NET recompiles a hot method optimised after some 30 calls (tiered compilation); an epoch of 469 steps runs
    // almost entirely on that code, so the warm-up covers the tier-up before the clock starts.
    private const int WarmupBatches = 30;

    /// <summary>The least time each thread count's warm-up runs.</summary>
    private static readonly TimeSpan WarmupTime = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Times <paramref name="batches"/> steps and extrapolates to an epoch of the training set, or times a whole epoch
    /// when <paramref name="batches"/> is null, at each of <paramref name="threads"/> (set as
    /// <see cref="Parallelism.MaxThreads"/>, restored afterwards), <paramref name="repetitions"/> times each.
    /// </summary>
    public static IReadOnlyList<TrainResult> Run(string modelName, int batchSize, int? batches, IReadOnlyList<int> threads, int repetitions)
    {
        var data = DataCatalog.Load("mnist", seed: 0);
        Tensor.ManualSeed(0);
        var model = ModelCatalog.Build(modelName, data);
        var optimizer = new Adam(model.Parameters());
        int count = data.Train.Count;
        int epochBatches = (count + batchSize - 1) / batchSize;
        int timed = batches is int k ? k : epochBatches;
        var slices = new List<(Tensor X, Tensor Y)>();
        for (int i = 0; i < Math.Min(epochBatches, timed + WarmupBatches); i++)
        {
            int start = i * batchSize, length = Math.Min(batchSize, count - start);
            slices.Add((data.Train.Features.Narrow(0, start, length).Contiguous(), data.Train.Labels.Narrow(0, start, length).Contiguous()));
        }
        var seconds = threads.Select(_ => new double[repetitions]).ToArray();
        var bytes = new long[threads.Count];
        int saved = Parallelism.MaxThreads;
        try
        {
            // Every thread count's code paths (the serial and the parallel ones) are warmed up before any timing, for
            // at least WarmupBatches steps and WarmupTime each: the tier-up waits for a pause in new compilations and then
            // runs in the background, so a warm-up by count alone left the first timing up to twice as slow.
            foreach (int t in threads)
            {
                Parallelism.MaxThreads = t;
                long until = Stopwatch.GetTimestamp() + (long)(WarmupTime.TotalSeconds * Stopwatch.Frequency);
                for (int i = 0; i < WarmupBatches || Stopwatch.GetTimestamp() < until; i++) Step(model, optimizer, slices[i % slices.Count]);
            }
            for (int r = 0; r < repetitions; r++)
            {
                for (int j = 0; j < threads.Count; j++)
                {
                    int index = r % 2 == 0 ? j : threads.Count - 1 - j;
                    Parallelism.MaxThreads = threads[index];
                    var (s, n, b) = Time(model, optimizer, slices, batches, timed);
                    seconds[index][r] = batches is null ? s : s / n * count;
                    bytes[index] = r == 0 ? b : Math.Min(bytes[index], b);
                }
            }
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
        return [.. threads.Select((t, i) =>
        {
            double median = Median(seconds[i]);
            return new TrainResult(modelName.ToLowerInvariant(), batchSize, t, timed, median, count / median, bytes[i], seconds[i]);
        })];
    }

    /// <summary>Each thread count after the first against the first, repetition by repetition.</summary>
    public static IReadOnlyList<TrainRatio> Ratios(IReadOnlyList<TrainResult> results) =>
        [.. results.Skip(1).Select(x =>
        {
            var per = x.RunSeconds.Select((s, r) => s / results[0].RunSeconds[r]).ToArray();
            return new TrainRatio(x.Threads, results[0].Threads, Median(per), per.Min(), per.Max(), x.RunSeconds.Min() / results[0].RunSeconds.Min(), per);
        })];

    /// <summary>Times the steps: seconds, samples, and managed bytes allocated per step.</summary>
    private static (double Seconds, long Samples, long BytesPerStep) Time(NN.Module model, Optimizer optimizer, List<(Tensor X, Tensor Y)> slices, int? batches, int timed)
    {
        long samples = 0;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long begin = Stopwatch.GetTimestamp();
        for (int i = 0; i < timed; i++)
        {
            // A whole epoch walks every batch once; K timed batches follow the warm-up ones (cycling if K is large).
            var batch = batches is null ? slices[i] : slices[(WarmupBatches + i) % slices.Count];
            Step(model, optimizer, batch);
            samples += batch.X.Size(0);
        }
        double seconds = Stopwatch.GetElapsedTime(begin).TotalSeconds;
        long bytesPerStep = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / timed;
        return (seconds, samples, bytesPerStep);
    }

    private static void Step(NN.Module model, Optimizer optimizer, (Tensor X, Tensor Y) batch)
    {
        using var scope = new TensorScope();
        optimizer.ZeroGrad(setToNone: false);
        var loss = F.CrossEntropy(model.Forward(batch.X), batch.Y);
        loss.Backward();
        ((FirstOrderOptimizer)optimizer).Step();
    }

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
