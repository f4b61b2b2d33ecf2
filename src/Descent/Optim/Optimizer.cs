using System.Globalization;

namespace Descent.Optim;

/// <summary>
/// The base of every optimizer: parameter groups, per-parameter state, gradient reset, the state dict, and a step that
/// may re-evaluate the model through a closure. Optimizers that step with the gradients already computed derive from
/// <see cref="FirstOrderOptimizer"/>; <see cref="LBFGS"/>, which evaluates several times per step, derives from this.
/// </summary>
public abstract partial class Optimizer
{
    private protected readonly List<ParamGroup> Groups;
    private protected readonly Dictionary<Tensor, ParamState> StateByParameter;

    private protected Optimizer()
    {
        Groups = [];
        StateByParameter = new(TensorIdentity.Instance);
    }

    /// <summary>
    /// The base of an optimizer that wraps <paramref name="inner"/> (Lookahead, SAM): it shares the inner optimizer's
    /// groups and state, so that schedulers, <see cref="ZeroGrad"/> and the state dict see one optimizer. The wrapper
    /// keeps its own state under names of its own in the same <see cref="ParamState"/>s.
    /// </summary>
    private protected Optimizer(Optimizer inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Groups = inner.Groups;
        StateByParameter = inner.StateByParameter;
        Wrapped = inner;
    }

    /// <summary>The optimizer this one wraps (null for a rule of its own).</summary>
    private protected Optimizer? Wrapped { get; }

    /// <summary>
    /// Puts this wrapper's options record into each group (<paramref name="layerOf"/> group index, at the group's lr; null
    /// for a wrapper without hyperparameters) and its counters (<paramref name="numbersOf"/> group index, at 0), so that
    /// the state dict and schedulers see them. A wrapper's constructor calls it once.
    /// </summary>
    /// <exception cref="ArgumentException">A name is already the group's: the inner optimizer is wrapped by one of this kind.</exception>
    internal void WrapGroups(Func<int, OptimizerOptions?> layerOf, Func<int, IReadOnlyList<string>> numbersOf)
    {
        var layers = Groups.Select((_, i) => layerOf(i)).ToList(); // every layer is built (and may throw) before any group changes
        for (int i = 0; i < Groups.Count; i++) Groups[i].CheckWrap(layers[i], numbersOf(i), "inner");
        for (int i = 0; i < Groups.Count; i++) Groups[i].Wrap(layers[i], numbersOf(i));
    }

    /// <summary>The parameter groups, in order.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => Groups;

    /// <summary>Every parameter of every group, in order (as <c>Module.Parameters()</c> lists a model's).</summary>
    public IEnumerable<Tensor> Parameters() => Groups.SelectMany(g => g.Parameters);

    /// <summary>The state kept for <paramref name="parameter"/>, or null before its first step.</summary>
    public ParamState? StateOf(Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return StateByParameter.GetValueOrDefault(parameter);
    }

    /// <summary>The state of <paramref name="parameter"/>, created empty on first use.</summary>
    private protected ParamState StateFor(Tensor parameter)
    {
        if (!StateByParameter.TryGetValue(parameter, out var state))
        {
            state = new ParamState();
            StateByParameter.Add(parameter, state);
        }
        return state;
    }

