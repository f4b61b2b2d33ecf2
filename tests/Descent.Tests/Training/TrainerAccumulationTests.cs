using Descent.Data;
using Descent.NN;
using Descent.Optim;
using Descent.Optim.Schedulers;
using Descent.Training;
using F = Descent.NN.Functional;

namespace Descent.Tests.Training;

/// <summary>
/// Gradient accumulation (<see cref="Trainer.AccumulationSteps"/>): K batches of the loader step as one batch of their
/// total size, in float64 to 1e-12, also with batches of unequal size and a last window of fewer than K batches.
/// </summary>
[Collection(DefaultGeneratorCollection.Name)]
public class TrainerAccumulationTests
{
    private const double Tolerance = 1e-12;

    /// <summary>Samples of 4 features in 3 classes (the class from a fixed linear map, so that there is something to learn).</summary>
    internal static TensorDataset Data(int n)
    {
        var g = new Generator(7);
        var x = Tensor.Randn([n, 4], DType.Float64, g);
        var scores = x.MatMul(Tensor.Randn([4, 3], DType.Float64, g));
        return new TensorDataset(x, scores.Argmax(1));
    }

    /// <summary>A float64 MLP 4-8-3, the same weights on every call.</summary>
    internal static Module Mlp()
    {
        var g = new Generator(3);
        return new Sequential(new Linear(4, 8, dtype: DType.Float64, generator: g), new Tanh(), new Linear(8, 3, dtype: DType.Float64, generator: g));
    }

    internal static DataLoader Loader(TensorDataset data, int batchSize) =>
        new(data, batchSize, shuffle: true, generator: new Generator(11));

    internal static SGD Sgd(Module model) => new(model.Parameters(), lr: 0.2, momentum: 0.9, weightDecay: 1e-3);

    private sealed record Run(Module Model, IReadOnlyList<EpochMetrics> History, AveragedModel Ema, List<BatchProgress> Batches);

    /// <summary>Three epochs with a per-step schedule and an EMA of the weights, so that both see the steps.</summary>
    private static Run Train(TensorDataset data, int batchSize, int accumulation)
    {
        var model = Mlp();
        var optimizer = Sgd(model);
        var ema = AveragedModel.Ema(model, decay: 0.5);
        var batches = new List<BatchProgress>();
        var trainer = new Trainer(model, optimizer, (y, t) => F.CrossEntropy(y, t))
        {
            AccumulationSteps = accumulation,
            Scheduler = new StepLR(optimizer, stepSize: 1, gamma: 0.9),
            StepSchedulerPerBatch = true,
            Averaged = ema,
            AverageEveryStep = true,
            BatchEnded = batches.Add,
        };
        var history = trainer.Fit(Loader(data, batchSize), epochs: 3);
        return new Run(model, history, ema, batches);
    }

    private static void AssertClose(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual, double tolerance)
    {
        foreach (var (name, e) in expected) AssertClose(e.ToArray<double>(), actual[name].ToArray<double>(), tolerance, name);
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        double error = RelativeDifference(expected, actual);
        Assert.True(error <= tolerance, $"{what}: relative difference {error:E2} > {tolerance:E0}");
    }

