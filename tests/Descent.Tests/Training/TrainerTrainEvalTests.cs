using Descent.Data;
using Descent.NN;
using Descent.Optim;
using Descent.Training;
using F = Descent.NN.Functional;

namespace Descent.Tests.Training;

/// <summary>Options of <see cref="TwoPointDescent"/>: the learning rate alone.</summary>
internal sealed record TwoPointOptions : OptimizerOptions;

/// <summary>
/// An optimizer that trains at one point and evaluates at another, as the schedule-free ones do: gradient descent on
/// the training point y, evaluation at x with x_k = y_k + (k mod 3)·<see cref="Shift"/> for the k-th coordinate of each
/// parameter (a shift that differs between coordinates, which a softmax over a layer's outputs does not ignore). A step
/// at the evaluation point throws, and every switch that changes the mode is recorded.
/// </summary>
internal sealed class TwoPointDescent(IEnumerable<Tensor> parameters, double lr)
    : Optimizer<TwoPointOptions>(parameters, new TwoPointOptions { Lr = lr }), ITrainEvalOptimizer
{
    public const double Shift = 0.25;

    public bool IsTraining { get; private set; } = true;

    public List<string> Switches { get; } = [];

    public void Train()
    {
        if (IsTraining) return;
        Move(-Shift);
        IsTraining = true;
        Switches.Add("train");
    }

    public void Eval()
    {
        if (!IsTraining) return;
        Move(Shift);
        IsTraining = false;
        Switches.Add("eval");
    }

    private void Move(double by)
    {
        using var _ = Descent.Autograd.NoGrad();
        foreach (var p in Parameters()) p.Detach().CopyFrom_(p.Detach() + Tensor.FromArray(Pattern(p.ToArray<double>(), by), p.ShapeArray));
    }

    /// <summary>The shift of each coordinate: (k mod 3)·<paramref name="by"/>.</summary>
    public static double[] Pattern(double[] coordinates, double by) => coordinates.Select((_, k) => k % 3 * by).ToArray();

    protected override void Update(Tensor parameter, Tensor grad, ParamState state, TwoPointOptions options)
    {
        if (!IsTraining) throw new InvalidOperationException("a step at the evaluation point");
        parameter.Detach().AddInPlace(grad, -options.Lr);
    }
}

/// <summary>The Trainer and an <see cref="ITrainEvalOptimizer"/>: steps at the training point, evaluations at the other.</summary>
[Collection(DefaultGeneratorCollection.Name)]
public class TrainerTrainEvalTests
{
    private static TensorDataset Data()
    {
        var g = new Generator(5);
        var x = Tensor.Randn([40, 4], DType.Float64, g);
        return new TensorDataset(x, x.MatMul(Tensor.Randn([4, 3], DType.Float64, g)).Argmax(1));
    }

    private static DataLoader Loader(TensorDataset data) => new(data, batchSize: 8, shuffle: true, generator: new Generator(9));

    private static (Linear Model, TwoPointDescent Optimizer) Build()
    {
        var model = new Linear(4, 3, dtype: DType.Float64, generator: new Generator(2));
        return (model, new TwoPointDescent(model.Parameters(), lr: 0.1));
    }

    private static double[] Weights(Module model) => model.StateDict()["weight"].ToArray<double>();

    private static double[] Shifted(double[] w, double by) => w.Zip(TwoPointDescent.Pattern(w, by), (v, s) => v + s).ToArray();

