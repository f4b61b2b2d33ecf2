namespace Descent.Optim.Schedulers;

/// <summary>
/// Multiplies each group's learning rate by <c>gamma</c> every <c>stepSize</c> epochs:
/// lr = base_lr · gamma^⌊epoch / step_size⌋ (PyTorch's <c>StepLR</c>).
/// </summary>
public sealed class StepLR : LRScheduler
{
    /// <summary>Creates the schedule and sets the groups' epoch-0 learning rates.</summary>
    /// <param name="optimizer">The optimizer whose learning rates change.</param>
    /// <param name="stepSize">Epochs between two decays (&gt;= 1).</param>
    /// <param name="gamma">Multiplicative factor of each decay (&gt; 0).</param>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        Require.Positive(stepSize, nameof(stepSize));
        Require.Positive(gamma, nameof(gamma));
        StepSize = stepSize;
        Gamma = gamma;
        Initialize();
    }

    /// <summary>Epochs between two decays.</summary>
    public int StepSize { get; }

    /// <summary>Multiplicative factor of each decay.</summary>
    public double Gamma { get; }

    private protected override double[] ComputeLr()
    {
        var lrs = CurrentLrs();
        if (LastEpoch == 0 || LastEpoch % StepSize != 0) return lrs;
        for (int i = 0; i < lrs.Length; i++) lrs[i] *= Gamma;
        return lrs;
    }

    private protected override double[]? ClosedFormLr() =>
        BaseLrs.Select(b => b * Math.Pow(Gamma, Math.Floor((double)LastEpoch / StepSize))).ToArray();
}
