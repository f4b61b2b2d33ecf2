using System.Runtime.InteropServices;
using Descent.Data;
using Descent.NN;
using Descent.Optim;
using Descent.Parallel;
using Descent.Training;
using F = Descent.NN.Functional;

namespace Descent.Tests.Parallel;

/// <summary>
/// Data-parallel training: N ranks (threads of this process here; real MPI jobs in Descent.Distributed.Tests) give the
/// bits one process gives with the same S shards, for every N dividing S, through the Trainer and by hand; the summed
/// gradient is the full batch's; NoSync accumulates; buffers follow shard 0; dropout is the shard's own.
/// </summary>
[Collection(DefaultGeneratorCollection.Name)] // one test trains with dropout on the default generator
public class DistributedDataParallelTests
{
    private const int Features = 6, Classes = 3;

    private static TensorDataset Data(int n)
    {
        var g = new Generator(5);
        var x = Tensor.Randn([n, Features], generator: g);
        var w = Tensor.Randn([Features, Classes], generator: g);
        return new TensorDataset(x, x.MatMul(w).Argmax(1));
    }

    /// <summary>An MLP with BatchNorm and dropout, so that buffers and random numbers are part of what must agree.</summary>
    private static Module Model(bool batchNorm = true, bool dropout = true)
    {
        var g = new Generator(9);
        var layers = new List<Module> { new Linear(Features, 16, generator: g) };
        if (batchNorm) layers.Add(new BatchNorm1d(16));
        layers.Add(new ReLU());
        if (dropout) layers.Add(new Dropout(0.3));
        layers.Add(new Linear(16, Classes, generator: g));
        return new Sequential([.. layers]);
    }

    /// <summary>Trains for two epochs on <paramref name="communicator"/>'s rank with S shards; returns every parameter's and buffer's bytes, and the history.</summary>
    private static (byte[] State, IReadOnlyList<EpochMetrics> History) Train(Communicator communicator, int shards, int batchSize = 24, int accumulate = 1,
        double bucketMegabytes = 25, bool adam = false, bool batchNorm = true)
    {
        var model = Model(batchNorm);
        var data = Data(118); // not a multiple of the shards: the sampler pads
        Optimizer optimizer = adam ? new Adam(model.Parameters(), lr: 1e-2, weightDecay: 1e-3) : new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
        using var parallel = new DistributedDataParallel(model, communicator, shards, average: false, bucketMegabytes: bucketMegabytes, seed: 3);
        var trainer = new Trainer(model, optimizer, (y, t) => F.CrossEntropy(y, t)) { Parallel = parallel, AccumulationSteps = accumulate };
        var history = trainer.Fit(new DataLoader(data, batchSize, shuffle: true, generator: new Generator(17)), epochs: 2);
        return (Bytes(model), history);
    }

    private static byte[] Bytes(Module model) =>
        [.. model.StateDict().Values.SelectMany(t => t.DType switch
        {
            DType.Int64 => MemoryMarshal.AsBytes(t.Contiguous().AsSpan<long>()).ToArray(),
            DType.Float64 => MemoryMarshal.AsBytes(t.Contiguous().AsSpan<double>()).ToArray(),
            _ => MemoryMarshal.AsBytes(t.Contiguous().AsSpan<float>()).ToArray(),
        })];

    [Theory]
    [InlineData(2, 2)]
    [InlineData(4, 2)]
    [InlineData(3, 3)]
    [InlineData(6, 3)]
    [InlineData(6, 2)] // 3 shards a rank: not a power of two, so a rank sends two nodes of the tree
    [InlineData(12, 3)]
    public void Ranks_give_the_bits_of_one_process_with_the_same_shards(int shards, int ranks)
    {
        var (alone, aloneHistory) = Train(Communicator.Single, shards);
        var runs = ThreadCommunicator.Run(ranks, c => Train(c, shards));
        foreach (var (state, history) in runs)
        {
            Assert.Equal(alone, state);
            Assert.Equal(aloneHistory.Select(h => h.TrainLoss), history.Select(h => h.TrainLoss));
            Assert.Equal(aloneHistory.Select(h => h.TrainAccuracy), history.Select(h => h.TrainAccuracy));
        }
    }