    /// <summary>Equal but for the rounding of a shift there and back ((y + s) − s need not be y to the last bit).</summary>
    private static void AssertNearlyEqual(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-14);
    }

    /// <summary>The loss at the model's current weights, computed here without the Trainer.</summary>
    private static double LossNow(Module model, TensorDataset data)
    {
        using var _ = Descent.Autograd.NoGrad();
        return F.CrossEntropy(model.Forward(data.Inputs), data.Targets).Item();
    }

    [Fact]
    public void Fit_steps_at_the_training_point_evaluates_at_the_other_and_ends_there()
    {
        var data = Data();
        var (model, optimizer) = Build();
        var seen = new List<(bool Recording, bool Training)>();
        double[]? trainingPointAtLastEpoch = null;
        var trainer = new Trainer(model, optimizer, (y, t) =>
        {
            seen.Add((Descent.Autograd.IsGradEnabled, optimizer.IsTraining));
            return F.CrossEntropy(y, t);
        })
        {
            EpochEnded = _ => trainingPointAtLastEpoch = Weights(model),
        };
        var history = trainer.Fit(Loader(data), epochs: 3, validation: [(data.Inputs, data.Targets)]);

        Assert.All(seen.Where(s => s.Recording), s => Assert.True(s.Training, "a training batch at the evaluation point"));
        Assert.All(seen.Where(s => !s.Recording), s => Assert.False(s.Training, "an evaluation at the training point"));
        Assert.Equal(3, seen.Count(s => !s.Recording));
        Assert.Equal(["eval", "train", "eval", "train", "eval", "train", "eval"], optimizer.Switches);
        // Between epochs the training point is back (the epoch's end sees it); Fit leaves the evaluation point.
        Assert.False(optimizer.IsTraining);
        AssertNearlyEqual(Shifted(trainingPointAtLastEpoch!, TwoPointDescent.Shift), Weights(model));
        Assert.Equal(history[^1].ValidationLoss, LossNow(model, data));
    }

    [Fact]
    public void A_second_Fit_trains_at_the_training_point_again()
    {
        var data = Data();
        var (model, optimizer) = Build();
        var trainer = new Trainer(model, optimizer, (y, t) => F.CrossEntropy(y, t));
        trainer.Fit(Loader(data), epochs: 1);
        Assert.False(optimizer.IsTraining);
        trainer.Fit(Loader(data), epochs: 2); // the optimizer throws on a step at the evaluation point
        Assert.Equal(["eval", "train", "eval"], optimizer.Switches);
    }

    [Fact]
    public void Evaluate_uses_the_evaluation_point_and_returns_to_training()
    {
        var data = Data();
        var (model, optimizer) = Build();
        var trainer = new Trainer(model, optimizer, (y, t) => F.CrossEntropy(y, t));
        var before = Weights(model);
        double atTrainingPoint = LossNow(model, data);
        optimizer.Eval();
        double atEvaluationPoint = LossNow(model, data);
        optimizer.Train();
        optimizer.Switches.Clear();

        var (loss, _) = trainer.Evaluate([(data.Inputs, data.Targets)]);
        Assert.Equal(atEvaluationPoint, loss);
        Assert.NotEqual(atTrainingPoint, loss);
        Assert.True(optimizer.IsTraining);
        AssertNearlyEqual(before, Weights(model));

        // Already at the evaluation point, it stays there.
        optimizer.Eval();
        optimizer.Switches.Clear();
        Assert.Equal(atEvaluationPoint, trainer.Evaluate([(data.Inputs, data.Targets)]).Loss);
        Assert.False(optimizer.IsTraining);
        Assert.Empty(optimizer.Switches);
    }

    /// <summary>
    /// The switch happens outside the swap of the averaged weights: the averaged weights (here the training point
    /// itself) are evaluated as they are, not moved by the optimizer's switch.
    /// </summary>
    [Fact]
    public void EvaluateAveraged_evaluates_the_average_unmoved()
    {
        var data = Data();
        var (model, optimizer) = Build();
        var averaged = AveragedModel.Swa(model);
        averaged.UpdateParameters(model);
        var trainer = new Trainer(model, optimizer, (y, t) => F.CrossEntropy(y, t)) { Averaged = averaged };
        var before = Weights(model);

        var (loss, _) = trainer.EvaluateAveraged([(data.Inputs, data.Targets)], prepare: _ => Assert.False(optimizer.IsTraining));
        Assert.Equal(LossNow(model, data), loss);
        Assert.True(optimizer.IsTraining);
        AssertNearlyEqual(before, Weights(model));
        Assert.Equal(["eval", "train"], optimizer.Switches);
    }

    /// <summary>
    /// Checkpoints hold the training point, whatever the mode when they are written: a run resumed from one (with a new
    /// optimizer, which starts at its training point) ends as the uninterrupted run.
    /// </summary>
    [Fact]
    public void Checkpoints_hold_the_training_point_and_resume_as_an_uninterrupted_run()
    {
        var dir = Directory.CreateTempSubdirectory("descent-traineval-");
        try
        {
            var data = Data();
            string atEpochEnd = Path.Combine(dir.FullName, "fit.ckpt"), afterFit = Path.Combine(dir.FullName, "after.ckpt");
            var (straightModel, straightOptimizer) = Build();
            var straight = new Trainer(straightModel, straightOptimizer, (y, t) => F.CrossEntropy(y, t));
            straight.Fit(Loader(data), epochs: 3);

            var (model, optimizer) = Build();
            var shuffle = new Generator(9);
            var first = new Trainer(model, optimizer, (y, t) => F.CrossEntropy(y, t)) { CheckpointPath = atEpochEnd, DataGenerator = shuffle };
            first.Fit(new DataLoader(data, batchSize: 8, shuffle: true, generator: shuffle), epochs: 2);
            var evaluationPoint = Weights(model);
            first.SaveCheckpoint(afterFit); // at the evaluation point now: written at the training point, and back
            Assert.False(optimizer.IsTraining);
            Assert.Equal(evaluationPoint, Weights(model));

            foreach (var path in new[] { atEpochEnd, afterFit })
            {
                var (resumedModel, resumedOptimizer) = Build();
                var resumedShuffle = new Generator(0);
                var resumed = new Trainer(resumedModel, resumedOptimizer, (y, t) => F.CrossEntropy(y, t)) { DataGenerator = resumedShuffle };
                resumed.ResumeFrom(path);
                AssertNearlyEqual(Shifted(evaluationPoint, -TwoPointDescent.Shift), Weights(resumedModel));
                resumed.Fit(new DataLoader(data, batchSize: 8, shuffle: true, generator: resumedShuffle), epochs: 3);
                AssertNearlyEqual(Weights(straightModel), Weights(resumedModel));
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
