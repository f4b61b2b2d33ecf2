namespace Descent.Optim.Schedulers;

/// <summary>The amplitude policy of <see cref="CyclicLR"/>.</summary>
public enum CyclicMode
{
    /// <summary>A triangle of constant amplitude.</summary>
    Triangular,

    /// <summary>A triangle whose amplitude halves every cycle.</summary>
    Triangular2,

    /// <summary>A triangle whose amplitude is scaled by gamma^iteration.</summary>
    ExpRange,
}

/// <summary>What <see cref="CyclicLR"/>'s scale function receives: the cycle number or the iteration count.</summary>
public enum CyclicScaleMode
{
    /// <summary>The cycle number (1, 2, …).</summary>
    Cycle,

    /// <summary>The number of steps taken (<see cref="LRScheduler.LastEpoch"/>).</summary>
    Iterations,
}

/// <summary>
/// Cyclical learning rates (Smith, 2017; PyTorch's <c>CyclicLR</c>): each group's learning rate goes from
/// <c>baseLr</c> up to <c>maxLr</c> in <c>stepSizeUp</c> steps and back in <c>stepSizeDown</c>, the amplitude scaled by
/// the mode's policy; with <c>cycleMomentum</c> the momentum (or Adam's β₁) moves the opposite way between
/// <c>maxMomentum</c> and <c>baseMomentum</c>. Meant to be stepped after every batch.
/// </summary>
/// <remarks>
/// With x the position within the cycle and s = step_size_up / (step_size_up + step_size_down), the scale rises as x/s and
/// falls as (x − 1)/(s − 1); lr = base_lr + (max_lr − base_lr) · scale · scale_fn(cycle or iteration).
/// </remarks>
public sealed class CyclicLR : LRScheduler
{
    private readonly double[] _maxLrs;
    private readonly double[] _baseMomentums = [];
    private readonly double[] _maxMomentums = [];
    private readonly Func<double, double> _scaleFn;
    private readonly double _totalSize;
    private readonly double _stepRatio;

