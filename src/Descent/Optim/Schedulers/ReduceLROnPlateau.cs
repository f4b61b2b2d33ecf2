namespace Descent.Optim.Schedulers;

/// <summary>Whether <see cref="ReduceLROnPlateau"/> watches a metric that should fall (a loss) or rise (an accuracy).</summary>
public enum PlateauMode
{
    /// <summary>Lower is better.</summary>
    Min,

    /// <summary>Higher is better.</summary>
    Max,
}

/// <summary>How <see cref="ReduceLROnPlateau"/>'s threshold defines a significant improvement.</summary>
public enum ThresholdMode
{
    /// <summary>Relative: better than best · (1 ∓ threshold).</summary>
    Rel,

    /// <summary>Absolute: better than best ∓ threshold.</summary>
    Abs,
}

/// <summary>
/// Reduces each group's learning rate by <c>factor</c> when a metric has stopped improving for more than
/// <c>patience</c> epochs (PyTorch's <c>ReduceLROnPlateau</c>): new_lr = max(lr · factor, min_lr), applied only when
/// the change exceeds <c>eps</c>; after a reduction, <c>cooldown</c> epochs pass before bad epochs count again.
/// Call <see cref="Step(double)"/> with the epoch's metric (e.g. the validation loss).
/// </summary>
public sealed class ReduceLROnPlateau
{
    private readonly double[] _minLrs;
    private double[] _lastLr;

