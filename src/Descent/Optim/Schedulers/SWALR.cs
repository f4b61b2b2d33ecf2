namespace Descent.Optim.Schedulers;

/// <summary>
/// Anneals each group's learning rate to a fixed <c>swaLr</c> over <c>annealEpochs</c> epochs and holds it there
/// (PyTorch's <c>torch.optim.swa_utils.SWALR</c>), the schedule of stochastic weight averaging's averaging phase. Each
/// step moves from the current rate towards swa_lr by the annealing curve's fraction α(t), t = step / anneal_epochs:
/// <code>
/// α(t) = (1 − cos(π·t)) / 2   (cos)      or   α(t) = t   (linear),   t clamped to [0, 1]
/// lr₀  = (lr − α(t − 1/anneal_epochs) · swa_lr) / (1 − α(t − 1/anneal_epochs))   (the rate the curve started from)
/// lr   ← α(t) · swa_lr + (1 − α(t)) · lr₀
/// </code>
/// With <c>annealEpochs</c> 0 the rate is swa_lr from construction on. The everyday use is to switch to it late in
/// training, after another schedule:
/// <code>
/// var cosine = new CosineAnnealingLR(optimizer, tMax: 75);
/// var swa = new SWALR(optimizer, swaLr: 0.01, annealEpochs: 5);
/// var schedule = new SequentialLR(optimizer, [cosine, swa], milestones: [75]);
/// </code>
/// </summary>
/// <remarks>
/// As in PyTorch, the curve is indexed by the number of steps this scheduler took (its <c>_step_count</c>), not by the
/// epoch: inside <see cref="SequentialLR"/> it starts annealing from whatever rate the previous scheduler left.
/// </remarks>
public sealed class SWALR : LRScheduler
{
    private readonly double[] _swaLrs;
    private readonly Func<double, double> _anneal;

    // PyTorch's _step_count: the steps taken since the last initial step (1 right after construction).
    private int _stepCount;

    /// <summary>Creates the schedule and takes its first step (towards <paramref name="swaLr"/>).</summary>
    /// <param name="optimizer">The optimizer whose learning rates change.</param>
    /// <param name="swaLr">The learning rate to anneal to, one value or one per group (&gt;= 0).</param>
    /// <param name="annealEpochs">The number of epochs of the annealing (&gt;= 0; 0 jumps to swaLr at once).</param>
    /// <param name="annealStrategy">The curve: cosine or linear.</param>
    public SWALR(Optimizer optimizer, GroupValues swaLr, int annealEpochs = 10, AnnealStrategy annealStrategy = AnnealStrategy.Cos)
        : base(optimizer)
    {
        _swaLrs = swaLr.Expand(nameof(swaLr), GroupCount);
        for (int i = 0; i < _swaLrs.Length; i++) Require.NonNegative(_swaLrs[i], nameof(swaLr), $"{nameof(swaLr)}[{i}]");
        Require.NonNegative(annealEpochs, nameof(annealEpochs));
        Require.Defined(annealStrategy, nameof(annealStrategy));
        AnnealEpochs = annealEpochs;
        AnnealStrategy = annealStrategy;
        _anneal = annealStrategy == AnnealStrategy.Cos ? t => (1 - Math.Cos(Math.PI * t)) / 2 : t => t;
        Initialize();
    }

    /// <summary>Each group's learning rate at the end of the annealing.</summary>
    public IReadOnlyList<double> SwaLrs => _swaLrs;

    /// <summary>The number of epochs of the annealing.</summary>
    public int AnnealEpochs { get; }

    /// <summary>The annealing curve.</summary>
    public AnnealStrategy AnnealStrategy { get; }

    /// <inheritdoc/>
    public override void Step()
    {
        _stepCount++;
        base.Step();
    }

    internal override void StepAt(int epoch)
    {
        // SWALR has no closed form: a jump (SequentialLR's restart at its milestone) is one more step of the curve.
        _stepCount++;
        base.StepAt(epoch);
    }

    internal override void InitialStep()
    {
        _stepCount = 0;
        base.InitialStep();
    }

    private protected override double[] ComputeLr()
    {
        int step = _stepCount - 1;
        if (AnnealEpochs == 0) step = Math.Max(1, step);
        double previousAlpha = _anneal(Fraction(step - 1));
        double alpha = _anneal(Fraction(step));
        var lrs = CurrentLrs();
        for (int i = 0; i < lrs.Length; i++)
        {
            double start = StartOfCurve(lrs[i], _swaLrs[i], previousAlpha);
            lrs[i] = _swaLrs[i] * alpha + start * (1 - alpha);
        }
        return lrs;
    }

    /// <summary>How far along the annealing a step is, in [0, 1].</summary>
    private double Fraction(int step) => Math.Clamp((double)step / Math.Max(1, AnnealEpochs), 0, 1);

    /// <summary>The rate the curve started from, recovered from the current one (which the curve had at <paramref name="alpha"/>).</summary>
    private static double StartOfCurve(double lr, double swaLr, double alpha) =>
        alpha == 1 ? swaLr : (lr - alpha * swaLr) / (1 - alpha);

    internal override void SaveState(SchedulerState state)
    {
        base.SaveState(state);
        state.Put("_step_count", _stepCount);
    }

    internal override void LoadState(SchedulerState state)
    {
        int stepCount = state.GetInt("_step_count");
        base.LoadState(state);
        _stepCount = stepCount;
    }
}
