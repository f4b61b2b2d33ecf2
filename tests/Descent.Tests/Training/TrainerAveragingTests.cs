using Descent.Data;
using Descent.NN;
using Descent.Optim;
using Descent.Optim.Schedulers;
using Descent.Training;
using F = Descent.NN.Functional;

namespace Descent.Tests.Training;

/// <summary>The Trainer's weight averaging: SWA at the end of epochs with SWALR taking over, EMA after every step, resuming.</summary>
[Collection(DefaultGeneratorCollection.Name)] // checkpoints restore the default generator
public class TrainerAveragingTests
{
    private const int Epochs = 5;

    private static (Module Model, SGD Optimizer, DataLoader Loader, (Tensor, Tensor)[] Data, Generator Shuffle) Setup()
    {
        var iris = Tables.Iris();
        var x = new StandardScaler().Fit(iris.Features).Transform(iris.Features);
        var g = new Generator(4);
        var model = new Sequential(new Linear(4, 8, generator: g), new ReLU(), new Linear(8, 3, generator: g));
        var optimizer = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
        var shuffle = new Generator(5);
        var loader = new DataLoader(new TensorDataset(x, iris.Labels), batchSize: 32, shuffle: true, generator: shuffle);
        return (model, optimizer, loader, [(x, iris.Labels)], shuffle);
    }

    private static double[] Flat(Module model) => model.Parameters().SelectMany(p => p.ToArray<float>().Select(v => (double)v)).ToArray();

    private static double[] Flat(AveragedModel averaged, Module like) =>
        like.NamedParameters().SelectMany(p => averaged.Weights[p.Key].ToArray<float>().Select(v => (double)v)).ToArray();