    /// <summary>Creates the scheduler; the optimizer's learning rates are not changed until a plateau.</summary>
    /// <param name="optimizer">The optimizer whose learning rates change.</param>
    /// <param name="mode">Whether the metric should fall (<see cref="PlateauMode.Min"/>) or rise.</param>
    /// <param name="factor">The factor of a reduction, in [0, 1).</param>
    /// <param name="patience">The number of epochs without improvement tolerated before a reduction (&gt;= 0).</param>
    /// <param name="threshold">The least change that counts as an improvement (&gt;= 0).</param>
    /// <param name="thresholdMode">Whether <paramref name="threshold"/> is relative or absolute.</param>
    /// <param name="cooldown">Epochs to wait after a reduction before counting bad epochs again (&gt;= 0).</param>
    /// <param name="minLr">The lowest learning rate, one value or one per group (&gt;= 0).</param>
    /// <param name="eps">A reduction smaller than this is skipped (&gt;= 0).</param>
    public ReduceLROnPlateau(
        Optimizer optimizer,
        PlateauMode mode = PlateauMode.Min,
        double factor = 0.1,
        int patience = 10,
        double threshold = 1e-4,
        ThresholdMode thresholdMode = ThresholdMode.Rel,
        int cooldown = 0,
        GroupValues? minLr = null,
        double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Require.Defined(mode, nameof(mode));
        if (!(factor >= 0 && factor < 1.0))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"factor must be in [0, 1), got {Require.Format(factor)}");
        Require.NonNegative(patience, nameof(patience));
        Require.NonNegative(threshold, nameof(threshold));
        Require.Defined(thresholdMode, nameof(thresholdMode));
        Require.NonNegative(cooldown, nameof(cooldown));
        Require.NonNegative(eps, nameof(eps));
        _minLrs = (minLr ?? 0.0).Expand(nameof(minLr), optimizer.ParamGroups.Count);
        Require.NonNegative(_minLrs, nameof(minLr));
        Optimizer = optimizer;
        Mode = mode;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        ThresholdMode = thresholdMode;
        Cooldown = cooldown;
        Eps = eps;
        Best = mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
        _lastLr = optimizer.ParamGroups.Select(g => g.Lr).ToArray();
    }

    /// <summary>The optimizer whose parameter groups this scheduler drives.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Whether the metric should fall or rise.</summary>
    public PlateauMode Mode { get; }

    /// <summary>The factor of a reduction.</summary>
    public double Factor { get; }

    /// <summary>The number of epochs without improvement tolerated before a reduction.</summary>
    public int Patience { get; }

    /// <summary>The least change that counts as an improvement.</summary>
    public double Threshold { get; }

    /// <summary>Whether <see cref="Threshold"/> is relative or absolute.</summary>
    public ThresholdMode ThresholdMode { get; }

    /// <summary>Epochs to wait after a reduction before counting bad epochs again.</summary>
    public int Cooldown { get; }

    /// <summary>The lowest learning rate of each group.</summary>
    public IReadOnlyList<double> MinLrs => _minLrs;

    /// <summary>A reduction smaller than this is skipped.</summary>
    public double Eps { get; }

    /// <summary>The number of <see cref="Step(double)"/> calls so far.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The best metric seen (±∞ before the first step).</summary>
    public double Best { get; private set; }

    /// <summary>Consecutive epochs without improvement.</summary>
    public int NumBadEpochs { get; private set; }

    /// <summary>Epochs left in the current cooldown.</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>Whether a cooldown is running.</summary>
    public bool InCooldown => CooldownCounter > 0;

    /// <summary>Each group's learning rate after the last step.</summary>
    public IReadOnlyList<double> LastLr => _lastLr;

    /// <summary>Records an epoch's metric and reduces the learning rates after more than <see cref="Patience"/> bad epochs.</summary>
    public void Step(double metric)
    {
        CheckGroups();
        LastEpoch++;
        if (IsBetter(metric, Best))
        {
            Best = metric;
            NumBadEpochs = 0;
        }
        else NumBadEpochs++;

        if (InCooldown)
        {
            CooldownCounter--;
            NumBadEpochs = 0; // bad epochs in a cooldown do not count
        }

        if (NumBadEpochs > Patience)
        {
            ReduceLr();
            CooldownCounter = Cooldown;
            NumBadEpochs = 0;
        }
        _lastLr = Optimizer.ParamGroups.Select(g => g.Lr).ToArray();
    }

    private void ReduceLr()
    {
        var groups = Optimizer.ParamGroups;
        for (int i = 0; i < groups.Count; i++)
        {
            double oldLr = groups[i].Lr;
            double newLr = Math.Max(oldLr * Factor, _minLrs[i]);
            if (oldLr - newLr > Eps) groups[i].Lr = newLr;
        }
    }

    private bool IsBetter(double a, double best) => (Mode, ThresholdMode) switch
    {
        (PlateauMode.Min, ThresholdMode.Rel) => a < best * (1.0 - Threshold),
        (PlateauMode.Min, ThresholdMode.Abs) => a < best - Threshold,
        (PlateauMode.Max, ThresholdMode.Rel) => a > best * (Threshold + 1.0),
        _ => a > best + Threshold,
    };

    private void CheckGroups()
    {
        if (Optimizer.ParamGroups.Count != _minLrs.Length)
            throw new InvalidOperationException($"the optimizer has {Optimizer.ParamGroups.Count} parameter groups, but the scheduler was built for {_minLrs.Length}");
    }

    /// <summary>The scheduler's counters as named arrays of numbers (<c>last_epoch</c>, <c>best</c>, <c>num_bad_epochs</c>, <c>cooldown_counter</c>, <c>last_lr</c>).</summary>
    public Dictionary<string, double[]> StateDict()
    {
        var dict = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var state = SchedulerState.ForWriting(dict);
        state.Put("last_epoch", LastEpoch);
        state.Put("best", Best);
        state.Put("num_bad_epochs", NumBadEpochs);
        state.Put("cooldown_counter", CooldownCounter);
        state.Put("last_lr", _lastLr);
        return dict;
    }

    /// <summary>Restores a state from <see cref="StateDict"/> and writes the saved learning rates into the optimizer's groups.</summary>
    /// <exception cref="ArgumentException">The state does not fit this scheduler; the scheduler and the groups are unchanged.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, double[]> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        CheckGroups();
        var s = SchedulerState.ForReading(state);
        int lastEpoch = s.GetInt("last_epoch"), bad = s.GetCount("num_bad_epochs"), cooldown = s.GetCount("cooldown_counter");
        double best = s.Get("best");
        double[] lastLr = s.Get("last_lr", _minLrs.Length);
        if (double.IsNaN(best)) throw new ArgumentException("the scheduler state's 'best' must be a number, got NaN", nameof(state));
        ParamGroup.SetLrs(Optimizer.ParamGroups, lastLr); // every rate checked before any group changes
        (LastEpoch, Best, NumBadEpochs, CooldownCounter, _lastLr) = (lastEpoch, best, bad, cooldown, lastLr);
    }
}
