using Descent.Functions;
using Descent.Optim;

namespace Descent.Tests.Functions;

/// <summary>Plain gradient descent x ← x − lr·g, written here so that these tests depend on no library optimizer.</summary>
internal sealed record PlainOptions : OptimizerOptions;

internal sealed class PlainDescent(IEnumerable<Tensor> parameters, double lr) : Optimizer<PlainOptions>(parameters, new PlainOptions { Lr = lr })
{
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, PlainOptions options) =>
        parameter.Detach().AddInPlace(grad, -options.Lr);
}

/// <summary>Re-evaluates the closure at trial points inside a step (halving the step until the loss drops), as LBFGS's line search does.</summary>
internal sealed class BacktrackingDescent(IEnumerable<Tensor> parameters, double lr) : Optimizer<PlainOptions>(parameters, new PlainOptions { Lr = lr })
{
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, PlainOptions options) =>
        throw new InvalidOperationException("this optimizer needs a closure");

    protected override Tensor StepWith(Func<Tensor> closure)
    {
        var loss = closure();
        double f0 = loss.Item();
        var p = ParamGroups[0].Parameters[0];
        Tensor x0, g;
        using (Descent.Autograd.NoGrad()) { x0 = p.Detach().Clone(); g = p.Grad!.Detach().Clone(); }
        for (double t = ParamGroups[0].Lr; t > 1e-12; t /= 2)
        {
            using (Descent.Autograd.NoGrad()) p.Detach().CopyFrom_(x0 - t * g);
            if (closure().Item() < f0) break;
        }
        return loss;
    }
}

public class MinimizerTests
{
    private static readonly Func<Tensor, Tensor> Square = x => x.Square().Sum();

    [Fact]
    public void StopsOnTheGradientNormAndKeepsTheTrajectory()
    {
        var r = Minimizer.Minimize(TestFunctions.Sphere(), x => new PlainDescent([x], 0.1),
            new StoppingCriteria { MaxIterations = 10_000, GradientTolerance = 1e-8 });
        Assert.Equal(StopReason.GradientNorm, r.StopReason);
        Assert.True(r.Converged);
        Assert.True(r.GradientNorm <= 1e-8);
        Assert.Equal(r.Iterations + 1, r.Trajectory.Count);
        Assert.Equal(r.Iterations + 1, r.Losses.Count);
        Assert.Equal(r.Iterations + 1, r.GradientNorms.Count);
        Assert.Equal(r.Iterations + 1, r.FunctionEvaluations);
        Assert.Equal(TestFunctions.Sphere().Start, r.Trajectory[0]);
        Assert.Equal(r.Point, r.Trajectory[^1]);
        for (int i = 1; i < r.Losses.Count; i++) Assert.True(r.Losses[i] < r.Losses[i - 1]);
    }

    [Fact]
    public void MaxIterationsTakesExactlyThatManySteps()
    {
        var x = Tensor.FromArray(new[] { 2.0 }, requiresGrad: true);
        var r = Minimizer.Minimize(Square, x, new PlainDescent([x], 0.1), new StoppingCriteria { MaxIterations = 100 });
        Assert.Equal(StopReason.MaxIterations, r.StopReason);
        Assert.False(r.Converged);
        Assert.Equal(100, r.Iterations);
        // x_k = 2·0.8^k, and x holds the last iterate.
        Assert.Equal(2 * Math.Pow(0.8, 100), x.Item<double>(), 1e-20);
        Assert.Equal(x.Item<double>(), r.Point[0]);
        Assert.Equal(1.6, r.Trajectory[1][0], 1e-15);
    }

    [Fact]
    public void LossChangeAndCustomRulesStopTheRun()
    {
        var byChange = Minimizer.Minimize(Square, [3.0], x => new PlainDescent([x], 0.1), new StoppingCriteria { LossChangeTolerance = 1e-6 });
        // x_k = 3·0.8^k, so the loss is 9·0.64^k and falls by 3.24·0.64^k: first at most 1e-6 from k = 34 to 35.
        static double Loss(int k) => 9 * Math.Pow(0.64, k);
        Assert.Equal(StopReason.LossChange, byChange.StopReason);
        Assert.Equal(36, byChange.Losses.Count);
        Assert.Equal(Loss(35), byChange.Losses[^1], 1e-12 * Loss(35));
        Assert.Equal(Loss(34), byChange.Losses[^2], 1e-12 * Loss(34));

        // 9·0.64^k < 0.5 first at k = 7.
        var byRule = Minimizer.Minimize(Square, [3.0], x => new PlainDescent([x], 0.1), new StoppingCriteria { StopWhen = i => i.Loss < 0.5 });
        Assert.Equal(StopReason.Custom, byRule.StopReason);
        Assert.Equal(Loss(7), byRule.Loss, 1e-12);
        Assert.Equal(Loss(6), byRule.Losses[^2], 1e-12);
    }

