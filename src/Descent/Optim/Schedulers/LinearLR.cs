namespace Descent.Optim.Schedulers;

/// <summary>
/// Scales each group's learning rate by a factor that moves linearly from <c>startFactor</c> to <c>endFactor</c> over
/// <c>totalIters</c> epochs: lr = base_lr · (start + (end − start) · min(epoch, total_iters) / total_iters)
/// (PyTorch's <c>LinearLR</c>; the usual warm-up).
/// </summary>
public sealed class LinearLR : LRScheduler
{
    /// <summary>Creates the schedule and sets the groups' epoch-0 learning rates.</summary>
    /// <param name="optimizer">The optimizer whose learning rates change.</param>
    /// <param name="startFactor">The scale at epoch 0, in (0, 1].</param>
    /// <param name="endFactor">The scale from <paramref name="totalIters"/> on, in [0, 1].</param>
    /// <param name="totalIters">The number of epochs of the ramp (&gt;= 0).</param>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5) : base(optimizer)
    {
        Require.InRange(startFactor, nameof(startFactor), 0, 1, closedLow: false);
        Require.InRange(endFactor, nameof(endFactor), 0, 1, closedLow: true);
        Require.NonNegative(totalIters, nameof(totalIters));
        StartFactor = startFactor;
        EndFactor = endFactor;
        TotalIters = totalIters;
        Initialize();
    }

    /// <summary>The scale at epoch 0.</summary>
    public double StartFactor { get; }

    /// <summary>The scale from <see cref="TotalIters"/> on.</summary>
    public double EndFactor { get; }

    /// <summary>The number of epochs of the ramp.</summary>
    public int TotalIters { get; }

    private protected override double[] ComputeLr()
    {
        var lrs = CurrentLrs();
        if (LastEpoch == 0)
        {
            for (int i = 0; i < lrs.Length; i++) lrs[i] *= StartFactor;
            return lrs;
        }
        if (LastEpoch > TotalIters) return lrs;
        // The ratio of two consecutive factors, so that it chains with other schedulers (PyTorch's form).
        double ratio = 1.0 + (EndFactor - StartFactor) / (TotalIters * StartFactor + (LastEpoch - 1) * (EndFactor - StartFactor));
        for (int i = 0; i < lrs.Length; i++) lrs[i] *= ratio;
        return lrs;
    }

    private protected override double[]? ClosedFormLr() =>
        BaseLrs.Select(b => b * (StartFactor + (EndFactor - StartFactor) * Math.Min(TotalIters, LastEpoch) / TotalIters)).ToArray();
}