    /// <summary>‖a − b‖ / ‖a‖, the relative difference of two arrays as vectors.</summary>
    private static double RelativeDifference(double[] a, double[] b)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < a.Length; i++) { diff += (a[i] - b[i]) * (a[i] - b[i]); norm += a[i] * a[i]; }
        return Math.Sqrt(diff / norm);
    }

    /// <summary>
    /// K batches of b samples against one batch of K·b. 50 samples in batches of 7 are 7 batches of 7 and one of 1:
    /// with K = 3 the windows hold 21, 21 and 8 samples (the last one two batches, 7 and 1); with K = 4, 28 and 22;
    /// batches of 10 with K = 5 are the whole epoch in one step; with K = 8 ≥ the 8 batches too, from batches of 7.
    /// </summary>
    [Theory]
    [InlineData(50, 7, 3)]
    [InlineData(50, 7, 4)]
    [InlineData(50, 10, 5)]
    [InlineData(50, 7, 8)]
    public void K_batches_step_as_one_batch_of_their_total_size(int samples, int batchSize, int accumulation)
    {
        var data = Data(samples);
        var big = Train(data, batchSize * accumulation, 1);
        var accumulated = Train(data, batchSize, accumulation);

        AssertClose(big.Model.StateDict(), accumulated.Model.StateDict(), Tolerance);
        AssertClose(big.Ema.Weights, accumulated.Ema.Weights, Tolerance);
        Assert.Equal(big.Ema.NAveraged, accumulated.Ema.NAveraged); // one update per optimizer step
        for (int e = 0; e < 3; e++)
        {
            // The epoch's loss is the mean over its samples either way: a window's batches are evaluated at the same weights.
            Assert.Equal(big.History[e].TrainLoss, accumulated.History[e].TrainLoss, Tolerance * big.History[e].TrainLoss);
            Assert.Equal(big.History[e].TrainAccuracy, accumulated.History[e].TrainAccuracy);
            // The schedule stepped once per optimizer step, not per batch.
            Assert.Equal(big.History[e].LearningRates[0], accumulated.History[e].LearningRates[0], 1e-15);
        }
        int steps = (samples + batchSize * accumulation - 1) / (batchSize * accumulation);
        Assert.Equal(0.2 * Math.Pow(0.9, 3 * steps), accumulated.History[^1].LearningRates[0], 1e-15);
    }

    [Fact]
    public void BatchEnded_reports_every_batch_of_the_loader_with_its_own_loss()
    {
        var data = Data(50);
        var run = Train(data, 7, 3);
        Assert.Equal(3 * 8, run.Batches.Count);
        Assert.All(run.Batches, b => Assert.Equal(8, b.Batches));
        Assert.Equal(Enumerable.Range(1, 8), run.Batches.Take(8).Select(b => b.Batch));
        // The epoch's loss is the sample-weighted mean of the reported batch losses (the last batch holds 1 sample).
        double weighted = run.Batches.Take(8).Select((b, i) => b.Loss * (i < 7 ? 7 : 1)).Sum() / 50;
        Assert.Equal(run.History[0].TrainLoss, weighted, 1e-14);
    }

    /// <summary>
    /// The same accumulation written out by hand: the weight n_i / N of each batch's mean loss reproduces the big batch,
    /// the 1/K of the naive recipe does not when the batches differ in size or a window is short (here 7 + 1 samples
    /// weighted 1/3 each instead of 7/8 and 1/8), so that the equality above is not one any weighting would pass.
    /// </summary>
    [Fact]
    public void Weighting_by_1_over_K_instead_differs_on_uneven_batches()
    {
        var data = Data(50);
        var reference = Mlp();
        new Trainer(reference, Sgd(reference), (y, t) => F.CrossEntropy(y, t)).Fit(Loader(data, 21), epochs: 3);

        var trueWeights = ByHand(data, batchSize: 7, k: 3, weight: (n, windowSamples, k) => (double)n / windowSamples);
        var naive = ByHand(data, batchSize: 7, k: 3, weight: (n, windowSamples, k) => 1.0 / k);

        AssertClose(reference.StateDict(), trueWeights.StateDict(), Tolerance);
        var (expected, actual) = (reference.StateDict()["0.weight"].ToArray<double>(), naive.StateDict()["0.weight"].ToArray<double>());
        double error = RelativeDifference(expected, actual);
        Assert.True(error > 1e-3, $"the naive 1/K weighting is within {error:E2} of the big batch");
    }

    /// <summary>Three epochs of accumulation by hand: zero, then each batch's loss times its weight backward, then step.</summary>
    private static Module ByHand(TensorDataset data, int batchSize, int k, Func<int, int, int, double> weight)
    {
        var model = Mlp();
        var optimizer = Sgd(model);
        var loader = Loader(data, batchSize);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var batches = loader.ToList();
            for (int first = 0; first < batches.Count; first += k)
            {
                var window = batches.Skip(first).Take(k).ToList();
                int windowSamples = window.Sum(b => b.Input.Size(0));
                optimizer.ZeroGrad();
                foreach (var (input, target) in window)
                    (F.CrossEntropy(model.Forward(input), target) * weight(input.Size(0), windowSamples, k)).Backward();
                optimizer.Step();
            }
        }
        return model;
    }

    /// <summary>What accumulation relies on: the loader shuffles all the samples, then cuts; the order does not depend on the batch size.</summary>
    [Fact]
    public void The_shuffled_order_of_the_samples_does_not_depend_on_the_batch_size()
    {
        var data = new TensorDataset(Tensor.Arange(50, DType.Float64).Reshape([50, 1]), Tensor.Arange(50, DType.Float64));
        var (small, big) = (Loader(data, 7), Loader(data, 21));
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var order = small.SelectMany(b => b.Target.ToArray<double>()).ToArray();
            Assert.Equal(order, big.SelectMany(b => b.Target.ToArray<double>()));
            Assert.NotEqual(Enumerable.Range(0, 50).Select(i => (double)i), order);
        }
    }

    [Fact]
    public void A_non_finite_loss_stops_at_its_batch_before_the_window_steps()
    {
        var data = Data(50);
        var model = Mlp();
        var before = model.StateDict()["0.weight"].ToArray<double>();
        int calls = 0;
        var trainer = new Trainer(model, Sgd(model), (y, t) => F.CrossEntropy(y, t) * (++calls == 2 ? double.NaN : 1.0)) { AccumulationSteps = 3 };
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(Loader(data, 7), epochs: 1));
        Assert.Equal((1, 2), (e.Epoch, e.Batch));
        Assert.Equal(before, model.StateDict()["0.weight"].ToArray<double>()); // the first window had not stepped yet
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public void Accumulation_steps_below_one_name_the_option(int steps)
    {
        var model = Mlp();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(model, Sgd(model), (y, t) => F.CrossEntropy(y, t)) { AccumulationSteps = steps });
        Assert.Equal("AccumulationSteps", e.ParamName);
        Assert.Contains($"got {steps}", e.Message);
    }

    [Fact]
    public void A_closure_based_optimizer_cannot_accumulate()
    {
        var model = Mlp();
        var lbfgs = new LBFGS(model.Parameters());
        var e = Assert.Throws<ArgumentException>(() => new Trainer(model, lbfgs, (y, t) => F.CrossEntropy(y, t)) { AccumulationSteps = 2 });
        Assert.Equal("AccumulationSteps", e.ParamName);
        Assert.Contains("LBFGS", e.Message);
        Assert.Contains("first-order", e.Message);
        _ = new Trainer(model, lbfgs, (y, t) => F.CrossEntropy(y, t)) { AccumulationSteps = 1 }; // one batch per step is fine
    }
}
