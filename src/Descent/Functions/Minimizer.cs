using System.Diagnostics;
using Descent.Optim;

namespace Descent.Functions;

/// <summary>
/// Minimises a function of a tensor with any optimizer, under combinable stopping rules, keeping the trajectory.
/// Each iteration evaluates f and its gradient at the current point xₖ, checks the rules, then takes one optimizer step
/// through <see cref="Optimizer.Step(Func{Tensor})"/>, so optimizers that re-evaluate inside a step (LBFGS) work too:
/// the step's first closure call reuses the evaluation at xₖ, later calls evaluate afresh. An optimizer that evaluates
/// elsewhere than it trains (<see cref="ITrainEvalOptimizer"/>: schedule-free) is switched to its evaluation point at
/// the end, so that x and the result hold that point (the average) while the trajectory holds the points it trained at.
/// </summary>
/// <example><code>
/// var f = TestFunctions.Rosenbrock();
/// var x = Tensor.FromArray(f.Start, requiresGrad: true);
/// var result = Minimizer.Minimize(f.Value, x, new Adam([x], lr: 0.01),
///     new StoppingCriteria { MaxIterations = 20000, GradientTolerance = 1e-6 });
/// </code></example>
public static class Minimizer
{
    /// <summary>
    /// Minimises <paramref name="f"/> over <paramref name="x"/>, a leaf tensor that requires gradients and that
    /// <paramref name="optimizer"/> updates; <paramref name="x"/> holds the result afterwards.
    /// </summary>
    /// <param name="f">The function: a scalar (one-element) tensor computed from x.</param>
    /// <param name="x">The starting point, updated in place.</param>
    /// <param name="optimizer">Any optimizer whose parameters include x.</param>
    /// <param name="stop">The stopping rules; null for the defaults (1000 iterations).</param>
    /// <param name="callback">Called with every evaluated iterate, the start included.</param>
    /// <param name="recordTrajectory">Whether to keep a copy of every iterate (turn off for large x).</param>
    public static MinimizeResult Minimize(
        Func<Tensor, Tensor> f, Tensor x, Optimizer optimizer, StoppingCriteria? stop = null,
        Action<IterationInfo>? callback = null, bool recordTrajectory = true)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(optimizer);
        stop ??= new StoppingCriteria();
        stop.Validate();
        if (!x.IsLeaf || !x.RequiresGrad)
            throw new ArgumentException("x must be a leaf tensor that requires gradients (create it with requiresGrad: true)", nameof(x));
        if (!optimizer.Parameters().Contains(x, ReferenceEqualityComparer.Instance))
            throw new ArgumentException("the optimizer does not update x: build it over a list of parameters that contains x", nameof(optimizer));
        double[] start = x.Detach().ToDoubleArray();
        int bad = Array.FindIndex(start, v => !double.IsFinite(v));
        if (bad >= 0) throw new ArgumentException($"the start must be finite, but element {bad} is {start[bad]}", nameof(x));

