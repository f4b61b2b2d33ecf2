namespace Descent.Optim.Schedulers;

/// <summary>How <see cref="OneCycleLR"/> moves between two values within a phase.</summary>
public enum AnnealStrategy
{
    /// <summary>Half a cosine: end + (start − end) / 2 · (1 + cos(π · pct)).</summary>
    Cos,

    /// <summary>A straight line: start + (end − start) · pct.</summary>
    Linear,
}

/// <summary>
/// The 1cycle policy (Smith and Topin, 2018; PyTorch's <c>OneCycleLR</c>): each group's learning rate rises from
/// max_lr / div_factor to max_lr over the first <c>pctStart</c> of <c>totalSteps</c>, then falls to
/// initial_lr / final_div_factor; with <c>threePhase</c> it first comes back down to the initial rate symmetrically and
/// only then anneals to the minimum. With <c>cycleMomentum</c> the momentum (or Adam's β₁) moves the opposite way
/// between <c>maxMomentum</c> and <c>baseMomentum</c>. Meant to be stepped after every batch, at most
/// <c>totalSteps</c> − 1 times.
/// </summary>
public sealed class OneCycleLR : LRScheduler
{
    private readonly record struct Phase(double EndStep, int StartLr, int EndLr, int StartMomentum, int EndMomentum);

    // Indices into the per-group value table: initial, max, min learning rate; max, base momentum.
    private const int Initial = 0, Max = 1, Min = 2, MaxMomentum = 3, BaseMomentum = 4;

    private readonly Phase[] _phases;
    private readonly double[][] _values; // [group][Initial..BaseMomentum]
    private readonly Func<double, double, double, double> _anneal;

    /// <summary>Creates the schedule: sets each group's initial learning rate (and momentum) and takes the first step.</summary>
    /// <param name="optimizer">The optimizer whose learning rates (and momenta) change.</param>
    /// <param name="maxLr">The peak learning rate, one value or one per group (&gt; 0).</param>
    /// <param name="totalSteps">The number of steps in the cycle (&gt;= 1); or give <paramref name="epochs"/> and <paramref name="stepsPerEpoch"/>.</param>
    /// <param name="epochs">With <paramref name="stepsPerEpoch"/>, gives totalSteps = epochs · stepsPerEpoch when <paramref name="totalSteps"/> is null.</param>
    /// <param name="stepsPerEpoch">Steps in an epoch (&gt;= 1).</param>
    /// <param name="pctStart">The fraction of the cycle spent rising, in [0, 1].</param>
    /// <param name="annealStrategy">Cosine or linear annealing.</param>
    /// <param name="cycleMomentum">Whether to cycle momentum (or β₁) inversely to the learning rate.</param>
    /// <param name="baseMomentum">The lowest momentum, reached at max_lr, one value or one per group.</param>
    /// <param name="maxMomentum">The highest momentum, at the start and the end, one value or one per group.</param>
    /// <param name="divFactor">initial_lr = max_lr / divFactor (&gt; 0).</param>
    /// <param name="finalDivFactor">min_lr = initial_lr / finalDivFactor (&gt; 0).</param>
    /// <param name="threePhase">Whether to come back down to initial_lr before annealing to min_lr (the paper's form).</param>
    public OneCycleLR(
        Optimizer optimizer,
        GroupValues maxLr,
        int? totalSteps = null,
        int? epochs = null,
        int? stepsPerEpoch = null,
        double pctStart = 0.3,
        AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        bool cycleMomentum = true,
        GroupValues? baseMomentum = null,
        GroupValues? maxMomentum = null,
        double divFactor = 25.0,
        double finalDivFactor = 1e4,
        bool threePhase = false) : base(optimizer)
    {
        TotalSteps = ResolveTotalSteps(totalSteps, epochs, stepsPerEpoch);
        Require.InRange(pctStart, nameof(pctStart), 0, 1, closedLow: true);
        Require.Defined(annealStrategy, nameof(annealStrategy));
        Require.Positive(divFactor, nameof(divFactor));
        Require.Positive(finalDivFactor, nameof(finalDivFactor));
        double[] maxLrs = maxLr.Expand(nameof(maxLr), GroupCount);
        for (int i = 0; i < maxLrs.Length; i++) Require.Positive(maxLrs[i], $"{nameof(maxLr)}[{i}]");

        double up = pctStart * TotalSteps - 1;
        _phases = threePhase
            ? [new(up, Initial, Max, MaxMomentum, BaseMomentum),
               new(2 * pctStart * TotalSteps - 2, Max, Initial, BaseMomentum, MaxMomentum),
               new(TotalSteps - 1, Initial, Min, MaxMomentum, MaxMomentum)]
            : [new(up, Initial, Max, MaxMomentum, BaseMomentum),
               new(TotalSteps - 1, Max, Min, BaseMomentum, MaxMomentum)];
        AnnealStrategy = annealStrategy;
        _anneal = annealStrategy == AnnealStrategy.Cos
            ? (start, end, pct) => end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1)
            : (start, end, pct) => (end - start) * pct + start;

