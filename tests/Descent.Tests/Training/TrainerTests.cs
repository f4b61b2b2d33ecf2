using Descent.Data;
using Descent.NN;
using Descent.Optim;
using Descent.Optim.Schedulers;
using Descent.Training;
using F = Descent.NN.Functional;

namespace Descent.Tests.Training;

[Collection(DefaultGeneratorCollection.Name)]
public class TrainerTests
{
    private static (DataLoader Train, TensorDataset Data, Generator Shuffle) IrisLoader(long seed)
    {
        var iris = Tables.Iris();
        var x = new StandardScaler().Fit(iris.Features).Transform(iris.Features);
        var data = new TensorDataset(x, iris.Labels);
        var g = new Generator(seed);
        return (new DataLoader(data, batchSize: 16, shuffle: true, generator: g), data, g);
    }

    private static (Trainer Trainer, Module Model, Generator Shuffle, DataLoader Loader) Build(string? checkpoint)
    {
        Tensor.ManualSeed(3);
        var model = new Sequential(new Linear(4, 16), new ReLU(), new Dropout(0.1), new Linear(16, 3));
        var optimizer = new Adam(model.Parameters(), lr: 0.01);
        var (loader, _, g) = IrisLoader(11);
        var trainer = new Trainer(model, optimizer, (y, t) => F.CrossEntropy(y, t))
        {
            Scheduler = new StepLR(optimizer, stepSize: 2, gamma: 0.5),
            CheckpointPath = checkpoint,
            DataGenerator = g,
        };
        return (trainer, model, g, loader);
    }