        return new Run(f, x, optimizer, stop, callback, recordTrajectory).Execute(start);
    }

    /// <summary>
    /// Minimises <paramref name="f"/> from <paramref name="start"/> in float64, with the optimizer that
    /// <paramref name="optimizer"/> builds over the parameter tensor, e.g. <c>x =&gt; new SGD([x], lr: 0.1)</c>.
    /// </summary>
    /// <param name="f">The function: a scalar (one-element) tensor computed from a float64 vector.</param>
    /// <param name="start">The starting point.</param>
    /// <param name="optimizer">Builds the optimizer over the parameter.</param>
    /// <param name="stop">The stopping rules; null for the defaults (1000 iterations).</param>
    /// <param name="callback">Called with every evaluated iterate, the start included.</param>
    /// <param name="recordTrajectory">Whether to keep a copy of every iterate.</param>
    public static MinimizeResult Minimize(
        Func<Tensor, Tensor> f, double[] start, Func<Tensor, Optimizer> optimizer, StoppingCriteria? stop = null,
        Action<IterationInfo>? callback = null, bool recordTrajectory = true)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(optimizer);
        var x = Tensor.FromArray((double[])start.Clone(), requiresGrad: true);
        return Minimize(f, x, optimizer(x), stop, callback, recordTrajectory);
    }

    /// <summary>
    /// The leaf to minimise <paramref name="f"/> over from <paramref name="start"/> (float64) with the optimizer of
    /// <paramref name="optimizer"/>, and <paramref name="f"/> as a function of that leaf: the vector itself, or, for an
    /// optimizer defined on matrices (<see cref="OptimizerInfo.MatricesOnly"/>: Muon), a 1×n row matrix and f of its
    /// row. Either way the trajectory's points are the n coordinates.
    /// </summary>
    /// <example><code>
    /// var (x, g) = Minimizer.StartFor(f.Value, f.Start, info);
    /// var result = Minimizer.Minimize(g, x, info.Create([x]));
    /// </code></example>
    public static (Tensor X, Func<Tensor, Tensor> F) StartFor(Func<Tensor, Tensor> f, double[] start, OptimizerInfo optimizer)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(optimizer);
        double[] point = (double[])start.Clone();
        if (!optimizer.MatricesOnly) return (Tensor.FromArray(point, requiresGrad: true), f);
        var row = Tensor.FromArray(point, [1, point.Length], requiresGrad: true);
        return (row, x => f(x.Reshape(point.Length)));
    }

    /// <summary>Minimises a test function from its recommended start (float64); see the other overloads.</summary>
    /// <param name="function">The test function.</param>
    /// <param name="optimizer">Builds the optimizer over the parameter.</param>
    /// <param name="stop">The stopping rules; null for the defaults (1000 iterations).</param>
    /// <param name="callback">Called with every evaluated iterate, the start included.</param>
    public static MinimizeResult Minimize(
        TestFunction function, Func<Tensor, Optimizer> optimizer, StoppingCriteria? stop = null, Action<IterationInfo>? callback = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Minimize(function.Value, function.Start, optimizer, stop, callback);
    }

    /// <summary>The state of one minimisation run.</summary>
    private sealed class Run(
        Func<Tensor, Tensor> f, Tensor x, Optimizer optimizer, StoppingCriteria stop, Action<IterationInfo>? callback, bool record)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<double[]> _trajectory = [];
        private readonly List<double> _losses = [];
        private readonly List<double> _gradientNorms = [];
        private int _evaluations;

        public MinimizeResult Execute(double[] start)
        {
            var (lossTensor, loss, gradNorm) = Evaluate();
            if (!double.IsFinite(loss) || !double.IsFinite(gradNorm))
                throw new ArgumentException($"f is not finite at the start (loss {loss}, gradient norm {gradNorm})", nameof(f));
            int k = 0;
            double[] point = start;
            double[] lastGood = point;
            double lastLoss = loss, lastNorm = gradNorm, previousLoss = double.NaN;
            StopReason reason;
            while (true)
            {
                Record(point, loss, gradNorm);
                var info = new IterationInfo(k, loss, gradNorm, point, _clock.Elapsed);
                callback?.Invoke(info);
                if (!double.IsFinite(loss) || !double.IsFinite(gradNorm))
                {
                    reason = StopReason.Diverged;
                    Restore(lastGood);
                    break;
                }
                (lastGood, lastLoss, lastNorm) = (point, loss, gradNorm);
                if (Check(info, previousLoss) is { } r)
                {
                    reason = r;
                    break;
                }
                previousLoss = loss;
                Step(lossTensor);
                k++;
                (lossTensor, loss, gradNorm) = Evaluate();
                point = x.Detach().ToDoubleArray();
            }
            if (reason != StopReason.Diverged && optimizer is ITrainEvalOptimizer { IsTraining: true } switchable)
                (lastGood, lastLoss, lastNorm) = EvaluationPoint(switchable);
            return new MinimizeResult(lastGood, lastLoss, lastNorm, k, _evaluations, reason, _clock.Elapsed,
                _trajectory, _losses, _gradientNorms);
        }

        /// <summary>
        /// The result of an optimizer that trains at one point and answers with another (schedule-free: y and the
        /// average x): the trajectory holds the points where the gradients were taken, the result and x the answer.
        /// </summary>
        private (double[] Point, double Loss, double GradientNorm) EvaluationPoint(ITrainEvalOptimizer optimizer)
        {
            optimizer.Eval();
            var (_, loss, gradNorm) = Evaluate();
            return (x.Detach().ToDoubleArray(), loss, gradNorm);
        }

        private StopReason? Check(IterationInfo info, double previousLoss)
        {
            if (stop.GradientTolerance is { } gt && info.GradientNorm <= gt) return StopReason.GradientNorm;
            if (stop.LossChangeTolerance is { } lt && Math.Abs(info.Loss - previousLoss) <= lt) return StopReason.LossChange;
            if (stop.StopWhen is { } custom && custom(info)) return StopReason.Custom;
            if (stop.TimeBudget is { } tb && info.Elapsed >= tb) return StopReason.TimeBudget;
            if (info.Iteration >= stop.MaxIterations) return StopReason.MaxIterations;
            return null;
        }

        private void Step(Tensor lossAtCurrentPoint)
        {
            bool first = true;
            optimizer.Step(() =>
            {
                if (first)
                {
                    first = false; // x.Grad already holds the gradient at the current point
                    return lossAtCurrentPoint;
                }
                return Evaluate().Loss;
            });
        }

        private (Tensor Loss, double Value, double GradientNorm) Evaluate()
        {
            optimizer.ZeroGrad();
            Tensor y;
            using (Autograd.EnableGrad()) y = f(x);
            if (y is null) throw new ArgumentException("f returned null", nameof(f));
            if (y.NumEl != 1)
                throw new ArgumentException($"f must return a scalar (one element), got a tensor of shape {Shapes.Format(y.ShapeArray)}", nameof(f));
            if (!y.RequiresGrad)
                throw new ArgumentException("f's result does not depend on x (it is not connected to x in the autograd graph)", nameof(f));
            y.Backward();
            _evaluations++;
            return (y, y.Item(), x.Grad is { } g ? Norm(g) : x.SparseGrad is { } sparse ? Norm(sparse.Values) : 0);
        }

        /// <summary>Puts x back to a recorded point (after divergence).</summary>
        private void Restore(double[] point)
        {
            using (Autograd.NoGrad()) x.Detach().CopyFrom_(Tensor.FromArray(point, x.Shape).To(x.DType));
        }

        private void Record(double[] point, double loss, double gradNorm)
        {
            if (record) _trajectory.Add(point);
            _losses.Add(loss);
            _gradientNorms.Add(gradNorm);
        }

        private static double Norm(Tensor g)
        {
            double sum = 0;
            if (g.DType == DType.Float64)
                foreach (var v in g.Contiguous().AsSpan<double>()) sum += v * v;
            else
                foreach (var v in g.Contiguous().AsSpan<float>()) sum += (double)v * v;
            return Math.Sqrt(sum);
        }
    }
}