    /// <summary>
    /// Re-evaluates the model through <paramref name="closure"/> (which zeroes gradients, computes the loss, calls
    /// Backward and returns the loss) as often as the algorithm needs, updates the parameters, and returns the loss of
    /// the first evaluation (PyTorch's <c>step(closure)</c>). The step hooks run before and after.
    /// </summary>
    public Tensor Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        RunStepPreHooks();
        var loss = StepWith(closure);
        RunStepPostHooks();
        return loss;
    }

    /// <summary>
    /// The algorithm's step through a closure, without the hooks: what <see cref="Step(Func{Tensor})"/> runs between
    /// them. An optimizer that evaluates several points per step (a line search) overrides it.
    /// </summary>
    protected abstract Tensor StepWith(Func<Tensor> closure);

    /// <summary>
    /// Resets every parameter's gradient: to null (the default, as PyTorch 2 does) or to zeros. A row-sparse gradient
    /// (<see cref="Tensor.SparseGrad"/>) becomes null or one with no touched row.
    /// </summary>
    public void ZeroGrad(bool setToNone = true)
    {
        // Indexed loops, not Parameters(): this runs every step, and the enumerators would be allocated each time.
        foreach (var group in Groups)
        {
            var parameters = group.Parameters;
            for (int i = 0; i < parameters.Count; i++)
            {
                var p = parameters[i];
                if (p.SparseGrad is not null) p.SparseGrad = setToNone ? null : RowSparseGrad.Empty(p.ShapeArray, p.DType);
                if (p.Grad is null) continue;
                if (setToNone) p.Grad = null;
                else if (p.Grad.IsLeaf && p.Grad.IsContiguous) p.Grad.Zero_();
                else p.Grad = Tensor.ZerosLike(p);
            }
        }
    }

    /// <summary>Adds a group after checking every parameter: a contiguous floating-point leaf, not already optimised.</summary>
    private protected void AddGroup(IEnumerable<Tensor>? parameters, OptimizerOptions options, string argument)
    {
        var list = parameters?.ToList() ?? throw new ArgumentNullException(argument, "the group's parameters are null");
        if (list.Count == 0) throw new ArgumentException("the optimizer got an empty parameter list", argument);
        var seen = new HashSet<Tensor>(Parameters(), TensorIdentity.Instance);
        for (int i = 0; i < list.Count; i++)
        {
            var p = list[i] ?? throw new ArgumentException($"parameter {i} is null", argument);
            if (!p.IsLeaf) throw new ArgumentException($"parameter {i} is not a leaf tensor (it was computed by {p.GradFnName}); optimizers update leaves only", argument);
            if (!p.DType.IsFloatingPoint()) throw new ArgumentException($"parameter {i} has dtype {p.DType.Name()}; optimizers need float32 or float64", argument);
            if (!p.IsContiguous) throw new ArgumentException($"parameter {i} (shape {Shapes.Format(p.ShapeArray)}) is not contiguous; pass a contiguous tensor", argument);
            if (!seen.Add(p)) throw new ArgumentException($"parameter {i} (shape {Shapes.Format(p.ShapeArray)}) appears more than once in the optimizer's groups", argument);
            CheckParameter(p, i, options, argument);
        }
        options.Validate();
        Groups.Add(new ParamGroup(list, options));
    }

    /// <summary>What this optimizer's rule needs of a parameter beyond the common checks (Muon: a matrix); nothing by default.</summary>
    private protected virtual void CheckParameter(Tensor parameter, int index, OptimizerOptions options, string argument)
    {
    }

    /// <summary>
    /// The shape of the state tensor <paramref name="name"/> of <paramref name="parameter"/>: the parameter's, unless the
    /// rule keeps smaller state (Adafactor's factors). A wrapper asks the optimizer it wraps, whose names these are
    /// (its own buffers have the parameter's shape).
    /// </summary>
    private protected virtual int[] StateShape(string name, Tensor parameter) => Wrapped?.StateShapeOf(name, parameter) ?? parameter.ShapeArray;

    /// <summary>The optimizer at the bottom of a chain of wrappers (this one when it wraps none): the one whose rule updates.</summary>
    internal Optimizer Innermost => Wrapped?.Innermost ?? this;

    /// <summary>True when this optimizer or one it wraps is a <see cref="SkipNonFinite"/>: a non-finite step is then skipped, not fatal.</summary>
    internal bool SkipsNonFiniteSteps => this is SkipNonFinite || (Wrapped?.SkipsNonFiniteSteps ?? false);

    /// <summary><see cref="StateShape"/> of this optimizer, for a wrapper that forwards to it.</summary>
    internal int[] StateShapeOf(string name, Tensor parameter) => StateShape(name, parameter);

    /// <summary>
    /// The optimizer's state as plain data: every group's hyperparameters, every state tensor (copied) and step count,
    /// with parameters numbered across groups in order (PyTorch's <c>state_dict()</c>).
    /// </summary>
    public OptimizerStateDict StateDict()
    {
        Run(_stateDictPreHooks);
        var dict = new OptimizerStateDict();
        int index = 0;
        foreach (var group in Groups)
        {
            var g = new ParamGroupState();
            group.WriteTo(g.Hyperparameters);
            if (group.InitialLr is double initial) g.Hyperparameters["initial_lr"] = initial;
            foreach (var p in group.Parameters)
            {
                if (StateByParameter.TryGetValue(p, out var state)) dict.State[index] = state.Clone();
                g.Params.Add(index++);
            }
            dict.ParamGroups.Add(g);
        }
        return Transform(_stateDictPostHooks, dict);
    }

    /// <summary>
    /// Restores hyperparameters and state from <paramref name="stateDict"/> (from <see cref="StateDict"/> of an optimizer
    /// of the same kind over parameters of the same shapes); the optimizer then continues exactly where that one was.
    /// Everything is checked before anything changes.
    /// </summary>
    /// <exception cref="ArgumentException">The state dict does not fit this optimizer (the optimizer is unchanged).</exception>
    public void LoadStateDict(OptimizerStateDict stateDict) => PrepareLoad(stateDict)();

    /// <summary>
    /// Checks <paramref name="stateDict"/> against this optimizer, changing nothing, and returns what loads it; the load
    /// itself cannot fail. A checkpoint checks every part it holds before it loads any.
    /// </summary>
    internal Action PrepareLoad(OptimizerStateDict stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        stateDict = Transform(_loadStateDictPreHooks, stateDict);
        using var outlivesScopes = TensorScope.Suspend();
        if (stateDict.ParamGroups.Count != Groups.Count)
            throw new ArgumentException($"the state dict has {stateDict.ParamGroups.Count} parameter groups, the optimizer {Groups.Count}", nameof(stateDict));
        var parameters = Parameters().ToList();
        var options = new (OptimizerOptions[] Layers, Dictionary<string, double> Numbers, double? InitialLr)[Groups.Count];
        for (int i = 0, first = 0; i < Groups.Count; first += Groups[i++].Parameters.Count)
        {
            var saved = stateDict.ParamGroups[i];
            if (saved.Params.Count != Groups[i].Parameters.Count)
                throw new ArgumentException($"parameter group {i} of the state dict has {saved.Params.Count} parameters, the optimizer's has {Groups[i].Parameters.Count}", nameof(stateDict));
            // Parameters are numbered across groups in order (StateDict, PyTorch): the state's indices mean nothing otherwise.
            for (int k = 0; k < saved.Params.Count; k++)
                if (saved.Params[k] != first + k)
                    throw new ArgumentException($"parameter group {i} of the state dict lists parameter {saved.Params[k]} in place {k}; parameters are numbered across groups in order, so it must be {first + k}", nameof(stateDict));
            var (layers, numbers) = GroupValuesOf(Groups[i], saved, i);
            options[i] = (layers, numbers, InitialLrOf(saved, i));
        }
        var states = new Dictionary<Tensor, ParamState>(TensorIdentity.Instance);
        foreach (var (index, saved) in stateDict.State)
        {
            if (index < 0 || index >= parameters.Count)
                throw new ArgumentException($"the state dict holds state for parameter {index}, the optimizer has {parameters.Count}", nameof(stateDict));
            var p = parameters[index];
            CheckState(index, saved);
            var state = saved.Clone();
            foreach (var name in state.Tensors.Keys.ToList())
            {
                var t = state.Tensors[name];
                // Every optimizer's state tensors are floating point; an integer one would only fail inside Step.
                if (!t.DType.IsFloatingPoint())
                    throw new ArgumentException($"the state dict's {name} of parameter {index} has dtype {t.DType.Name()}; optimizer state must be float32 or float64", nameof(stateDict));
                if (StateShape(name, p) is var expected && !Shapes.SameShape(t.ShapeArray, expected))
                    throw new ArgumentException($"the state dict's {name} of parameter {index} has shape {Shapes.Format(t.ShapeArray)}, the parameter {Shapes.Format(p.ShapeArray)}"
                        + (ReferenceEquals(expected, p.ShapeArray) ? "" : $" (its {name} must be {Shapes.Format(expected)})"), nameof(stateDict));
                CheckValues(name, index, t);
                if (t.DType != p.DType) state.Tensors[name] = ParamState.CopyOf(t.Detach().To(p.DType));
            }
            states[p] = state;
        }
        return () =>
        {
            for (int i = 0; i < Groups.Count; i++)
            {
                Groups[i].Load(options[i].Layers, options[i].Numbers);
                Groups[i].InitialLr = options[i].InitialLr;
            }
            StateByParameter.Clear();
            foreach (var (p, s) in states) StateByParameter[p] = s;
            Run(_loadStateDictPostHooks);
        };
    }

    /// <summary>
    /// PyTorch's names for state that is a sum, average or maximum of squares or magnitudes (Adam's <c>exp_avg_sq</c>,
    /// Adagrad's <c>sum</c>, Adafactor's <c>row_var</c>…) or a step length (Rprop's <c>step_size</c>): never negative
    /// when an optimizer wrote it, and a negative element's square root would turn the next step into NaN.
    /// </summary>
    private static readonly HashSet<string> NonNegativeState = new(StringComparer.Ordinal)
    {
        "exp_avg_sq", "max_exp_avg_sq", "square_avg", "acc_delta", "sum", "exp_inf", "step_size", "row_var", "col_var", "variance",
    };

    /// <summary>
    /// Throws unless a saved state tensor's elements are finite (and, for <see cref="NonNegativeState"/>, ≥ 0): a state
    /// no step can write would make every later step silently NaN.
    /// </summary>
    private static void CheckValues(string name, int index, Tensor t)
    {
        if (!t.IsAllFinite())
            throw new ArgumentException($"the state dict's {name} of parameter {index} has {t.DescribeNonFinite()}", "stateDict");
        if (NonNegativeState.Contains(name) && t.FirstNegative() is var (at, value))
            throw new ArgumentException($"the state dict's {name} of parameter {index} has {Require.Format(value)} at index {at}; it is never negative", "stateDict");
    }

    /// <summary>A saved group's hyperparameters and counters, checked; a refusal names the group.</summary>
    private static (OptimizerOptions[] Layers, Dictionary<string, double> Numbers) GroupValuesOf(ParamGroup group, ParamGroupState saved, int index)
    {
        try { return group.FromStateValues(saved.Hyperparameters); }
        catch (ArgumentException e) { throw new ArgumentException($"parameter group {index} of the state dict: {Require.MessageOf(e)}", "stateDict", e); }
    }

    /// <summary>The <c>initial_lr</c> a saved group holds (a scheduler's), checked as <see cref="ParamGroup.InitialLr"/> checks it.</summary>
    private static double? InitialLrOf(ParamGroupState saved, int group)
    {
        if (!saved.Hyperparameters.TryGetValue("initial_lr", out var value)) return null;
        double lr = value is double d ? d
            : throw new ArgumentException($"parameter group {group} of the state dict has an initial_lr that is not a number", "stateDict");
        if (!(lr >= 0) || double.IsInfinity(lr))
            throw new ArgumentException($"parameter group {group} of the state dict has initial_lr {Require.Format(lr)}; it must be finite and >= 0", "stateDict");
        return lr;
    }

    /// <summary>
    /// Checks what an optimizer keeps beyond per-parameter tensors of known shape (<see cref="StateShape"/>); throws
    /// <see cref="ArgumentException"/> naming the parameter and the entry. Nothing by default.
    /// </summary>
    private protected virtual void CheckState(int index, ParamState state) => Wrapped?.CheckStateOf(index, state);

    /// <summary><see cref="CheckState"/> of this optimizer, for a wrapper that forwards to it.</summary>
    internal void CheckStateOf(int index, ParamState state) => CheckState(index, state);

    /// <summary>
    /// What puts back the groups' hyperparameters and the per-parameter state as they are now (the state's tensors are
    /// not copied: a load replaces them and never writes into them), for a checkpoint whose later part fails to load.
    /// </summary>
    internal Action Memento()
    {
        var groups = Groups.Select(g => g.Memento()).ToList();
        var states = StateByParameter.ToList();
        return () =>
        {
            foreach (var restore in groups) restore();
            StateByParameter.Clear();
            foreach (var (p, s) in states) StateByParameter[p] = s;
        };
    }
}

