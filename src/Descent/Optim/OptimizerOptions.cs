namespace Descent.Optim;

/// <summary>
/// The hyperparameters of one parameter group. Each optimizer has its own record deriving from this one; a scheduler
/// changes <see cref="Lr"/> (and <see cref="Momentum"/>) without knowing which optimizer it drives.
/// </summary>
public abstract record OptimizerOptions
{
    /// <summary>The learning rate α.</summary>
    public double Lr { get; set; }

    /// <summary>
    /// The momentum-like coefficient that cyclic schedules vary: SGD's and RMSprop's <c>momentum</c>, the Adam family's
    /// β₁. Null when the optimizer has none.
    /// </summary>
    public virtual double? Momentum
    {
        get => null;
        set => throw new InvalidOperationException($"{GetType().Name} has no momentum or beta1 to set");
    }

    /// <summary>Throws an argument exception naming the first hyperparameter out of range.</summary>
    public virtual void Validate()
    {
        if (!(Lr >= 0) || double.IsInfinity(Lr)) throw new ArgumentOutOfRangeException(nameof(Lr), Lr, $"lr must be >= 0 and finite, got {Lr}");
    }

    /// <summary>The hyperparameters by PyTorch's names, for state dicts and listings.</summary>
    public virtual IReadOnlyDictionary<string, object> ToDictionary() => new Dictionary<string, object> { ["lr"] = Lr };
}

/// <summary>
/// A group of parameters with hyperparameters of their own: <paramref name="Configure"/> turns the optimizer's defaults
/// into this group's options, e.g. <c>o =&gt; o with { Lr = 0.1 }</c>.
/// </summary>
public sealed record ParamGroupSpec<TOptions>(IEnumerable<Tensor> Parameters, Func<TOptions, TOptions>? Configure = null)
    where TOptions : OptimizerOptions;

/// <summary>A group of parameters that share hyperparameters, as PyTorch's <c>optimizer.param_groups[i]</c>.</summary>
public sealed class ParamGroup
{
    internal ParamGroup(IReadOnlyList<Tensor> parameters, OptimizerOptions options)
    {
        Parameters = parameters;
        Options = options;
    }

    /// <summary>The tensors this group updates.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>This group's hyperparameters (the optimizer's own options record).</summary>
    public OptimizerOptions Options { get; }

    /// <summary>This group's learning rate.</summary>
    public double Lr
    {
        get => Options.Lr;
        set => Options.Lr = value;
    }

    /// <summary>The learning rate a scheduler started from (PyTorch's <c>initial_lr</c>); null until a scheduler sets it.</summary>
    public double? InitialLr { get; set; }
}
