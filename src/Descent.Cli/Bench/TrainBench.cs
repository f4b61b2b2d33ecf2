using System.Diagnostics;
using Descent.Cli.Catalog;
using Descent.Optim;
using F = Descent.NN.Functional;

namespace Descent.Cli.Bench;

/// <summary>Training speed on MNIST: seconds per epoch and samples per second of forward, backward and Adam step.</summary>
internal sealed record TrainResult(string Model, int BatchSize, int Threads, int TimedBatches, double SecondsPerEpoch, double SamplesPerS, long BytesPerStep);

/// <summary>
/// Times the training loop of a catalog model on MNIST with Adam (PyTorch's defaults). The batches are sliced before
/// the clock starts, so data loading and shuffling are excluded; a few warm-up steps run first. Each step runs in a
/// <see cref="TensorScope"/> and zeroes the gradients in place, so its buffers come from the pool: the managed bytes
/// allocated per step (tensor headers, shapes, graph nodes) are reported beside the time.
/// </summary>
internal static class TrainBench
{
    // .NET recompiles a hot method optimised after some 30 calls (tiered compilation); an epoch of 469 steps runs
    // almost entirely on that code, so the warm-up covers the tier-up before the clock starts.
    private const int WarmupBatches = 30;

    /// <summary>
    /// Times <paramref name="batches"/> steps and extrapolates to an epoch of the training set, or times a whole epoch
    /// when <paramref name="batches"/> is null.
    /// </summary>
    public static TrainResult Run(string modelName, int batchSize, int? batches, int threads)
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
        for (int i = 0; i < WarmupBatches; i++) Step(model, optimizer, slices[i % slices.Count]);
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
        double perEpoch = batches is null ? seconds : seconds / samples * count;
        return new TrainResult(modelName.ToLowerInvariant(), batchSize, threads, timed, perEpoch, samples / seconds, bytesPerStep);
    }

    private static void Step(NN.Module model, Optimizer optimizer, (Tensor X, Tensor Y) batch)
    {
        using var scope = new TensorScope();
        optimizer.ZeroGrad(setToNone: false);
        var loss = F.CrossEntropy(model.Forward(batch.X), batch.Y);
        loss.Backward();
        ((FirstOrderOptimizer)optimizer).Step();
    }
}