    private static void Close(double[] expected, double[] actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    private static Trainer SwaTrainer(Module model, SGD optimizer, Generator shuffle, string? checkpoint = null, Action<EpochMetrics>? epochEnded = null) =>
        new(model, optimizer, (y, t) => F.CrossEntropy(y, t))
        {
            DataGenerator = shuffle,
            EpochEnded = epochEnded,
            Scheduler = new StepLR(optimizer, stepSize: 1, gamma: 0.5),
            Averaged = AveragedModel.Swa(model),
            AverageFromEpoch = 3,
            AveragingScheduler = new SWALR(optimizer, swaLr: 0.02, annealEpochs: 1),
            CheckpointPath = checkpoint,
        };

    [Fact]
    public void SwaAveragesTheEpochsFromItsStartOnTheSwaRate()
    {
        var (model, optimizer, loader, data, shuffle) = Setup();
        var snapshots = new List<double[]>();
        var trainer = SwaTrainer(model, optimizer, shuffle, epochEnded: _ => snapshots.Add(Flat(model)));
        var history = trainer.Fit(loader, Epochs, data);

        Assert.Equal(3, trainer.Averaged!.NAveraged);
        var mean = Enumerable.Range(0, snapshots[0].Length).Select(i => snapshots.Skip(2).Average(s => s[i])).ToArray();
        Close(mean, Flat(trainer.Averaged, model));
        // StepLR halves the rate after epoch 1; SWALR takes over after epoch 2, so epochs 3 to 5 train on swa_lr.
        Assert.Equal([0.05, 0.02, 0.02, 0.02, 0.02], history.Select(h => h.LearningRates[0]));
        Assert.Equal(1, trainer.Scheduler!.LastEpoch);

        var own = Flat(model);
        var (loss, accuracy) = trainer.EvaluateAveraged(data, prepare: m => Assert.Same(model, m));
        Assert.True(accuracy > 0.8, $"averaged accuracy {accuracy}");
        Assert.NotEqual(trainer.Evaluate(data).Loss, loss);
        Assert.Equal(own, Flat(model)); // the model's own weights are back
    }

    [Fact]
    public void EvaluateAveragedLetsUpdateBnRecomputeTheStatisticsOfTheAveragedWeights()
    {
        var (_, _, loader, data, _) = Setup();
        var g = new Generator(6);
        var bn = new BatchNorm1d(8);
        var model = new Sequential(new Linear(4, 8, generator: g), bn, new ReLU(), new Linear(8, 3, generator: g));
        var optimizer = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
        var trainer = new Trainer(model, optimizer, (y, t) => F.CrossEntropy(y, t)) { Averaged = AveragedModel.Swa(model), AverageFromEpoch = 2 };
        trainer.Fit(loader, 4);
        double[] ownMean = bn.RunningMean!.ToArray<float>().Select(v => (double)v).ToArray();

        double[]? averagedMean = null;
        var withUpdate = trainer.EvaluateAveraged(data, prepare: m =>
        {
            SwaUtils.UpdateBn(loader, m);
            averagedMean = bn.RunningMean!.ToArray<float>().Select(v => (double)v).ToArray();
        });
        var without = trainer.EvaluateAveraged(data);

        Assert.NotEqual(ownMean, averagedMean); // the averaged weights' statistics, not the trained model's
        Assert.NotEqual(without.Loss, withUpdate.Loss);
        Assert.Equal(ownMean, bn.RunningMean!.ToArray<float>().Select(v => (double)v).ToArray()); // the model's own are back
    }

    [Fact]
    public void EmaFollowsTheRecursionAfterEveryStep()
    {
        var (model, optimizer, loader, data, _) = Setup();
        double[]? expected = null;
        const double decay = 0.9;
        var trainer = new Trainer(model, optimizer, (y, t) => F.CrossEntropy(y, t))
        {
            Averaged = AveragedModel.Ema(model, decay),
            AverageEveryStep = true,
            BatchEnded = _ =>
            {
                var w = Flat(model);
                expected = expected is null ? w : expected.Select((e, i) => decay * e + (1 - decay) * w[i]).ToArray();
            },
        };
        trainer.Fit(loader, 2, data);
        Assert.Equal(2 * loader.Count, trainer.Averaged!.NAveraged);
        Close(expected!, Flat(trainer.Averaged, model));
    }

    [Fact]
    public void AveragingSchedulerNeedsAPerEpochAverage()
    {
        var (model, optimizer, loader, _, _) = Setup();
        var trainer = new Trainer(model, optimizer, (y, t) => F.CrossEntropy(y, t)) { AveragingScheduler = new SWALR(optimizer, 0.01) };
        Assert.Throws<InvalidOperationException>(() => trainer.Fit(loader, 1));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(model, optimizer, (y, t) => F.CrossEntropy(y, t)) { AverageFromEpoch = 0 }.Fit(loader, 1));
        Assert.Equal("AverageFromEpoch", ex.ParamName);
    }

    [Theory]
    [InlineData(1)] // before the averaging phase: StepLR's rate is restored, not SWALR's
    [InlineData(3)] // inside it: the average and SWALR's state come back
    public void ResumedSwaRunEqualsAnUninterruptedOne(int stopAfter)
    {
        var dir = Directory.CreateTempSubdirectory("descent-swa-");
        try
        {
            string path = Path.Combine(dir.FullName, "checkpoint.safetensors");
            var (model, optimizer, loader, data, shuffle) = Setup();
            var straight = SwaTrainer(model, optimizer, shuffle);
            straight.Fit(loader, Epochs, data);

            var (model1, optimizer1, loader1, _, shuffle1) = Setup();
            SwaTrainer(model1, optimizer1, shuffle1, path).Fit(loader1, stopAfter, data);
            var (model2, optimizer2, loader2, _, shuffle2) = Setup();
            var resumed = SwaTrainer(model2, optimizer2, shuffle2, path);
            resumed.ResumeFrom(path);
            Assert.Equal(optimizer1.ParamGroups[0].Lr, optimizer2.ParamGroups[0].Lr);
            resumed.Fit(loader2, Epochs, data);

            Assert.Equal(straight.Averaged!.NAveraged, resumed.Averaged!.NAveraged);
            Assert.Equal(Flat(straight.Averaged, model), Flat(resumed.Averaged, model2));
            Assert.Equal(optimizer.ParamGroups[0].Lr, optimizer2.ParamGroups[0].Lr);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
