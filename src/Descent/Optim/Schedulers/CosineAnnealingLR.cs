namespace Descent.Optim.Schedulers;

/// <summary>
/// Anneals each group's learning rate along a cosine from its base value to <c>etaMin</c> over <c>tMax</c> epochs, then
/// back up over the next <c>tMax</c>, and so on (PyTorch's <c>CosineAnnealingLR</c>):
/// lr = eta_min + (base_lr − eta_min) · (1 + cos(π · epoch / T_max)) / 2.
/// </summary>
/// <remarks>
/// As in PyTorch 1.13, each step computes the new rate from the current one (the recursive, chainable form), which
/// differs from the closed form above in the last digits and follows any other scheduler acting on the same groups.
/// </remarks>
public sealed class CosineAnnealingLR : LRScheduler
{
    /// <summary>Creates the schedule and sets the groups' epoch-0 learning rates.</summary>
    /// <param name="optimizer">The optimizer whose learning rates change.</param>
    /// <param name="tMax">Epochs of a half period (PyTorch's <c>T_max</c>, &gt;= 1).</param>
    /// <param name="etaMin">The lowest learning rate (&gt;= 0).</param>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0.0) : base(optimizer)
    {
        Require.Positive(tMax, nameof(tMax));
        Require.NonNegative(etaMin, nameof(etaMin));
        TMax = tMax;
        EtaMin = etaMin;
        Initialize();
    }

    /// <summary>Epochs of a half period.</summary>
    public int TMax { get; }

    /// <summary>The lowest learning rate.</summary>
    public double EtaMin { get; }

    private protected override double[] ComputeLr()
    {
        var lrs = CurrentLrs();
        if (LastEpoch == 0) return lrs;
        var baseLrs = BaseLrs;
        if ((LastEpoch - 1 - TMax) % (2 * TMax) == 0)
        {
            // The step that leaves the trough: the ratio below would divide by 1 + cos(π) = 0.
            for (int i = 0; i < lrs.Length; i++)
                lrs[i] = lrs[i] + (baseLrs[i] - EtaMin) * (1 - Math.Cos(Math.PI / TMax)) / 2;
            return lrs;
        }
        double ratio = (1 + Math.Cos(Math.PI * LastEpoch / TMax)) / (1 + Math.Cos(Math.PI * (LastEpoch - 1) / TMax));
        for (int i = 0; i < lrs.Length; i++) lrs[i] = ratio * (lrs[i] - EtaMin) + EtaMin;
        return lrs;
    }

    private protected override double[]? ClosedFormLr() =>
        BaseLrs.Select(b => EtaMin + (b - EtaMin) * (1 + Math.Cos(Math.PI * LastEpoch / TMax)) / 2).ToArray();
}
