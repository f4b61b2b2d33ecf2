namespace Descent.Optim.Schedulers;

/// <summary>
/// The base of the epoch-based learning-rate schedulers (PyTorch's <c>torch.optim.lr_scheduler._LRScheduler</c>,
/// version 1.13). Construction records each group's <see cref="ParamGroup.InitialLr"/> (if not set yet) as its base
/// learning rate and performs a first step, so that the optimizer's groups hold the schedule's epoch-0 values. Call
/// <see cref="Step()"/> once per epoch, after <c>optimizer.Step()</c>.
/// </summary>
/// <remarks>
/// Like PyTorch, most schedulers are chainable: each step derives the new learning rate from the group's current one,
/// so several schedulers may act on the same optimizer (<see cref="ChainedScheduler"/>).
/// </remarks>
public abstract class LRScheduler
{
    private double[] _baseLrs = [];
    private double[] _lastLr = [];

    private protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
    }

    /// <summary>The optimizer whose parameter groups this scheduler drives.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The number of steps taken since construction (0 right after it; PyTorch's <c>last_epoch</c>).</summary>
    public int LastEpoch { get; private protected set; } = -1;

    /// <summary>Each group's starting learning rate (PyTorch's <c>base_lrs</c>).</summary>
    public IReadOnlyList<double> BaseLrs => _baseLrs;

    /// <summary>Each group's learning rate after the last step (PyTorch's <c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> LastLr => _lastLr;

    private protected IReadOnlyList<ParamGroup> Groups => Optimizer.ParamGroups;

    private protected int GroupCount => Optimizer.ParamGroups.Count;

    /// <summary>
    /// Advances the schedule by one epoch and writes the new learning rates into the optimizer's groups. A rate out of
    /// range (a <see cref="LambdaLR"/> function returning NaN or a negative factor) throws as the optimizer's constructor
    /// would, naming <c>lr</c> and the value, and the step changes nothing: no group's rate, nor the epoch count.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A new learning rate is negative, NaN or infinite.</exception>
    public virtual void Step()
    {
        LastEpoch++;
        try
        {
            Apply(ComputeLr());
        }
        catch
        {
            LastEpoch--;
            throw;
        }
    }

    /// <summary>
    /// PyTorch's deprecated <c>step(epoch)</c>: jumps to <paramref name="epoch"/>, with the closed form where the
    /// scheduler has one (SequentialLR uses it to restart a scheduler at 0).
    /// </summary>
    internal virtual void StepAt(int epoch)
    {
        int previous = LastEpoch;
        LastEpoch = epoch;
        try
        {
            Apply(ClosedFormLr() ?? ComputeLr());
        }
        catch
        {
            LastEpoch = previous;
            throw;
        }
    }

    /// <summary>The learning rates of the next step, derived from the current ones (PyTorch's <c>get_lr</c>).</summary>
    private protected abstract double[] ComputeLr();

    /// <summary>The learning rates at <see cref="LastEpoch"/> from the base ones, or null if there is no closed form.</summary>
    private protected virtual double[]? ClosedFormLr() => null;

    /// <summary>PyTorch's <c>super().__init__</c>: set the initial learning rates, then take the first step.</summary>
    private protected void Initialize()
    {
        SetInitialLrs();
        InitialStep();
    }

    private protected void SetInitialLrs()
    {
        foreach (var g in Groups) g.InitialLr ??= g.Lr;
        _baseLrs = Groups.Select(g => g.InitialLr!.Value).ToArray();
    }

    private protected void SetBaseLrs(double[] baseLrs) => _baseLrs = (double[])baseLrs.Clone();

    /// <summary>PyTorch's <c>_initial_step</c> (which also resets the step count that <see cref="SWALR"/> keeps).</summary>
    internal virtual void InitialStep() => Step();

    /// <summary>SequentialLR "undoes" the construction step of the schedulers it is given.</summary>
    internal void UndoInitialStep() => LastEpoch--;

    /// <summary>
    /// Writes <paramref name="lrs"/> into the groups and records them as <see cref="LastLr"/>: every rate is checked
    /// before any group changes, so that a rate out of range leaves the groups as they were.
    /// </summary>
    private protected void Apply(double[] lrs)
    {
        CheckGroups(lrs.Length);
        ParamGroup.SetLrs(Groups, lrs);
        _lastLr = Groups.Select(g => g.Lr).ToArray();
    }

    private protected void SetLastLr(IReadOnlyList<double> lrs) => _lastLr = [.. lrs];

    private protected void CheckGroups(int expected)
    {
        if (GroupCount != expected)
            throw new InvalidOperationException($"the optimizer has {GroupCount} parameter groups, but the scheduler was built for {expected}");
    }

    private protected double[] CurrentLrs() => Groups.Select(g => g.Lr).ToArray();

    /// <summary>
    /// The scheduler's state as named arrays of numbers (<c>last_epoch</c>, <c>base_lrs</c>, <c>last_lr</c> and what the
    /// scheduler adds). Delegates (LambdaLR's functions, CyclicLR's scale function) are not saved, as in PyTorch.
    /// </summary>
    public Dictionary<string, double[]> StateDict()
    {
        var state = new Dictionary<string, double[]>(StringComparer.Ordinal);
        SaveState(SchedulerState.ForWriting(state));
        return state;
    }

    /// <summary>
    /// Restores a state from <see cref="StateDict"/> into a scheduler built with the same arguments, and writes the
    /// saved learning rates (and cycled momenta) back into the optimizer's groups, so that the next <see cref="Step()"/>
    /// continues the saved run.
    /// </summary>
    /// <exception cref="ArgumentException">The state does not fit this scheduler; the scheduler and the groups are unchanged.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, double[]> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        // A scheduler's state loads in parts (a chain's schedulers one by one, then its own): on failure, the state and
        // the groups' rates and momenta it had are put back.
        var before = StateDict();
        var groups = Groups.Select(g => g.Memento()).ToList();
        try
        {
            LoadState(SchedulerState.ForReading(state));
        }
        catch
        {
            LoadState(SchedulerState.ForReading(before));
            foreach (var restore in groups) restore();
            throw;
        }
    }

    internal virtual void SaveState(SchedulerState state)
    {
        state.Put("last_epoch", LastEpoch);
        state.Put("base_lrs", _baseLrs);
        state.Put("last_lr", _lastLr);
    }

    internal virtual void LoadState(SchedulerState state)
    {
        int lastEpoch = state.GetInt("last_epoch");
        double[] baseLrs = state.Get("base_lrs", GroupCount);
        double[] lastLr = state.Get("last_lr", GroupCount);
        foreach (double lr in baseLrs)
            if (!(lr >= 0) || double.IsInfinity(lr))
                throw new ArgumentException($"the scheduler state's 'base_lrs' must be finite and >= 0, got {Require.Format(lr)}", nameof(state));
        ParamGroup.SetLrs(Groups, lastLr);
        LastEpoch = lastEpoch;
        _baseLrs = baseLrs;
        _lastLr = lastLr;
    }

    /// <summary>Throws unless every group's options have a momentum (or beta1) that a cyclic schedule can vary.</summary>
    private protected static void RequireMomentum(Optimizer optimizer, string scheduler)
    {
        for (int i = 0; i < optimizer.ParamGroups.Count; i++)
            if (optimizer.ParamGroups[i].Momentum is null)
                throw new ArgumentException(
                    $"cycleMomentum is true but parameter group {i} ({optimizer.ParamGroups[i].Options.GetType().Name}) has no momentum or beta1; " +
                    $"pass cycleMomentum: false to {scheduler}", "cycleMomentum");
    }
}