    [Fact]
    public void A_bucket_per_parameter_accumulation_and_Adam_give_the_same_bits_too()
    {
        using (var split = new DistributedDataParallel(Model(), shards: 2, bucketMegabytes: 1e-6))
            Assert.Equal(Model().Parameters().Count(), split.BucketCount); // a bucket closes after each parameter: six sent in turn during the pass
        var alone = Train(Communicator.Single, 4, batchSize: 16, accumulate: 3, bucketMegabytes: 1e-6, adam: true).State;
        foreach (var (state, _) in ThreadCommunicator.Run(2, c => Train(c, 4, batchSize: 16, accumulate: 3, bucketMegabytes: 1e-6, adam: true)))
            Assert.Equal(alone, state);
        foreach (var (state, _) in ThreadCommunicator.Run(3, c => Train(c, 6, batchSize: 18, bucketMegabytes: 1e-6)))
            Assert.Equal(Train(Communicator.Single, 6, batchSize: 18, bucketMegabytes: 1e-6).State, state); // buckets of 3 elements and fewer, on 3 ranks
    }

    /// <summary>
    /// A float64 model whose first layer is used twice, and whose extra layer only some shards use: the sum still agrees,
    /// and a parameter no shard used keeps no gradient.
    /// </summary>
    [Fact]
    public void Float64_shared_and_unused_parameters_agree_across_ranks()
    {
        static (byte[] State, bool UnusedHasGradient) Run(Communicator c)
        {
            var g = new Generator(4);
            var shared = new Linear(4, 4, dtype: DType.Float64, generator: g);
            var sometimes = new Linear(4, 4, dtype: DType.Float64, generator: g);
            var never = new Linear(4, 4, dtype: DType.Float64, generator: g);
            var model = new Sequential(shared, sometimes, never);
            var optimizer = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
            using var parallel = new DistributedDataParallel(model, c, shards: 4, average: false, bucketMegabytes: 1e-6);
            for (int step = 0; step < 3; step++)
            {
                parallel.BeginStep();
                optimizer.ZeroGrad(); // to none: an unused parameter has no gradient
                for (int j = 0; j < parallel.LocalShards; j++)
                {
                    int shard = parallel.FirstShard + j;
                    var x = Tensor.Randn([3, 4], DType.Float64, new Generator(100 * step + shard));
                    var h = shared.Forward(shared.Forward(x).Tanh());
                    if (shard % 2 == 1) h = sometimes.Forward(h);
                    (h.Square().Mean() * 0.25).Backward();
                }
                optimizer.Step();
            }
            return (Bytes(model), never.Weight.Grad is not null);
        }
        var alone = Run(Communicator.Single);
        Assert.False(alone.UnusedHasGradient);
        foreach (var ranked in ThreadCommunicator.Run(2, Run))
        {
            Assert.Equal(alone.State, ranked.State);
            Assert.False(ranked.UnusedHasGradient);
        }
    }

    [Fact]
    public void An_evaluation_between_steps_changes_nothing()
    {
        static byte[] Run(Communicator c, bool evaluate)
        {
            var model = Model();
            var data = Data(32);
            var optimizer = new SGD(model.Parameters(), lr: 0.1);
            using var parallel = new DistributedDataParallel(model, c, shards: 2);
            for (int step = 0; step < 2; step++)
            {
                optimizer.ZeroGrad();
                for (int j = 0; j < parallel.LocalShards; j++)
                {
                    var (x, t) = data.GetBatch([.. Enumerable.Range(16 * (parallel.FirstShard + j), 16)]);
                    F.CrossEntropy(parallel.Forward(x), t).Backward();
                }
                optimizer.Step();
                if (!evaluate) continue;
                model.Eval();
                using (Descent.Autograd.NoGrad()) parallel.Forward(data.GetBatch([0, 1, 2]).Input);
                model.Train();
            }
            return Bytes(model);
        }
        var plain = Run(Communicator.Single, evaluate: false);
        Assert.Equal(plain, Run(Communicator.Single, evaluate: true));
        foreach (var ranked in ThreadCommunicator.Run(2, c => Run(c, evaluate: true))) Assert.Equal(plain, ranked);
    }

