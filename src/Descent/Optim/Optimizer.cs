namespace Descent.Optim;

/// <summary>
/// The base of every optimizer: parameter groups, gradient reset and the step loop. The typed base
/// <see cref="Optimizer{TOptions}"/> holds the defaults and builds the groups.
/// </summary>
public abstract class Optimizer
{
    private protected readonly List<ParamGroup> Groups = [];

    /// <summary>The parameter groups, in order.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => Groups;

    /// <summary>Every parameter of every group, in order.</summary>
    public IEnumerable<Tensor> Parameters => Groups.SelectMany(g => g.Parameters);

    /// <summary>Performs one optimisation step with the gradients in each parameter's <see cref="Tensor.Grad"/>.</summary>
    public abstract void Step();

    /// <summary>
    /// Re-evaluates the model through <paramref name="closure"/> (which zeroes gradients, computes the loss, calls
    /// Backward and returns the loss), then steps; returns the closure's loss.
    /// </summary>
    public virtual Tensor Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        Tensor loss;
        using (Autograd.EnableGrad()) loss = closure();
        Step();
        return loss;
    }

    /// <summary>Resets every parameter's gradient: to null (the default, as PyTorch 2 does) or to zeros.</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in Parameters)
        {
            if (p.Grad is null) continue;
            if (setToNone) p.Grad = null;
            else p.Grad.Detach().Zero_();
        }
    }
}

/// <summary>An optimizer whose groups hold options of type <typeparamref name="TOptions"/>.</summary>
public abstract class Optimizer<TOptions> : Optimizer where TOptions : OptimizerOptions
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
        var parameters = group.Parameters?.ToList() ?? throw new ArgumentNullException(nameof(group), "the group's parameters are null");
        if (parameters.Count == 0) throw new ArgumentException("the optimizer got an empty parameter list", nameof(group));
        var seen = new HashSet<Tensor>(Parameters, ReferenceEqualityComparer.Instance);
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i] ?? throw new ArgumentException($"parameter {i} is null", nameof(group));
            if (!p.IsLeaf) throw new ArgumentException($"parameter {i} is not a leaf tensor (it was computed by {p.GradFnName}); optimizers update leaves only", nameof(group));
            if (!p.DType.IsFloatingPoint()) throw new ArgumentException($"parameter {i} has dtype {p.DType.Name()}; optimizers need float32 or float64", nameof(group));
            if (!seen.Add(p)) throw new ArgumentException($"parameter {i} (shape {Shapes.Format(p.ShapeArray)}) appears more than once in the optimizer's groups", nameof(group));
        }
        var options = group.Configure is null ? Defaults with { } : group.Configure(Defaults with { });
        options.Validate();
        Groups.Add(new ParamGroup(parameters, options));
    }
}