    /// <summary>Creates the schedule: sets each group's learning rate to <paramref name="baseLr"/> (and momentum) and takes the first step.</summary>
    /// <param name="optimizer">The optimizer whose learning rates (and momenta) change.</param>
    /// <param name="baseLr">The lower bound of the cycle, one value or one per group (&gt;= 0).</param>
    /// <param name="maxLr">The upper bound of the cycle's amplitude, one value or one per group (&gt;= 0).</param>
    /// <param name="stepSizeUp">Steps of the rising half (&gt; 0).</param>
    /// <param name="stepSizeDown">Steps of the falling half (&gt;= 0); null for <paramref name="stepSizeUp"/>.</param>
    /// <param name="mode">The amplitude policy; ignored when <paramref name="scaleFn"/> is given.</param>
    /// <param name="gamma">The base of <see cref="CyclicMode.ExpRange"/>'s scale gamma^iteration (&gt; 0).</param>
    /// <param name="scaleFn">A custom amplitude policy (values in [0, 1]); overrides <paramref name="mode"/>.</param>
    /// <param name="scaleMode">What <paramref name="scaleFn"/> receives.</param>
    /// <param name="cycleMomentum">Whether to cycle momentum (or β₁) inversely to the learning rate.</param>
    /// <param name="baseMomentum">The lower bound of the momentum, reached at max_lr, one value or one per group.</param>
    /// <param name="maxMomentum">The upper bound of the momentum, reached at base_lr, one value or one per group.</param>
    public CyclicLR(
        Optimizer optimizer,
        GroupValues baseLr,
        GroupValues maxLr,
        double stepSizeUp = 2000,
        double? stepSizeDown = null,
        CyclicMode mode = CyclicMode.Triangular,
        double gamma = 1.0,
        Func<double, double>? scaleFn = null,
        CyclicScaleMode scaleMode = CyclicScaleMode.Cycle,
        bool cycleMomentum = true,
        GroupValues? baseMomentum = null,
        GroupValues? maxMomentum = null) : base(optimizer)
    {
        double[] baseLrs = baseLr.Expand(nameof(baseLr), GroupCount);
        _maxLrs = maxLr.Expand(nameof(maxLr), GroupCount);
        Require.NonNegative(baseLrs, nameof(baseLr));
        Require.NonNegative(_maxLrs, nameof(maxLr));
        Require.Positive(stepSizeUp, nameof(stepSizeUp));
        double down = stepSizeDown ?? stepSizeUp;
        Require.NonNegative(down, nameof(stepSizeDown));
        Require.Defined(mode, nameof(mode));
        Require.Defined(scaleMode, nameof(scaleMode));
        Require.Positive(gamma, nameof(gamma));
        _totalSize = stepSizeUp + down;
        _stepRatio = stepSizeUp / _totalSize;
        Mode = mode;
        if (scaleFn is not null)
        {
            _scaleFn = scaleFn;
            ScaleMode = scaleMode;
        }
        else
        {
            _scaleFn = mode switch
            {
                CyclicMode.Triangular => _ => 1.0,
                CyclicMode.Triangular2 => x => 1 / Math.Pow(2.0, x - 1),
                _ => x => Math.Pow(gamma, x),
            };
            ScaleMode = mode == CyclicMode.ExpRange ? CyclicScaleMode.Iterations : CyclicScaleMode.Cycle;
        }

        CycleMomentum = cycleMomentum;
        if (cycleMomentum)
        {
            RequireMomentum(optimizer, nameof(CyclicLR));
            _baseMomentums = (baseMomentum ?? 0.8).Expand(nameof(baseMomentum), GroupCount);
            _maxMomentums = (maxMomentum ?? 0.9).Expand(nameof(maxMomentum), GroupCount);
            Require.NonNegative(_baseMomentums, nameof(baseMomentum));
            Require.NonNegative(_maxMomentums, nameof(maxMomentum));
            for (int i = 0; i < GroupCount; i++) Groups[i].Momentum = _baseMomentums[i];
        }

        for (int i = 0; i < GroupCount; i++) Groups[i].Lr = baseLrs[i];
        // As in PyTorch, the construction step runs with the groups' initial_lr as base (equal to baseLr unless another
        // scheduler set initial_lr before); base_lr takes over from the next step.
        SetInitialLrs();
        InitialStep();
        SetBaseLrs(baseLrs);
    }

    /// <summary>The amplitude policy (unused when a scale function was given).</summary>
    public CyclicMode Mode { get; }

    /// <summary>What the scale function receives.</summary>
    public CyclicScaleMode ScaleMode { get; }

    /// <summary>Whether momentum (or β₁) cycles inversely to the learning rate.</summary>
    public bool CycleMomentum { get; }

    /// <summary>The upper bounds of the amplitude, per group.</summary>
    public IReadOnlyList<double> MaxLrs => _maxLrs;

    private protected override double[] ComputeLr()
    {
        double cycle = Math.Floor(1 + LastEpoch / _totalSize);
        double x = 1.0 + LastEpoch / _totalSize - cycle;
        double scaleFactor = x <= _stepRatio ? x / _stepRatio : (x - 1) / (_stepRatio - 1);
        double scale = _scaleFn(ScaleMode == CyclicScaleMode.Cycle ? cycle : LastEpoch);
        var baseLrs = BaseLrs;
        var lrs = new double[GroupCount];
        for (int i = 0; i < lrs.Length; i++)
            lrs[i] = baseLrs[i] + (_maxLrs[i] - baseLrs[i]) * scaleFactor * scale;
        if (CycleMomentum)
            for (int i = 0; i < lrs.Length; i++)
                Groups[i].Momentum = _maxMomentums[i] - (_maxMomentums[i] - _baseMomentums[i]) * scaleFactor * scale;
        return lrs;
    }

    internal override void SaveState(SchedulerState state)
    {
        base.SaveState(state);
        if (CycleMomentum) state.Put("last_momentum", Groups.Select(g => g.Momentum ?? double.NaN).ToArray());
    }

    internal override void LoadState(SchedulerState state)
    {
        double[]? momentum = CycleMomentum ? state.Get("last_momentum", GroupCount) : null;
        base.LoadState(state);
        if (momentum is not null)
            for (int i = 0; i < momentum.Length; i++) Groups[i].Momentum = momentum[i];
    }
}
