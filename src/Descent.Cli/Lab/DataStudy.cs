using Descent.Cli.Catalog;
using Descent.Data;
using Descent.NN;
using Descent.Training;
using F = Descent.NN.Functional;

namespace Descent.Cli.Lab;

/// <summary>Training curves of one optimizer on the lab's data set.</summary>
internal sealed record TrainingCurves(string Optimizer, double Lr, double[] TrainLoss, double[] TestLoss, double[] TestAccuracy, double Seconds);

/// <summary>
/// Trains the same small network (one hidden layer of 64 ReLU units) with each optimizer: same seed, same
/// initial weights, same batches. Learning rates are each optimizer's usual rate for this kind of network.
/// </summary>
internal static class DataStudy
{
    public static readonly IReadOnlyDictionary<string, double> UsualLr = new Dictionary<string, double>
    {
        ["gd"] = 0.1, ["momentum"] = 0.01, ["nesterov"] = 0.01, ["adagrad"] = 0.01, ["adadelta"] = 1.0, ["rmsprop"] = 0.001, ["adam"] = 0.001,
    };

    public static (string Name, IReadOnlyList<TrainingCurves> Curves) Run(bool quick, IReadOnlyList<OptimizerEntry> optimizers, long seed, Action<string>? progress)
    {
        var data = quick ? DataCatalog.Load("digits", seed) : DataCatalog.Load("mnist", seed);
        var train = data.Train;
        if (!quick)
        {
            // A fixed 12,000-image subset keeps the default run within a few minutes on two cores.
            var idx = Split.TrainValidation(train.Count, 0.8, seed).Validation;
            train = train with { Features = Split.Rows(train.Features, idx), Labels = Split.Rows(train.Labels, idx) };
        }
        int epochs = quick ? 10 : 4, batch = quick ? 32 : 64;
        var curves = new List<TrainingCurves>();
        foreach (var entry in optimizers)
        {
            progress?.Invoke($"training on {data.Name} with {entry.Name}");
            Tensor.ManualSeed(seed);
            var model = new Sequential(new Flatten(), new Linear(train.FeatureCount, 64), new ReLU(), new Linear(64, data.NumClasses));
            double lr = UsualLr.GetValueOrDefault(entry.Name, entry.DefaultLr);
            var optimizer = entry.Build(model.Parameters(), new Dictionary<string, double> { ["lr"] = lr });
            var loader = new DataLoader(new TensorDataset(train.Features, train.Labels), batch, shuffle: true, generator: new Generator(seed));
            var test = new DataLoader(new TensorDataset(data.Test.Features, data.Test.Labels), 1000);
            var trainer = new Trainer(model, optimizer, (y, t) => F.CrossEntropy(y, t));
            var (loss0, acc0) = trainer.Evaluate(test);
            var history = trainer.Fit(loader, epochs, test);
            curves.Add(new TrainingCurves(entry.Name, lr,
                history.Select(h => h.TrainLoss).ToArray(),
                [loss0, .. history.Select(h => h.ValidationLoss ?? double.NaN)],
                [acc0 ?? 0, .. history.Select(h => h.ValidationAccuracy ?? double.NaN)],
                history.Sum(h => h.Seconds)));
        }
        return (data.Name, curves);
    }
}