/// <summary>
/// An optimizer that steps with the gradients already in each parameter's <see cref="Tensor.Grad"/>: one evaluation of
/// the model per step. Every optimizer but <see cref="LBFGS"/> is one.
/// </summary>
public abstract class FirstOrderOptimizer : Optimizer
{
    private protected FirstOrderOptimizer()
    {
    }

    /// <summary>The base of a first-order optimizer that wraps <paramref name="inner"/>, sharing its groups and state.</summary>
    private protected FirstOrderOptimizer(Optimizer inner) : base(inner)
    {
    }

    /// <summary>
    /// Performs one optimisation step with the gradients in each parameter's <see cref="Tensor.Grad"/>; parameters
    /// whose gradient is null are skipped. The step hooks run before and after.
    /// </summary>
    public void Step()
    {
        RunStepPreHooks();
        UpdateParameters();
        RunStepPostHooks();
    }

    /// <summary>The update from the gradients already computed, without the hooks.</summary>
    private protected abstract void UpdateParameters();

    /// <summary>Evaluates the closure once (with gradients enabled), then updates; returns its loss.</summary>
    protected override Tensor StepWith(Func<Tensor> closure)
    {
        Tensor loss;
        using var outlivesScopes = TensorScope.Suspend();
        using (Autograd.EnableGrad()) loss = closure();
        UpdateParameters();
        return loss;
    }
}