    [Fact]
    public void LearnsIrisAndReportsEveryEpoch()
    {
        var (trainer, _, _, loader) = Build(null);
        var seen = new List<EpochMetrics>();
        var history = new Trainer(trainer.Model, trainer.Optimizer, (y, t) => F.CrossEntropy(y, t)) { EpochEnded = seen.Add }
            .Fit(loader, 30, loader.Dataset is TensorDataset d ? [(d.Inputs, d.Targets)] : null);
        Assert.Equal(30, seen.Count);
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss / 3, $"loss {history[0].TrainLoss} -> {history[^1].TrainLoss}");
        Assert.True(history[^1].ValidationAccuracy > 0.9, $"accuracy {history[^1].ValidationAccuracy}");
    }

    /// <summary>
    /// L-BFGS trains through the Trainer too: each batch is evaluated through its closure (no extra pass), and the
    /// reported loss is the closure's first evaluation, the loss before the step.
    /// </summary>
    [Fact]
    public void TrainsWithLbfgsThroughItsClosure()
    {
        var g = new Generator(5);
        var x = Tensor.Randn([64, 3], generator: g);
        var y = x.MatMul(Tensor.FromArray(new[] { 1f, -2f, 0.5f }, [3, 1])) + 0.3f;
        var model = new Linear(3, 1, generator: g);
        double initial = F.MseLoss(model.Forward(x), y).Item();
        var lbfgs = new LBFGS(model.Parameters(), lineSearch: LineSearch.StrongWolfe);
        var history = new Trainer(model, lbfgs, (p, t) => F.MseLoss(p, t)).Fit(new DataLoader(new TensorDataset(x, y), batchSize: 64), 3);
        Assert.Equal(initial, history[0].TrainLoss, 6);
        Assert.True(history[^1].TrainLoss < 1e-8, $"loss {history[0].TrainLoss} -> {history[^1].TrainLoss}");
    }

    [Fact]
    public void ResumedRunEqualsUninterruptedRunBitForBit()
    {
        var dir = Directory.CreateTempSubdirectory("descent-trainer-");
        try
        {
            var (straight, straightModel, _, straightLoader) = Build(null);
            straight.Fit(straightLoader, 6);

            string path = Path.Combine(dir.FullName, "run.ckpt");
            var (first, _, _, firstLoader) = Build(path);
            first.Fit(firstLoader, 3);

            var (resumed, resumedModel, _, resumedLoader) = Build(null);
            Generator.Default.Seed(999); // whatever happened since, the checkpoint restores the generators
            resumed.ResumeFrom(path);
            Assert.Equal(3, resumed.CompletedEpochs);
            resumed.Fit(resumedLoader, 6);

            foreach (var (name, expected) in straightModel.StateDict())
                Assert.Equal(expected.ToArray<float>(), resumedModel.StateDict()[name].ToArray<float>());
            Assert.Equal(straight.History[^1].TrainLoss, resumed.History[^1].TrainLoss);
            Assert.Equal(straight.Optimizer.ParamGroups[0].Lr, resumed.Optimizer.ParamGroups[0].Lr);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void NonFiniteLossStopsWithTheEpochAndBatch()
    {
        var (loader, _, _) = IrisLoader(1);
        var model = new Sequential(new Linear(4, 3));
        var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.1), (y, t) => F.CrossEntropy(y, t) * double.NaN);
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(loader, 2));
        Assert.Equal(1, e.Epoch);
        Assert.Equal(1, e.Batch);
        Assert.Contains("epoch 1, batch 1", e.Message);
    }

    [Fact]
    public void CheckpointOfAnotherOptimizerIsRefusedWithoutChangingTheModel()
    {
        var dir = Directory.CreateTempSubdirectory("descent-trainer-");
        try
        {
            string path = Path.Combine(dir.FullName, "adam.ckpt");
            var (trainer, _, _, loader) = Build(path);
            trainer.Fit(loader, 1);
            var model = new Sequential(new Linear(4, 16), new ReLU(), new Dropout(0.1), new Linear(16, 3));
            var before = model.StateDict()["0.weight"].ToArray<float>();
            var other = new Trainer(model, new SGD(model.Parameters(), lr: 0.1), (y, t) => F.CrossEntropy(y, t));
            var e = Assert.Throws<InvalidDataException>(() => other.ResumeFrom(path));
            Assert.Contains("Adam", e.Message);
            Assert.Equal(before, model.StateDict()["0.weight"].ToArray<float>());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void BadEpochCountNamesTheArgument()
    {
        var (trainer, _, _, loader) = Build(null);
        Assert.Equal("epochs", Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(loader, 0)).ParamName);
    }

    /// <summary>A dataset that builds each sample's tensors once, on first use, and keeps them (big enough to be pooled).</summary>
    private sealed class CachingDataset : Dataset
    {
        private readonly Dictionary<int, (Tensor, Tensor)> _cache = [];
        public override int Count => 8;
        public override (Tensor Input, Tensor Target) Get(int index)
        {
            if (!_cache.TryGetValue(index, out var sample))
                _cache[index] = sample = (Tensor.Full([1200], index / 8.0), Tensor.Scalar(index % 2, DType.Int64));
            return sample;
        }
    }

    [Fact]
    public void A_dataset_that_keeps_the_tensors_it_makes_survives_the_per_batch_scopes()
    {
        Tensor.ManualSeed(1);
        var model = new Sequential(new Linear(1200, 2));
        var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.01), (y, t) => F.CrossEntropy(y, t));
        var history = trainer.Fit(new DataLoader(new CachingDataset(), batchSize: 4), epochs: 3);
        Assert.Equal(3, history.Count);
        Assert.All(history, m => Assert.True(double.IsFinite(m.TrainLoss)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Zeroing_in_place_or_to_null_differs_only_for_a_parameter_without_gradient(bool inPlace)
    {
        Tensor.ManualSeed(2);
        var used = new Linear(4, 3);
        var unused = new Linear(4, 3);
        var model = new Sequential(used);
        var before = unused.Weight.ToArray<float>();
        // The unused layer's parameters get one gradient (zero) from a loss that multiplies them by zero, then none.
        unused.Weight.Grad = Tensor.ZerosLike(unused.Weight);
        var optimizer = new AdamW([.. model.Parameters(), unused.Weight], lr: 0.01, weightDecay: 0.5);
        var (loader, _, _) = IrisLoader(5);
        var trainer = new Trainer(model, optimizer, (y, t) => F.CrossEntropy(y, t)) { ZeroGradInPlace = inPlace };
        trainer.Fit(loader, epochs: 1);
        var after = unused.Weight.ToArray<float>();
        if (inPlace)
        {
            // A zero gradient leaves Adam's moments at zero, so each of the epoch's 10 steps (150 samples, batches of 16)
            // only applies AdamW's decoupled decay: w ← w·(1 − lr·λ).
            double factor = Math.Pow(1 - 0.01 * 0.5, 10);
            for (int i = 0; i < before.Length; i++) Assert.Equal(before[i] * factor, after[i], 2e-6 * Math.Abs(before[i]));
        }
        else
        {
            Assert.Equal(before, after); // no gradient: AdamW skips it
        }
    }
}
