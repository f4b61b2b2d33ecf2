using System.Diagnostics;
using Descent.Data;
using Descent.Optim;
using Descent.Parallel;

namespace Descent.Training;

// Data-parallel training: each global batch cut into the shards of Parallel, this rank computing its own, the gradients
// summed over all shards in one fixed order; the same bits on any number of ranks.
public sealed partial class Trainer
{
    /// <summary>
    /// Trains data-parallel (<see cref="DistributedDataParallel"/>): every epoch's order of the samples (the data
    /// loader's, from its generator, the same on every rank) is dealt out to the S shards as PyTorch's
    /// <see cref="DistributedSampler"/> deals it to S replicas (shard s takes every S-th sample from the s-th, the order
    /// padded by repeating its start to a multiple of S, or cut with the loader's dropLast), and a global batch of the
    /// loader's batch size B takes B / S samples of every shard. Each shard's loss is weighted by its share of the step's
    /// samples, the shards' gradients are summed in the tree order of <see cref="DistributedDataParallel"/>, and every
    /// rank steps the same optimizer on the same sum. The epoch's loss and accuracy cover every shard, in shard order.
    /// Every rank evaluates the whole validation set; only rank 0 writes checkpoints. <see cref="BatchEnded"/> reports the
    /// mean loss of this rank's shards (the epoch's figures are every shard's). With one shard in one process it is
    /// training as without it (and any optimizer will do); else the optimizer must be first-order. The wrapped module
    /// must be <see cref="Model"/>.
    /// </summary>
    public DistributedDataParallel? Parallel
    {
        get;
        init
        {
            if (value is not null && value.Module != Model)
                throw new ArgumentException("Parallel must wrap the trainer's model", nameof(Parallel));
            if (value is { IsPassThrough: false } && Optimizer is not FirstOrderOptimizer)
                throw new ArgumentException($"data-parallel training needs a first-order optimizer: {Optimizer.GetType().Name} re-evaluates the loss through a closure", nameof(Parallel));
            field = value;
        }
    }

    private bool Sharded => Parallel is { IsPassThrough: false };