    [Fact]
    public void AZeroTimeBudgetStopsAtTheStart()
    {
        var r = Minimizer.Minimize(Square, [3.0], x => new PlainDescent([x], 0.1), new StoppingCriteria { TimeBudget = TimeSpan.Zero });
        Assert.Equal(StopReason.TimeBudget, r.StopReason);
        Assert.Equal(0, r.Iterations);
    }

    [Fact]
    public void DivergenceStopsWithThatReasonAndKeepsTheLastFinitePoint()
    {
        // lr 10 on x² multiplies x by −19 each step until the loss overflows.
        var x = Tensor.FromArray(new[] { 1.0 }, requiresGrad: true);
        var r = Minimizer.Minimize(Square, x, new PlainDescent([x], 10), new StoppingCriteria { MaxIterations = 100_000 });
        Assert.Equal(StopReason.Diverged, r.StopReason);
        Assert.True(r.Iterations < 1000);
        Assert.False(double.IsFinite(r.Losses[^1]));
        Assert.True(double.IsFinite(r.Loss));
        Assert.Equal(r.Losses[^2], r.Loss);
        Assert.True(double.IsFinite(x.Item<double>()));
        Assert.Equal(r.Trajectory[^2], r.Point);
    }

    [Fact]
    public void CallbackSeesEveryIterate()
    {
        var seen = new List<IterationInfo>();
        var r = Minimizer.Minimize(Square, [1.0, -1.0], x => new PlainDescent([x], 0.25), new StoppingCriteria { MaxIterations = 7 }, seen.Add);
        Assert.Equal(Enumerable.Range(0, 8), seen.Select(i => i.Iteration));
        Assert.Equal(r.Losses, seen.Select(i => i.Loss));
    }

    [Fact]
    public void OptimizersThatReevaluateInsideAStepWork()
    {
        var f = TestFunctions.Booth();
        var r = Minimizer.Minimize(f, x => new BacktrackingDescent([x], 1.0),
            new StoppingCriteria { MaxIterations = 10_000, GradientTolerance = 1e-6 });
        Assert.Equal(StopReason.GradientNorm, r.StopReason);
        Assert.True(r.FunctionEvaluations > r.Iterations + 1);
        Assert.Equal(1.0, r.Point[0], 1e-6);
        Assert.Equal(3.0, r.Point[1], 1e-6);
        // Every recorded loss is f at the recorded iterate, not at a line-search trial point.
        for (int i = 0; i < r.Losses.Count; i++) Assert.Equal(f.Value(r.Trajectory[i]), r.Losses[i], 1e-12);
    }

    [Fact]
    public void WorksWithLbfgsAndItsLineSearch()
    {
        var f = TestFunctions.Rosenbrock();
        // LBFGS (as PyTorch's) stops moving once its predicted decrease is below toleranceChange, here at f ≈ 4e-10:
        // the loss-change rule ends the run there.
        var r = Minimizer.Minimize(f, x => new LBFGS([x], lineSearch: LineSearch.StrongWolfe),
            new StoppingCriteria { MaxIterations = 100, GradientTolerance = 1e-8, LossChangeTolerance = 1e-14 });
        Assert.True(r.Converged, r.ToString());
        Assert.True(r.Iterations < 10, r.ToString());
        Assert.True(r.FunctionEvaluations > 2 * r.Iterations, r.ToString());
        Assert.True(r.Loss < 1e-9, r.ToString());
        Assert.Equal(1.0, r.Point[0], 1e-4);
        Assert.Equal(1.0, r.Point[1], 1e-4);
        // The recorded losses are f at the recorded iterates, not at line-search trial points.
        for (int i = 0; i < r.Losses.Count; i++) Assert.Equal(f.Value(r.Trajectory[i]), r.Losses[i], 1e-12);
    }

    [Fact]
    public void AdamReachesTheRosenbrockMinimum()
    {
        var r = Minimizer.Minimize(TestFunctions.Rosenbrock(), x => new Adam([x], lr: 0.01),
            new StoppingCriteria { MaxIterations = 20_000, StopWhen = i => i.Loss < 1e-8 });
        Assert.Equal(StopReason.Custom, r.StopReason);
        Assert.Equal(1.0, r.Point[0], 1e-3);
    }

