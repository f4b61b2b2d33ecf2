namespace Descent.Optim.Schedulers;

/// <summary>
/// Multiplies each group's learning rate by <c>gamma</c> every epoch: lr = base_lr · gamma^epoch
/// (PyTorch's <c>ExponentialLR</c>).
/// </summary>
public sealed class ExponentialLR : LRScheduler
{
    /// <summary>Creates the schedule and sets the groups' epoch-0 learning rates.</summary>
    /// <param name="optimizer">The optimizer whose learning rates change.</param>
    /// <param name="gamma">Multiplicative factor per epoch (&gt; 0).</param>
    public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer)
    {
        Require.Positive(gamma, nameof(gamma));
        Gamma = gamma;
        Initialize();
    }

    /// <summary>Multiplicative factor per epoch.</summary>
    public double Gamma { get; }

    private protected override double[] ComputeLr()
    {
        var lrs = CurrentLrs();
        if (LastEpoch == 0) return lrs;
        for (int i = 0; i < lrs.Length; i++) lrs[i] *= Gamma;
        return lrs;
    }

    private protected override double[]? ClosedFormLr() => BaseLrs.Select(b => b * Math.Pow(Gamma, LastEpoch)).ToArray();
}
