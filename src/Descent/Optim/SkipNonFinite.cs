namespace Descent.Optim;

/// <summary>
/// Skips the steps whose gradients are not finite: a step with a NaN or an infinity in any gradient (dense or row-sparse)
/// leaves the parameters and every state of the inner optimizer as they were, and is counted; after
/// <see cref="MaxConsecutiveSkips"/> such steps in a row the next one throws. As Optax's <c>apply_if_finite</c>, whose
/// counter names the state dict uses.
/// </summary>
/// <remarks>
/// <para>The counters are the first group's <see cref="ParamGroup.Numbers"/> <c>notfinite_count</c> (the skips in a row,
/// back to 0 at a finite step) and <c>total_notfinite</c> (every skip), so they survive the state dict and checkpoints.
/// Unlike Optax, which applies the non-finite update once its limit is passed, a step past the limit throws
/// <see cref="InvalidOperationException"/> and changes nothing: the parameters are those of the last finite step.</para>
/// <example><code>
/// var optimizer = new SkipNonFinite(new Adam(model.Parameters()), maxConsecutiveSkips: 5);
/// </code></example>
/// </remarks>
public sealed class SkipNonFinite : FirstOrderOptimizer, ITrainEvalOptimizer
{
    /// <summary>The state dict's names of the counters (Optax's).</summary>
    public const string ConsecutiveName = "notfinite_count", TotalName = "total_notfinite";

    /// <summary>Wraps <paramref name="inner"/>, whose groups, state and learning rate become this optimizer's.</summary>
    /// <param name="inner">The optimizer to step when every gradient is finite.</param>
    /// <param name="maxConsecutiveSkips">The most steps skipped in a row; the next non-finite one throws (0: the first throws).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxConsecutiveSkips"/> is negative.</exception>
    public SkipNonFinite(FirstOrderOptimizer inner, int maxConsecutiveSkips) : base(inner)
    {
        Require.NonNegative(maxConsecutiveSkips, nameof(maxConsecutiveSkips));
        Inner = inner;
        MaxConsecutiveSkips = maxConsecutiveSkips;
        WrapGroups(_ => null, i => i == 0 ? [ConsecutiveName, TotalName] : []);
    }

    /// <summary>The optimizer that steps when every gradient is finite.</summary>
    public FirstOrderOptimizer Inner { get; }

    /// <summary>The inner optimizer's mode (<see cref="ITrainEvalOptimizer"/>); always training when it has no other.</summary>
    public bool IsTraining => Inner is not ITrainEvalOptimizer switchable || switchable.IsTraining;

    /// <summary>Puts the inner optimizer's training point in the parameters (schedule-free's y); nothing for others.</summary>
    public void Train() => (Inner as ITrainEvalOptimizer)?.Train();

    /// <summary>Puts the inner optimizer's evaluation point in the parameters (schedule-free's x); nothing for others.</summary>
    public void Eval() => (Inner as ITrainEvalOptimizer)?.Eval();

    /// <summary>The most steps skipped in a row before a non-finite one throws.</summary>
    public int MaxConsecutiveSkips { get; }

    /// <summary>The steps skipped so far (Optax's <c>total_notfinite</c>).</summary>
    public long SkippedSteps => (long)Groups[0].Numbers[TotalName];

    /// <summary>The steps skipped since the last finite one (Optax's <c>notfinite_count</c>).</summary>
    public long ConsecutiveSkips => (long)Groups[0].Numbers[ConsecutiveName];

    private protected override void UpdateParameters()
    {
        var counters = Groups[0].MutableNumbers;
        if (GradientsAreFinite())
        {
            Inner.Step();
            counters[ConsecutiveName] = 0;
            return;
        }
        double inARow = counters[ConsecutiveName];
        if (inARow >= MaxConsecutiveSkips)
            throw new InvalidOperationException($"{inARow + 1} steps in a row had a NaN or infinite gradient, more than maxConsecutiveSkips = {MaxConsecutiveSkips}; " +
                "the parameters and the optimizer's state are those of the last finite step");
        counters[ConsecutiveName] = inARow + 1;
        counters[TotalName] += 1;
    }

    private bool GradientsAreFinite()
    {
        for (int gi = 0; gi < Groups.Count; gi++)
        {
            var parameters = Groups[gi].Parameters;
            for (int i = 0; i < parameters.Count; i++) // not foreach: its enumerator would be allocated every step
            {
                var p = parameters[i];
                if (p.SparseGrad is { } sparse && !sparse.Values.IsAllFinite()) return false;
                if (p.Grad is { } grad && !grad.IsAllFinite()) return false;
            }
        }
        return true;
    }
}