    /// <summary>
    /// The optimizer steps of one epoch over <paramref name="train"/> with <paramref name="accumulationSteps"/> batches a
    /// step: ⌈batches / K⌉, the batches counted per shard in data-parallel training over <paramref name="shards"/> shards
    /// (each shard's samples padded as the sampler pads them): what a per-step schedule needs to know.
    /// </summary>
    public static int StepsPerEpoch(DataLoader train, int accumulationSteps = 1, int shards = 1)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (accumulationSteps < 1) throw new ArgumentOutOfRangeException(nameof(accumulationSteps), accumulationSteps, $"accumulationSteps must be >= 1, got {accumulationSteps}");
        if (shards < 1) throw new ArgumentOutOfRangeException(nameof(shards), shards, $"shards must be >= 1, got {shards}");
        int batches = shards == 1 ? train.Count : ShardLayout.Of(train, shards).Batches;
        return (batches + accumulationSteps - 1) / accumulationSteps;
    }

    private void CheckSharding(DataLoader train)
    {
        if (train.BatchSize % Parallel!.Shards != 0)
            throw new ArgumentException($"the data loader's batch size {train.BatchSize} must be a multiple of the {Parallel.Shards} shards: every shard takes batch size / shards samples of a batch", nameof(train));
        if (train.Sampler is not null)
            throw new ArgumentException("data-parallel training deals the samples to the shards itself: give it a data loader without a sampler", nameof(train));
        if (ShardLayout.Of(train, Parallel.Shards).Batches == 0)
            throw new ArgumentException($"with dropLast, the {train.Dataset.Count} samples leave no batch of {train.BatchSize} over {Parallel.Shards} shards", nameof(train));
    }

    private (double Loss, double? Accuracy, double Seconds, int Batches) TrainShardedEpoch(DataLoader train, int epoch)
    {
        var parallel = Parallel!;
        var optimizer = (FirstOrderOptimizer)Optimizer;
        Model.Train();
        (Optimizer as ITrainEvalOptimizer)?.Train();
        var clock = Stopwatch.StartNew();
        var layout = ShardLayout.Of(train, parallel.Shards);
        parallel.Steps = (long)(epoch - 1) * ((layout.Batches + AccumulationSteps - 1) / AccumulationSteps);
        int[] order = train.NextEpochOrder();
        CheckSameOrder(parallel, order, epoch);
        var shards = new int[parallel.LocalShards][];
        for (int j = 0; j < shards.Length; j++) shards[j] = DistributedSampler.Split(order, parallel.Shards, parallel.FirstShard + j, train.DropLast);
        // Per local shard: loss × samples, samples and hits over the finite batches, and whether every batch was classified.
        var stats = new double[shards.Length * 4];
        var losses = new double[AccumulationSteps];
        for (int first = 1; first <= layout.Batches; first += AccumulationSteps)
        {
            var window = AccumulationWindow.Starting(layout.Batches, layout.ShardBatch, layout.PerShard, first, AccumulationSteps);
            parallel.BeginStep();
            Optimizer.ZeroGrad(setToNone: !ZeroGradInPlace);
            Array.Clear(losses);
            long reductions = parallel.Steps;
            for (int j = 0; j < shards.Length; j++)
                for (int batch = window.First; batch <= window.Last; batch++)
                {
                    double value = ShardBatch(parallel, optimizer, train.Dataset, shards[j], window, epoch, batch, stats.AsSpan(j * 4, 4));
                    losses[batch - window.First] += value / shards.Length;
                }
            if (parallel.Steps != reductions + 1)
                throw new InvalidOperationException($"epoch {epoch}, batch {window.Last}: the shards' backward passes did not end in one reduction of the gradients (a hook or another Backward in the loss?)");
            optimizer.Step();
            AfterStep(epoch);
            for (int batch = window.First; batch <= window.Last; batch++)
                BatchEnded?.Invoke(new BatchProgress(epoch, batch, layout.Batches, losses[batch - window.First]));
        }
        var (loss, accuracy, seconds) = EpochTotals(parallel, stats, clock.Elapsed.TotalSeconds);
        return (loss, accuracy, seconds, layout.Batches);
    }

    /// <summary>
    /// One batch of one shard: forward through the wrapper, the loss weighted by the batch's share of the step's samples
    /// over all shards, and backward (inside NoSync but for the window's last batch, whose backward ends the shard).
    /// Returns the batch's own mean loss.
    /// </summary>
    private double ShardBatch(DistributedDataParallel parallel, FirstOrderOptimizer optimizer, Dataset dataset, int[] shard, AccumulationWindow window, int epoch, int batch, Span<double> stats)
    {
        int start = (batch - 1) * window.BatchSize;
        var indices = shard.AsSpan(start, Math.Min(window.BatchSize, shard.Length - start));
        using var scope = new TensorScope();
        var (input, target) = DataLoader.Rows(dataset, indices);
        using var noSync = batch < window.Last ? parallel.NoSync() : null;
        var output = parallel.Forward(input);
        var loss = _loss(output, target);
        double value = loss.Item();
        if (!double.IsFinite(value) && !optimizer.SkipsNonFiniteSteps) throw new TrainingDivergedException(epoch, batch, value);
        // The shards' batches at one place of the window have the same size, so the step's samples are S times a shard's;
        // averaging in the wrapper divides by S itself.
        double share = window.WeightOf(indices.Length, batch);
        double weight = parallel.Average ? share : indices.Length / ((double)window.Samples * parallel.Shards);
        if (weight != 1) loss *= weight;
        loss.Backward();
        if (double.IsFinite(value))
        {
            stats[0] += value * indices.Length;
            stats[1] += indices.Length;
            if (CountCorrect(output, target) is long hits) stats[2] += hits;
            else stats[3] = 1;
        }
        return value;
    }

    /// <summary>
    /// Every rank must deal the same order to the shards, or samples are silently seen twice or never: a loader seeded
    /// differently on each rank (a habit from per-rank samplers) is caught here, by a hash of the order on each rank.
    /// </summary>
    private static void CheckSameOrder(DistributedDataParallel parallel, int[] order, int epoch)
    {
        int ranks = parallel.Communicator.Size;
        if (ranks == 1) return;
        var hashes = new long[ranks];
        parallel.Communicator.AllGather<long>([OrderHash(order)], hashes, Enumerable.Repeat(1, ranks).ToArray());
        int other = Array.FindIndex(hashes, h => h != hashes[0]);
        if (other >= 0)
            throw new InvalidOperationException($"epoch {epoch}: rank {other}'s data loader visits the samples in another order than rank 0's: give every rank's loader the same seed (the shards are dealt from one order)");
    }

    private static long OrderHash(int[] order)
    {
        ulong h = 14695981039346656037UL; // FNV-1a over the indices
        foreach (int i in order) h = (h ^ (uint)i) * 1099511628211UL;
        return unchecked((long)h);
    }

    /// <summary>The epoch's loss and accuracy over every shard of every rank, summed in shard order.</summary>
    private static (double Loss, double? Accuracy, double Seconds) EpochTotals(DistributedDataParallel parallel, double[] local, double seconds)
    {
        var all = new double[parallel.Shards * 4];
        var counts = Enumerable.Repeat(local.Length, parallel.Communicator.Size).ToArray();
        parallel.Communicator.AllGather<double>(local, all, counts);
        double lossSum = 0, samples = 0, correct = 0;
        bool classification = true;
        for (int s = 0; s < parallel.Shards; s++)
        {
            lossSum += all[s * 4];
            samples += all[s * 4 + 1];
            correct += all[s * 4 + 2];
            classification &= all[s * 4 + 3] == 0;
        }
        if (samples == 0) return (double.NaN, null, seconds); // every batch was skipped
        return (lossSum / samples, classification ? correct / samples : null, seconds);
    }

    /// <summary>How an epoch of <paramref name="Batches"/> batches of <paramref name="ShardBatch"/> samples per shard falls on the shards of <paramref name="PerShard"/> samples each.</summary>
    private readonly record struct ShardLayout(int PerShard, int ShardBatch, int Batches)
    {
        public static ShardLayout Of(DataLoader train, int shards)
        {
            int perShard = DistributedSampler.SamplesPerReplica(train.Dataset.Count, shards, train.DropLast);
            int shardBatch = Math.Max(1, train.BatchSize / shards);
            int batches = train.DropLast ? perShard / shardBatch : (perShard + shardBatch - 1) / shardBatch;
            return new ShardLayout(perShard, shardBatch, batches);
        }
    }
}
