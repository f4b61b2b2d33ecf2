namespace Descent.Optim.Schedulers;

/// <summary>
/// Runs schedulers one after another (PyTorch's <c>SequentialLR</c>): <c>schedulers[i]</c> drives the groups from
/// <c>milestones[i − 1]</c> up to <c>milestones[i]</c>, restarting from its epoch 0 at its milestone. The everyday use is
/// a warm-up followed by a decay:
/// <code>
/// var warmup = new LinearLR(optimizer, startFactor: 0.1, totalIters: 5);
/// var cosine = new CosineAnnealingLR(optimizer, tMax: 95);
/// var schedule = new SequentialLR(optimizer, [warmup, cosine], milestones: [5]);
/// </code>
/// </summary>
public sealed class SequentialLR : LRScheduler
{
    private readonly LRScheduler[] _schedulers;
    private readonly int[] _milestones;

    /// <summary>
    /// Combines <paramref name="schedulers"/> (already built on <paramref name="optimizer"/>): undoes their construction
    /// steps, restores the groups' initial learning rates and lets the first scheduler take its first step.
    /// </summary>
    /// <param name="optimizer">The optimizer that every scheduler drives.</param>
    /// <param name="schedulers">The schedulers, in the order they run.</param>
    /// <param name="milestones">The epochs at which the next scheduler takes over: one fewer than the schedulers, increasing, each &gt;= 1.</param>
    public SequentialLR(Optimizer optimizer, IReadOnlyList<LRScheduler> schedulers, IReadOnlyList<int> milestones) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        ArgumentNullException.ThrowIfNull(milestones);
        if (schedulers.Count == 0) throw new ArgumentException("schedulers is empty; give at least one scheduler", nameof(schedulers));
        for (int i = 0; i < schedulers.Count; i++)
        {
            if (schedulers[i] is null) throw new ArgumentNullException(nameof(schedulers), $"schedulers[{i}] is null");
            if (!ReferenceEquals(schedulers[i].Optimizer, optimizer))
                throw new ArgumentException($"schedulers[{i}] drives another optimizer than the one given to SequentialLR", nameof(schedulers));
        }
        if (milestones.Count != schedulers.Count - 1)
            throw new ArgumentException($"milestones has {milestones.Count} values, but {schedulers.Count} schedulers need {schedulers.Count - 1}", nameof(milestones));
        for (int i = 0; i < milestones.Count; i++)
        {
            if (milestones[i] < 1)
                throw new ArgumentOutOfRangeException(nameof(milestones), milestones[i], $"milestones[{i}] must be >= 1, got {milestones[i]}");
            if (i > 0 && milestones[i] <= milestones[i - 1])
                throw new ArgumentException($"milestones must be increasing, got {milestones[i]} after {milestones[i - 1]} (at index {i})", nameof(milestones));
        }
        _schedulers = [.. schedulers];
        _milestones = [.. milestones];

        LastEpoch = 0;
        SetBaseLrs(Groups.Select(g => g.InitialLr ?? g.Lr).ToArray());
        foreach (var g in Groups) g.Lr = g.InitialLr ?? g.Lr;
        foreach (var s in _schedulers) s.UndoInitialStep();
        _schedulers[0].InitialStep();
        SetLastLr(_schedulers[0].LastLr);
    }

    /// <summary>The schedulers, in the order they run.</summary>
    public IReadOnlyList<LRScheduler> Schedulers => _schedulers;

    /// <summary>The epochs at which the next scheduler takes over.</summary>
    public IReadOnlyList<int> Milestones => _milestones;

    /// <summary>Advances by one epoch with the scheduler in charge, restarting it at its milestone.</summary>
    public override void Step()
    {
        LastEpoch++;
        int idx = _milestones.Count(m => m <= LastEpoch); // bisect_right
        var scheduler = _schedulers[idx];
        if (idx > 0 && _milestones[idx - 1] == LastEpoch) scheduler.StepAt(0);
        else scheduler.Step();
        SetLastLr(scheduler.LastLr);
    }

    internal override void StepAt(int epoch) => Step();

    private protected override double[] ComputeLr() => CurrentLrs();

    internal override void SaveState(SchedulerState state)
    {
        base.SaveState(state);
        for (int i = 0; i < _schedulers.Length; i++) _schedulers[i].SaveState(state.Nested($"schedulers.{i}"));
    }

    internal override void LoadState(SchedulerState state)
    {
        for (int i = 0; i < _schedulers.Length; i++) _schedulers[i].LoadState(state.Nested($"schedulers.{i}"));
        base.LoadState(state); // last: the groups take this scheduler's last learning rates
    }
}