    [Fact]
    public void Float32ParametersWorkAndZeroIterationsOnlyEvaluatesTheStart()
    {
        var x = Tensor.FromArray(new[] { 1.5f, -0.5f }, requiresGrad: true);
        var r = Minimizer.Minimize(Square, x, new PlainDescent([x], 0.1), new StoppingCriteria { GradientTolerance = 1e-4 });
        Assert.Equal(StopReason.GradientNorm, r.StopReason);
        Assert.Equal(DType.Float32, x.DType);
        Assert.True(Math.Abs(x.ToArray<float>()[0]) < 1e-4);

        var none = Minimizer.Minimize(Square, [1.0, 2.0], x => new PlainDescent([x], 0.1), new StoppingCriteria { MaxIterations = 0 });
        Assert.Equal((0, 1, 5.0), (none.Iterations, none.FunctionEvaluations, none.Loss));
        Assert.Equal(new[] { 1.0, 2.0 }, none.Point);
    }

    [Fact]
    public void BadInputsGetClearErrors()
    {
        Func<Tensor, Optimizer> gd = x => new PlainDescent([x], 0.1);
        var nan = Assert.Throws<ArgumentException>(() => Minimizer.Minimize(Square, [1.0, double.NaN], gd));
        Assert.Contains("start must be finite", nan.Message);
        Assert.Contains("element 1", nan.Message);

        var vector = Assert.Throws<ArgumentException>(() => Minimizer.Minimize(x => x * 2.0, [1.0, 2.0], gd));
        Assert.Contains("scalar", vector.Message);
        Assert.Contains("[2]", vector.Message);

        var constant = Assert.Throws<ArgumentException>(() => Minimizer.Minimize(_ => Tensor.Scalar(1.0, DType.Float64), [1.0], gd));
        Assert.Contains("does not depend on x", constant.Message);

        var notFinite = Assert.Throws<ArgumentException>(() => Minimizer.Minimize(x => x.Log().Sum(), [-1.0], gd));
        Assert.Contains("not finite at the start", notFinite.Message);

        var x = Tensor.FromArray(new[] { 1.0 }, requiresGrad: true);
        var other = Tensor.FromArray(new[] { 1.0 }, requiresGrad: true);
        var wrongOptimizer = Assert.Throws<ArgumentException>(() => Minimizer.Minimize(Square, x, new PlainDescent([other], 0.1)));
        Assert.Contains("does not update x", wrongOptimizer.Message);

        var noGrad = Tensor.FromArray(new[] { 1.0 });
        Assert.Throws<ArgumentException>(() => Minimizer.Minimize(Square, noGrad, new PlainDescent([x], 0.1)));

        var iterations = Assert.Throws<ArgumentOutOfRangeException>(() => Minimizer.Minimize(Square, [1.0], gd, new StoppingCriteria { MaxIterations = -1 }));
        Assert.Contains("MaxIterations must be >= 0, got -1", iterations.Message);
        var tolerance = Assert.Throws<ArgumentOutOfRangeException>(() => Minimizer.Minimize(Square, [1.0], gd, new StoppingCriteria { GradientTolerance = double.NaN }));
        Assert.Contains("GradientTolerance", tolerance.Message);
    }

    [Fact]
    public void A_schedule_free_optimizer_answers_with_its_average_and_trains_along_its_gradient_points()
    {
        double[] start = [2.0, -1.0];
        var x = Tensor.FromArray((double[])start.Clone(), requiresGrad: true);
        var optimizer = new ScheduleFreeSGD([x], lr: 0.1);
        var r = Minimizer.Minimize(Square, x, optimizer, new StoppingCriteria { MaxIterations = 20 });
        Assert.False(optimizer.IsTraining);
        Assert.Equal(x.Detach().ToDoubleArray(), r.Point); // x holds the evaluation point, the result's point
        Assert.Equal(r.Point.Sum(v => v * v), r.Loss, 1e-15);
        Assert.Equal(21, r.FunctionEvaluations - 1); // 21 iterates, and the answer
        // The same steps by hand: the trajectory's last point is y, the optimizer's training point.
        var y = Tensor.FromArray((double[])start.Clone(), requiresGrad: true);
        var same = new ScheduleFreeSGD([y], lr: 0.1);
        for (int t = 0; t < 20; t++)
        {
            same.ZeroGrad();
            Square(y).Backward();
            same.Step();
        }
        Assert.Equal(y.Detach().ToDoubleArray(), r.Trajectory[^1]);
        same.Eval();
        Assert.Equal(y.Detach().ToDoubleArray(), r.Point);
        Assert.NotEqual(r.Trajectory[^1], r.Point);
    }
}