/// <summary>A first-order optimizer whose groups hold options of type <typeparamref name="TOptions"/>.</summary>
public abstract class Optimizer<TOptions> : FirstOrderOptimizer where TOptions : OptimizerOptions
{
    /// <summary>Creates the optimizer over one group of parameters with the given defaults.</summary>
    protected Optimizer(IEnumerable<Tensor> parameters, TOptions defaults)
        : this([new ParamGroupSpec<TOptions>(parameters ?? throw new ArgumentNullException(nameof(parameters)))], defaults)
    {
    }

    /// <summary>Creates the optimizer over several groups, each with the defaults or its own changes to them.</summary>
    protected Optimizer(IEnumerable<ParamGroupSpec<TOptions>> groups, TOptions defaults)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(defaults);
        defaults.Validate();
        Defaults = defaults;
        foreach (var g in groups) AddParamGroup(g);
        if (Groups.Count == 0) throw new ArgumentException("the optimizer got an empty list of parameter groups", nameof(groups));
    }

    /// <summary>The hyperparameters given to the constructor.</summary>
    public TOptions Defaults { get; }

    /// <summary>Adds a group of parameters (PyTorch's <c>add_param_group</c>).</summary>
    public void AddParamGroup(ParamGroupSpec<TOptions> group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (Groups.Count > 0 && (Groups[0].Layers.Count > 1 || Groups[0].Numbers.Count > 0))
            throw new InvalidOperationException($"{GetType().Name} is wrapped (its groups hold {(Groups[0].Layers.Count > 1 ? Groups[0].Options.GetType().Name : "SkipNonFinite's counters")} too): add its groups before wrapping it");
        AddGroup(group.Parameters, group.Configure is null ? Defaults with { } : group.Configure(Defaults with { }), nameof(group));
    }

    /// <summary>
    /// Updates every parameter that has a gradient, group by group, with <see cref="Update"/>; nothing is recorded for
    /// autograd. The fused updates are queued and all run, as one parallel job, before this method returns.
    /// </summary>
    private protected sealed override void UpdateParameters()
    {
        // Every gradient is checked before any parameter changes, so that a bad one leaves the whole step undone.
        for (int gi = 0; gi < Groups.Count; gi++)
        {
            var parameters = Groups[gi].Parameters;
            for (int i = 0; i < parameters.Count; i++)
            {
                var p = parameters[i];
                if (p.SparseGrad is not null && !AcceptsSparseGradients)
                    throw new InvalidOperationException($"{GetType().Name} does not support sparse gradients, please consider SparseAdam instead (parameter {i} of group {gi} has a row-sparse gradient; an Embedding with sparse: false gives a dense one)");
                if (p.Grad is not { } grad) continue;
                if (!Shapes.SameShape(grad.ShapeArray, p.ShapeArray))
                    throw new InvalidOperationException($"the gradient of parameter {i} of group {gi} has shape {Shapes.Format(grad.ShapeArray)}, the parameter {Shapes.Format(p.ShapeArray)}");
                if (grad.DType != p.DType)
                    throw new InvalidOperationException($"the gradient of parameter {i} of group {gi} has dtype {grad.DType.Name()}, the parameter {p.DType.Name()}");
            }
        }
        using var noGrad = Autograd.NoGrad();
        using var outlivesScopes = TensorScope.Suspend(); // optimizer state lives across steps
        BeginStep();
        UpdateEach();
        EndStep();
    }

    /// <summary>
    /// Runs before any parameter of the step is updated, after every gradient was checked: the place for what the whole
    /// step needs first (a global gradient norm). Nothing by default.
    /// </summary>
    private protected virtual void BeginStep()
    {
    }

    /// <summary>
    /// Runs after every <see cref="Update"/> of the step has completed (the fused updates included): the place for a
    /// rule that needs all the parameters' contributions before it can finish (Prodigy's step size). Nothing by default.
    /// </summary>
    private protected virtual void EndStep()
    {
    }

    private void UpdateEach()
    {
        // The fused updates of all the tensors run as one parallel job when the batch ends (each touches its own tensors).
        using var batch = Descent.Kernels.OptimParallel.Batch();
        for (int gi = 0; gi < Groups.Count; gi++)
        {
            var group = Groups[gi];
            var options = (TOptions)group.RuleOptions; // the group's own options, under any wrapper's
            var parameters = group.Parameters;
            for (int i = 0; i < parameters.Count; i++) // not foreach: its enumerator would be allocated every step
            {
                var p = parameters[i];
                if (p.SparseGrad is { } sparse)
                {
                    UpdateSparse(p, sparse, StateFor(p), options);
                    continue;
                }
                var grad = p.Grad;
                if (grad is null) continue;
                if (!grad.IsContiguous) grad = grad.Contiguous();
                Update(p, grad, StateFor(p), options);
            }
        }
    }

    /// <summary>
    /// Applies this optimizer's rule to one parameter: <paramref name="grad"/> has the parameter's shape and dtype and is
    /// contiguous; <paramref name="state"/> is the parameter's state (empty on its first step).
    /// </summary>
    protected abstract void Update(Tensor parameter, Tensor grad, ParamState state, TOptions options);

    /// <summary>Whether <see cref="UpdateSparse"/> takes row-sparse gradients; otherwise a step given one throws before any change.</summary>
    private protected virtual bool AcceptsSparseGradients => false;

    /// <summary>Applies the rule to a parameter whose gradient is row-sparse (only when <see cref="AcceptsSparseGradients"/>).</summary>
    private protected virtual void UpdateSparse(Tensor parameter, RowSparseGrad grad, ParamState state, TOptions options) =>
        throw new InvalidOperationException($"{GetType().Name} does not support sparse gradients");
}