        CycleMomentum = cycleMomentum;
        double[] maxMomentums = [], baseMomentums = [];
        if (cycleMomentum)
        {
            RequireMomentum(optimizer, nameof(OneCycleLR));
            maxMomentums = (maxMomentum ?? 0.95).Expand(nameof(maxMomentum), GroupCount);
            baseMomentums = (baseMomentum ?? 0.85).Expand(nameof(baseMomentum), GroupCount);
            Require.NonNegative(maxMomentums, nameof(maxMomentum));
            Require.NonNegative(baseMomentums, nameof(baseMomentum));
        }

        _values = new double[GroupCount][];
        for (int i = 0; i < GroupCount; i++)
        {
            double initial = maxLrs[i] / divFactor;
            _values[i] = [initial, maxLrs[i], initial / finalDivFactor,
                          cycleMomentum ? maxMomentums[i] : 0, cycleMomentum ? baseMomentums[i] : 0];
            Groups[i].InitialLr = initial;
            if (cycleMomentum) Groups[i].Momentum = maxMomentums[i];
        }
        Initialize();
    }

    /// <summary>The number of steps in the cycle.</summary>
    public int TotalSteps { get; }

    /// <summary>Cosine or linear annealing.</summary>
    public AnnealStrategy AnnealStrategy { get; }

    /// <summary>Whether momentum (or β₁) cycles inversely to the learning rate.</summary>
    public bool CycleMomentum { get; }

    private static int ResolveTotalSteps(int? totalSteps, int? epochs, int? stepsPerEpoch)
    {
        if (totalSteps is int total)
        {
            Require.Positive(total, nameof(totalSteps));
            return total;
        }
        if (epochs is null || stepsPerEpoch is null)
            throw new ArgumentException("give either totalSteps or both epochs and stepsPerEpoch", nameof(totalSteps));
        Require.Positive(epochs.Value, nameof(epochs));
        Require.Positive(stepsPerEpoch.Value, nameof(stepsPerEpoch));
        return checked(epochs.Value * stepsPerEpoch.Value);
    }

    private protected override double[] ComputeLr()
    {
        int step = LastEpoch;
        if (step > TotalSteps)
            throw new InvalidOperationException($"OneCycleLR was stepped {step + 1} times, but its cycle has totalSteps = {TotalSteps}");
        var lrs = new double[GroupCount];
        for (int g = 0; g < lrs.Length; g++)
        {
            var v = _values[g];
            double startStep = 0;
            for (int p = 0; p < _phases.Length; p++)
            {
                var phase = _phases[p];
                if (step <= phase.EndStep || p == _phases.Length - 1)
                {
                    double length = phase.EndStep - startStep;
                    if (length == 0) // PyTorch fails here with a division by zero
                        throw new InvalidOperationException(
                            $"OneCycleLR's phase {p + 1} has no steps (pctStart · totalSteps = {Require.Format(_phases[0].EndStep + 1)}); choose pctStart so that each phase has a length");
                    double pct = (step - startStep) / length;
                    lrs[g] = _anneal(v[phase.StartLr], v[phase.EndLr], pct);
                    if (CycleMomentum) Groups[g].Momentum = _anneal(v[phase.StartMomentum], v[phase.EndMomentum], pct);
                    break;
                }
                startStep = phase.EndStep;
            }
        }
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
