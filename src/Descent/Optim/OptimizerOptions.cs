namespace Descent.Optim;

/// <summary>
/// The hyperparameters of one parameter group. Each optimizer has its own immutable record deriving from this one, whose
/// properties declare themselves with <see cref="HyperparameterAttribute"/> (PyTorch name, valid range): validation,
/// the state dict, the command line and the listings are all read from those declarations. A scheduler changes the
/// learning rate and the momentum through the group (<see cref="ParamGroup.Lr"/>, <see cref="ParamGroup.Momentum"/>),
/// which replaces the group's record with a validated copy.
/// </summary>
public abstract record OptimizerOptions
{
    /// <summary>The learning rate α.</summary>
    [Hyperparameter("lr", Range = HyperparameterRange.NonNegative)]
    public double Lr { get; init; }

    /// <summary>The declared hyperparameters, <c>lr</c> first (a method, so that a record's printout lists the values only).</summary>
    public IReadOnlyList<Hyperparameter> Hyperparameters() => Hyperparameter.Of(GetType());

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the first hyperparameter out of its range, or a combination that is
    /// not allowed (<see cref="ValidateTogether"/>).
    /// </summary>
    public void Validate()
    {
        foreach (var h in Hyperparameters()) h.Check(this);
        ValidateTogether();
    }

    /// <summary>Rules that tie several hyperparameters together (Nesterov needs momentum); none by default.</summary>
    protected virtual void ValidateTogether()
    {
    }

    /// <summary>The hyperparameters by PyTorch's names, for state dicts and listings (a choice that is "none" is absent).</summary>
    public IReadOnlyDictionary<string, object> ToDictionary()
    {
        var d = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var h in Hyperparameters())
            if (h.ToStateValue(this) is { } v) d[h.TorchName] = v;
        return d;
    }

    /// <summary>
    /// A copy with the values of <paramref name="values"/> (PyTorch's names, as <see cref="ToDictionary"/> writes them);
    /// names it does not hold keep their current value. Not validated: call <see cref="Validate"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A name this optimizer does not have, or a value of the wrong kind.</exception>
    public OptimizerOptions WithValues(IReadOnlyDictionary<string, object> values) => With(values, complete: false);

    /// <summary>
    /// A copy with the values of a state dict's group: as <see cref="WithValues"/>, except that a choice or an optional
    /// number it lacks is "none", since <see cref="ToDictionary"/> leaves those out.
    /// </summary>
    internal OptimizerOptions FromStateValues(IReadOnlyDictionary<string, object> values) => With(values, complete: true);

    /// <summary>
    /// Keys of PyTorch's parameter groups that choose an implementation, not a result (<c>foreach</c>, <c>fused</c>…):
    /// a state dict exported from PyTorch has them, and they change nothing here.
    /// </summary>
    private static readonly HashSet<string> ImplementationKeys = new(StringComparer.Ordinal) { "initial_lr", "foreach", "fused", "capturable", "differentiable" };

    private OptimizerOptions With(IReadOnlyDictionary<string, object> values, bool complete)
    {
        ArgumentNullException.ThrowIfNull(values);
        var known = Hyperparameters().ToDictionary(h => h.TorchName, StringComparer.Ordinal);
        foreach (var name in values.Keys)
            if (!ImplementationKeys.Contains(name) && !known.ContainsKey(name))
                throw new ArgumentException($"{GetType().Name} has no hyperparameter '{name}'; it has {string.Join(", ", known.Keys)}", nameof(values));
        var copy = this with { };
        foreach (var h in known.Values)
        {
            if (values.TryGetValue(h.TorchName, out var value)) h.SetFromStateValue(copy, value);
            else if (complete && (h.Type.IsEnum || Nullable.GetUnderlyingType(h.Type) is not null)) h.SetFromStateValue(copy, null);
        }
        return copy;
    }

    /// <summary>The coefficient cyclic schedules vary (momentum or β₁), or null when the optimizer has none.</summary>
    internal double? CycledMomentum => Hyperparameters().FirstOrDefault(h => h.Cycled) is { } h && h.NumbersIn(this) is [var first, ..] ? first : null;

    /// <summary>A copy with the learning rate set to <paramref name="value"/>, which is checked (the rest was already).</summary>
    internal OptimizerOptions WithCheckedLr(double value)
    {
        var copy = this with { Lr = value };
        copy.Revalidate(Hyperparameters()[0]); // lr: declared on this base, so listed first
        return copy;
    }

    /// <summary>A copy with the cycled coefficient set to <paramref name="value"/>, which is checked (the rest was already).</summary>
    internal OptimizerOptions WithCheckedCycledMomentum(double value)
    {
        var h = Hyperparameters().FirstOrDefault(x => x.Cycled)
            ?? throw new InvalidOperationException($"{GetType().Name} has no momentum or beta1 to set");
        var copy = this with { };
        h.SetNumber(copy, value);
        copy.Revalidate(h);
        return copy;
    }

    /// <summary>Checks one changed hyperparameter and the rules that tie it to the others: what a scheduler's change needs, and no more.</summary>
    private void Revalidate(Hyperparameter changed)
    {
        changed.Check(this);
        ValidateTogether();
    }
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

    /// <summary>This group's hyperparameters (the optimizer's own immutable options record).</summary>
    public OptimizerOptions Options { get; internal set; }

    /// <summary>This group's learning rate; setting it (as schedulers do) validates the new value first.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, NaN or infinite.</exception>
    public double Lr
    {
        get => Options.Lr;
        set => Options = Options.WithCheckedLr(value);
    }

    /// <summary>
    /// The coefficient cyclic schedules vary: SGD's and RMSprop's momentum, the Adam family's β₁; null when the optimizer
    /// has none. Setting it validates the new value first.
    /// </summary>
    /// <exception cref="InvalidOperationException">Set on a group whose optimizer has no momentum or β₁.</exception>
    public double? Momentum
    {
        get => Options.CycledMomentum;
        set => Options = Options.WithCheckedCycledMomentum(value ?? throw new ArgumentNullException(nameof(value), "momentum cannot be set to null"));
    }

    /// <summary>The learning rate a scheduler started from (PyTorch's <c>initial_lr</c>); null until a scheduler sets it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, NaN or infinite.</exception>
    public double? InitialLr
    {
        get => _initialLr;
        set
        {
            if (value is { } v) Require.NonNegative(v, "initialLr");
            _initialLr = value;
        }
    }

    private double? _initialLr;
}