    [Fact]
    public void A_step_interrupted_in_one_process_is_dropped_and_on_several_ranks_stops_the_wrapper()
    {
        var data = Data(16);
        var (x, t) = data.GetBatch([.. Enumerable.Range(0, 8)]);
        byte[] Step(DistributedDataParallel parallel, SGD optimizer)
        {
            parallel.BeginStep();
            optimizer.ZeroGrad();
            F.CrossEntropy(parallel.Forward(x), t).Backward();
            F.CrossEntropy(parallel.Forward(x), t).Backward();
            optimizer.Step();
            return Bytes(parallel.Module);
        }
        var cleanModel = Model(batchNorm: false, dropout: false);
        using var clean = new DistributedDataParallel(cleanModel, shards: 2);
        var expected = Step(clean, new SGD(cleanModel.Parameters(), lr: 0.1));

        var model = Model(batchNorm: false, dropout: false);
        using var parallel = new DistributedDataParallel(model, shards: 2);
        F.CrossEntropy(parallel.Forward(x), t).Backward(); // shard 0
        parallel.Forward(x); // shard 1's forward; then, say, its loss diverges and the loop gives the step up
        Assert.Equal(expected, Step(parallel, new SGD(model.Parameters(), lr: 0.1))); // BeginStep dropped the half step

        var messages = ThreadCommunicator.Run(2, c =>
        {
            var m = Model(dropout: false);
            using var p = new DistributedDataParallel(m, c, shards: 2);
            if (c.Rank == 1) p.Forward(x); // rank 1 gives up between a forward and its backward
            return c.Rank == 1 ? Assert.Throws<InvalidOperationException>(p.BeginStep).Message : "";
        });
        Assert.Contains("out of step", messages[1]);
    }

    [Fact]
    public void The_shard_count_is_part_of_the_result()
    {
        var two = Train(Communicator.Single, 2).State;
        var four = Train(Communicator.Single, 4).State;
        Assert.NotEqual(two, four); // dropout and BatchNorm see other batches: S is part of the experiment, N is not
    }

