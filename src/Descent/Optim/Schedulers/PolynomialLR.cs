namespace Descent.Optim.Schedulers;

/// <summary>
/// Decays each group's learning rate polynomially to zero over <c>totalIters</c> epochs:
/// lr = base_lr · (1 − min(epoch, total_iters) / total_iters)^power (PyTorch's <c>PolynomialLR</c>).
/// </summary>
public sealed class PolynomialLR : LRScheduler
{
    /// <summary>Creates the schedule and sets the groups' epoch-0 learning rates.</summary>
    /// <param name="optimizer">The optimizer whose learning rates change.</param>
    /// <param name="totalIters">The number of epochs of the decay (&gt;= 0).</param>
    /// <param name="power">The power of the polynomial (&gt;= 0).</param>
    public PolynomialLR(Optimizer optimizer, int totalIters = 5, double power = 1.0) : base(optimizer)
    {
        Require.NonNegative(totalIters, nameof(totalIters));
        Require.NonNegative(power, nameof(power));
        TotalIters = totalIters;
        Power = power;
        Initialize();
    }

    /// <summary>The number of epochs of the decay.</summary>
    public int TotalIters { get; }

    /// <summary>The power of the polynomial.</summary>
    public double Power { get; }

    private protected override double[] ComputeLr()
    {
        var lrs = CurrentLrs();
        if (LastEpoch == 0 || LastEpoch > TotalIters) return lrs;
        double decay = Math.Pow((1.0 - (double)LastEpoch / TotalIters) / (1.0 - (double)(LastEpoch - 1) / TotalIters), Power);
        for (int i = 0; i < lrs.Length; i++) lrs[i] *= decay;
        return lrs;
    }

    private protected override double[]? ClosedFormLr() =>
        BaseLrs.Select(b => b * Math.Pow(1.0 - (double)Math.Min(TotalIters, LastEpoch) / TotalIters, Power)).ToArray();
}
