namespace Descent.Optim.Schedulers;

/// <summary>
/// Steps several chainable schedulers together, each applying its change to the learning rate the previous one left
/// (PyTorch's <c>ChainedScheduler</c>), e.g. a constant warm-up factor combined with an exponential decay.
/// </summary>
public sealed class ChainedScheduler : LRScheduler
{
    private readonly LRScheduler[] _schedulers;

    /// <summary>Chains <paramref name="schedulers"/>, which must all drive the same optimizer.</summary>
    /// <param name="schedulers">The schedulers, in the order they are stepped.</param>
    public ChainedScheduler(IReadOnlyList<LRScheduler> schedulers) : base(First(schedulers).Optimizer)
    {
        for (int i = 0; i < schedulers.Count; i++)
        {
            if (schedulers[i] is null) throw new ArgumentNullException(nameof(schedulers), $"schedulers[{i}] is null");
            if (!ReferenceEquals(schedulers[i].Optimizer, Optimizer))
                throw new ArgumentException($"schedulers[{i}] drives another optimizer than schedulers[0]", nameof(schedulers));
        }
        _schedulers = [.. schedulers];
        LastEpoch = 0;
        SetBaseLrs(Groups.Select(g => g.InitialLr ?? g.Lr).ToArray());
        SetLastLr(CurrentLrs());
    }

    /// <summary>The chained schedulers, in the order they are stepped.</summary>
    public IReadOnlyList<LRScheduler> Schedulers => _schedulers;

    private static LRScheduler First(IReadOnlyList<LRScheduler> schedulers)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        if (schedulers.Count == 0) throw new ArgumentException("schedulers is empty; give at least one scheduler", nameof(schedulers));
        return schedulers[0] ?? throw new ArgumentNullException(nameof(schedulers), "schedulers[0] is null");
    }

    /// <summary>Steps every chained scheduler once, in order.</summary>
    public override void Step()
    {
        LastEpoch++;
        foreach (var s in _schedulers) s.Step();
        SetLastLr(CurrentLrs());
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
        base.LoadState(state);
    }
}