    [Fact]
    public void One_shard_in_one_process_is_training_without_the_wrapper()
    {
        Tensor.ManualSeed(21);
        var wrapped = Train(Communicator.Single, 1).State;
        Tensor.ManualSeed(21);
        var model = Model();
        var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.1, momentum: 0.9), (y, t) => F.CrossEntropy(y, t));
        trainer.Fit(new DataLoader(Data(118), 24, shuffle: true, generator: new Generator(17)), epochs: 2);
        Assert.Equal(wrapped, Bytes(model)); // the wrapper steps aside: the plain run's dropout draws from the default generator, as here
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_reduced_gradient_is_the_full_batch_gradient(bool average)
    {
        var data = Data(32);
        var (x, t) = data.GetBatch([.. Enumerable.Range(0, 32)]);
        var full = Model(batchNorm: false, dropout: false);
        F.CrossEntropy(full.Forward(x), t).Backward();

        var model = Model(batchNorm: false, dropout: false);
        using var parallel = new DistributedDataParallel(model, shards: 4, average: average);
        for (int s = 0; s < 4; s++)
        {
            var (xs, ts) = data.GetBatch([.. Enumerable.Range(8 * s, 8)]);
            var loss = F.CrossEntropy(parallel.Forward(xs), ts);
            (average ? loss : loss * 0.25).Backward();
        }
        foreach (var (expected, actual) in full.Parameters().Zip(model.Parameters()))
            AssertClose(expected.Grad!, actual.Grad!);
    }

    [Fact]
    public void NoSync_adds_micro_batches_into_the_shard()
    {
        var data = Data(32);
        var (x, t) = data.GetBatch([.. Enumerable.Range(0, 32)]);
        var full = Model(batchNorm: false, dropout: false);
        F.CrossEntropy(full.Forward(x), t).Backward();

        var model = Model(batchNorm: false, dropout: false);
        using var parallel = new DistributedDataParallel(model, shards: 2, average: false);
        for (int s = 0; s < 2; s++)
            for (int micro = 0; micro < 4; micro++)
            {
                var (xs, ts) = data.GetBatch([.. Enumerable.Range(16 * s + 4 * micro, 4)]);
                using (micro < 3 ? parallel.NoSync() : null)
                    (F.CrossEntropy(parallel.Forward(xs), ts) * 0.125).Backward();
            }
        Assert.Equal(1, parallel.Steps);
        foreach (var (expected, actual) in full.Parameters().Zip(model.Parameters()))
            AssertClose(expected.Grad!, actual.Grad!);
    }

    [Fact]
    public void Buffers_after_a_step_are_those_shard_zero_left()
    {
        var data = Data(16);
        var model = Model(dropout: false);
        var alone = Model(dropout: false);
        using var parallel = new DistributedDataParallel(model, shards: 2);
        var (x0, t0) = data.GetBatch([.. Enumerable.Range(0, 8)]);
        var (x1, t1) = data.GetBatch([.. Enumerable.Range(8, 8)]);
        F.CrossEntropy(parallel.Forward(x0), t0).Backward();
        F.CrossEntropy(parallel.Forward(x1), t1).Backward();
        alone.Forward(x0); // shard 0 alone, from the same start
        var expected = alone.NamedBuffers().ToDictionary(b => b.Key, b => b.Value);
        foreach (var (name, buffer) in model.NamedBuffers())
            Assert.Equal(expected[name].ToDoubleArray(), buffer.ToDoubleArray());
    }

    [Fact]
    public void Row_sparse_gradients_stay_row_sparse_and_agree_across_ranks()
    {
        static (byte[] Weights, long[] Rows) Run(Communicator c)
        {
            var model = new Sequential(new Embedding(20, 4, generator: new Generator(1), sparse: true), new Flatten(), new Linear(8, 2, generator: new Generator(2)));
            var embedding = (Embedding)model.NamedChildren().First().Value;
            var optimizer = new SparseAdam([embedding.Weight], lr: 0.05);
            var dense = new Adam(model.Parameters().Skip(1), lr: 0.05);
            using var parallel = new DistributedDataParallel(model, c, shards: 2, average: false);
            long[] rows = [];
            for (int step = 0; step < 3; step++)
            {
                optimizer.ZeroGrad();
                dense.ZeroGrad();
                for (int j = 0; j < parallel.LocalShards; j++)
                {
                    int shard = parallel.FirstShard + j;
                    var tokens = Tensor.FromArray(new long[] { 3 * shard + step, 7, 11 + shard, 2 * step }, [2, 2]);
                    parallel.Forward(tokens).Square().Mean().Backward();
                }
                rows = embedding.Weight.SparseGrad!.Indices.AsSpan<long>().ToArray();
                optimizer.Step();
                dense.Step();
            }
            return (Bytes(model), rows);
        }
        var alone = Run(Communicator.Single);
        Assert.Equal(new long[] { 2, 4, 5, 7, 11, 12 }, alone.Rows); // the rows of the last step's tokens, 2 7 11 4 and 5 7 12 4
        foreach (var ranked in ThreadCommunicator.Run(2, Run))
        {
            Assert.Equal(alone.Weights, ranked.Weights);
            Assert.Equal(alone.Rows, ranked.Rows);
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        var (e, a) = (expected.ToDoubleArray(), actual.ToDoubleArray());
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-7 + 1e-5 * Math.Abs(e[i]), $"element {i}: the sum over shards gives {a[i]}, the full batch {e[i]}");
    }

    [Fact]
    public void Ranks_whose_loaders_draw_different_orders_are_stopped()
    {
        var errors = ThreadCommunicator.Run(2, c =>
        {
            var model = Model();
            using var parallel = new DistributedDataParallel(model, c, shards: 2);
            var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.1), (y, t) => F.CrossEntropy(y, t)) { Parallel = parallel };
            var loader = new DataLoader(Data(40), 8, shuffle: true, generator: new Generator(c.Rank)); // seeded per rank
            return Assert.Throws<InvalidOperationException>(() => trainer.Fit(loader, 1)).Message;
        });
        Assert.All(errors, e => Assert.Contains("rank 1's data loader visits the samples in another order", e));
    }

    [Fact]
    public void Arguments_are_checked()
    {
        var model = Model();
        Assert.Contains("multiple of the 2 ranks", ThreadCommunicator.Run(2, c => Assert.Throws<ArgumentException>(() => new DistributedDataParallel(Model(), c, shards: 3)).Message)[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedDataParallel(model, shards: -1));
        using var parallel = new DistributedDataParallel(model, shards: 4);
        var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.1), (y, t) => F.CrossEntropy(y, t)) { Parallel = parallel };
        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(new DataLoader(Data(20), 10), 1));
        Assert.Contains("batch size 10 must be a multiple of the 4 shards", error.Message);
        Assert.Throws<ArgumentException>(() => new Trainer(model, new LBFGS(model.Parameters()), (y, t) => F.CrossEntropy(y, t)) { Parallel = parallel });
        Assert.Throws<ArgumentException>(() => new Trainer(Model(), new SGD(model.Parameters(), lr: 0.1), (y, t) => F.CrossEntropy(y, t)) { Parallel = parallel });
    }
}
