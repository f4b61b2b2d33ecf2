namespace Descent.Optim.Schedulers;

/// <summary>
/// Scales each group's learning rate by a constant <c>factor</c> for the first <c>totalIters</c> epochs, then restores
/// it: lr = base_lr · factor while epoch &lt; total_iters, base_lr after (PyTorch's <c>ConstantLR</c>).
/// </summary>
public sealed class ConstantLR : LRScheduler
{
    /// <summary>Creates the schedule and sets the groups' epoch-0 learning rates.</summary>
    /// <param name="optimizer">The optimizer whose learning rates change.</param>
    /// <param name="factor">The scale applied until <paramref name="totalIters"/>, in (0, 1].</param>
    /// <param name="totalIters">The number of epochs the scale lasts (&gt;= 0).</param>
    public ConstantLR(Optimizer optimizer, double factor = 1.0 / 3, int totalIters = 5) : base(optimizer)
    {
        Require.InRange(factor, nameof(factor), 0, 1, closedLow: false);
        Require.NonNegative(totalIters, nameof(totalIters));
        Factor = factor;
        TotalIters = totalIters;
        Initialize();
    }

    /// <summary>The scale applied until <see cref="TotalIters"/>.</summary>
    public double Factor { get; }

    /// <summary>The number of epochs the scale lasts.</summary>
    public int TotalIters { get; }

    private protected override double[] ComputeLr()
    {
        var lrs = CurrentLrs();
        if (LastEpoch == 0)
            for (int i = 0; i < lrs.Length; i++) lrs[i] *= Factor;
        else if (LastEpoch == TotalIters)
            for (int i = 0; i < lrs.Length; i++) lrs[i] *= 1.0 / Factor;
        return lrs;
    }

    private protected override double[]? ClosedFormLr() =>
        BaseLrs.Select(b => b * (Factor + (LastEpoch >= TotalIters ? 1 : 0) * (1 - Factor))).ToArray();
}
