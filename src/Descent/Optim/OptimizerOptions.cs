using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Descent.Optim;

/// <summary>
/// The hyperparameters of one parameter group. Each optimizer has its own immutable record deriving from this one, whose
/// properties declare themselves with <see cref="HyperparameterAttribute"/> (PyTorch name, valid range): validation,
/// the state dict, the command line and the listings are all read from those declarations. A scheduler changes the
/// learning rate and the momentum through the group (<see cref="ParamGroup.Lr"/>, <see cref="ParamGroup.Momentum"/>),
/// which replaces the group's record with a validated copy.
/// </summary>
/// <remarks>
/// The annotation keeps every derived record's public properties in a trimmed or NativeAOT app, where the declarations
/// are read through <see cref="object.GetType"/>.
/// </remarks>
[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)]
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
    internal static readonly HashSet<string> ImplementationKeys = new(StringComparer.Ordinal) { "initial_lr", "foreach", "fused", "capturable", "differentiable" };

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
            else if (complete && (h.Type.IsEnum || h.IsName || Nullable.GetUnderlyingType(h.Type) is not null)) h.SetFromStateValue(copy, null);
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

/// <summary>
/// A group of parameters that share hyperparameters, as PyTorch's <c>optimizer.param_groups[i]</c>. A group that a wrapper
/// (<see cref="Lookahead"/>, <see cref="SAM"/>) steps holds, as PyTorch's dictionary does, the hyperparameters of every
/// optimizer in the chain: one record per optimizer in <see cref="Layers"/>, and the wrappers' counters in
/// <see cref="Numbers"/>.
/// </summary>
public sealed class ParamGroup
{
    // The rule's options first, then one record per wrapper, innermost to outermost; every record has the same lr.
    private readonly List<OptimizerOptions> _layers;
    private readonly Dictionary<string, double> _numbers = new(StringComparer.Ordinal);

    internal ParamGroup(IReadOnlyList<Tensor> parameters, OptimizerOptions options)
    {
        Parameters = parameters;
        _layers = [options];
    }

    /// <summary>The tensors this group updates.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>
    /// This group's hyperparameters: the outermost optimizer's immutable options record (the optimizer's own, or the
    /// wrapper's when one wraps it, such as <see cref="LookaheadOptions"/>; the others are in <see cref="Layers"/>).
    /// </summary>
    public OptimizerOptions Options => _layers[^1];

    /// <summary>
    /// The options of each optimizer that steps this group: the rule's (the innermost optimizer's) first, then each
    /// wrapper's around it, the outermost last. One record when nothing wraps the optimizer.
    /// </summary>
    public IReadOnlyList<OptimizerOptions> Layers => _layers;

    /// <summary>The rule's options: what the innermost optimizer updates this group with.</summary>
    internal OptimizerOptions RuleOptions => _layers[0];

    /// <summary>
    /// The counters a wrapper keeps for this group (<see cref="Lookahead"/>'s <c>lookahead_step</c>), saved in the state
    /// dict beside the hyperparameters as PyTorch wrappers keep them in the group's dictionary. Empty for an optimizer
    /// that nothing wraps.
    /// </summary>
    public IReadOnlyDictionary<string, double> Numbers => _numbers;

    /// <summary>The counters, for the wrapper that keeps them (setting a counter that exists allocates nothing).</summary>
    internal Dictionary<string, double> MutableNumbers => _numbers;

    /// <summary>
    /// Throws unless a wrapper's options record and counters can be added: their names must be new to the group, since
    /// the state dict holds every optimizer's names in one dictionary, and the record must be valid.
    /// </summary>
    internal void CheckWrap(OptimizerOptions? layer, IReadOnlyList<string> numbers, string argument)
    {
        var names = StateNames().ToHashSet(StringComparer.Ordinal);
        var added = (layer is null ? [] : layer.Hyperparameters().Select(h => h.TorchName).Where(n => n != "lr")).Concat(numbers);
        if (added.FirstOrDefault(names.Contains) is { } taken)
            throw new ArgumentException($"the optimizer to wrap already has '{taken}' in its groups (a wrapper of the same kind wraps it); " +
                "their state dicts could not tell them apart", argument);
        layer?.Validate();
    }

    /// <summary>Adds a wrapper's options record (at this group's lr) and its counters (at 0), as <see cref="CheckWrap"/> allowed.</summary>
    internal void Wrap(OptimizerOptions? layer, IReadOnlyList<string> numbers)
    {
        if (layer is not null) _layers.Add(layer with { Lr = Options.Lr });
        foreach (var n in numbers) _numbers.Add(n, 0);
    }

    /// <summary>Every name this group writes into a state dict: each layer's hyperparameters and the counters.</summary>
    private IEnumerable<string> StateNames() => _layers.SelectMany(l => l.Hyperparameters().Select(h => h.TorchName)).Concat(_numbers.Keys);

    /// <summary>The hyperparameters and counters by name, as a state dict's group holds them (<c>lr</c> once).</summary>
    internal void WriteTo(Dictionary<string, object> values)
    {
        foreach (var layer in _layers)
            foreach (var (name, value) in layer.ToDictionary()) values[name] = value;
        foreach (var (name, value) in _numbers) values[name] = value;
    }

    /// <summary>
    /// The layers and counters a state dict's group gives, each layer from the names it declares (<c>lr</c> to every
    /// one), validated; nothing changes here. A name no layer declares is refused, as by <see cref="OptimizerOptions.WithValues"/>.
    /// </summary>
    internal (OptimizerOptions[] Layers, Dictionary<string, double> Numbers) FromStateValues(IReadOnlyDictionary<string, object> values)
    {
        var numbers = new Dictionary<string, double>(_numbers, StringComparer.Ordinal);
        if (_layers.Count == 1 && numbers.Count == 0)
        {
            var only = _layers[0].FromStateValues(values);
            only.Validate();
            return ([only], numbers);
        }
        var byLayer = _layers.Select(_ => new Dictionary<string, object>(StringComparer.Ordinal)).ToArray();
        foreach (var (name, value) in values)
        {
            if (numbers.ContainsKey(name))
            {
                numbers[name] = CounterOf(name, value);
                continue;
            }
            bool known = OptimizerOptions.ImplementationKeys.Contains(name);
            for (int i = 0; i < _layers.Count; i++)
            {
                if (!_layers[i].Hyperparameters().Any(h => h.TorchName == name)) continue;
                byLayer[i][name] = value;
                known = true;
            }
            if (!known)
                throw new ArgumentException($"{Options.GetType().Name} (over {string.Join(", ", _layers.SkipLast(1).Select(l => l.GetType().Name))}) has no " +
                    $"hyperparameter or counter '{name}'; it has {string.Join(", ", StateNames().Distinct())}", nameof(values));
        }
        var layers = new OptimizerOptions[_layers.Count];
        for (int i = 0; i < layers.Length; i++)
        {
            // A wrapper none of whose names the dict holds (the inner optimizer's own dict) keeps its values but the lr.
            bool saved = i == 0 || byLayer[i].Keys.Any(k => k != "lr");
            layers[i] = saved ? _layers[i].FromStateValues(byLayer[i]) : _layers[i].WithValues(byLayer[i]);
            layers[i].Validate();
        }
        return (layers, numbers);
    }

    /// <summary>A saved counter: a whole number ≥ 0, a double from a file or any integer from code.</summary>
    private static double CounterOf(string name, object? value) =>
        Hyperparameter.AsNumber(value) is double c && Require.IsCount(c) ? c
            : throw new ArgumentException($"counter '{name}' must be a whole number >= 0, got {Hyperparameter.Describe(value)}", "values");

    /// <summary>Replaces the layers and counters with what <see cref="FromStateValues"/> gave.</summary>
    internal void Load(OptimizerOptions[] layers, Dictionary<string, double> numbers)
    {
        SetLayers(layers);
        foreach (var (name, value) in numbers) _numbers[name] = value;
    }

    /// <summary>
    /// This group's learning rate (every layer's); setting it (as schedulers do) checks the new value as the constructors
    /// do, in every layer, before any layer changes. 0 is a rate (it freezes the group).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, NaN or infinite (the group is unchanged).</exception>
    public double Lr
    {
        get => Options.Lr;
        set => SetLayers(WithLr(value));
    }

    /// <summary>
    /// Every layer's options with the learning rate <paramref name="value"/>, each checked; nothing changes here (a
    /// scheduler checks every group's new rate before it writes any, with <see cref="SetLayers"/>).
    /// </summary>
    internal OptimizerOptions[] WithLr(double value)
    {
        var layers = new OptimizerOptions[_layers.Count];
        for (int i = 0; i < layers.Length; i++) layers[i] = _layers[i].WithCheckedLr(value);
        return layers;
    }

    /// <summary>What puts back this group's options, counters and <see cref="InitialLr"/> as they are now.</summary>
    internal Action Memento()
    {
        var layers = _layers.ToArray();
        var numbers = _numbers.ToList();
        double? initialLr = _initialLr;
        return () =>
        {
            SetLayers(layers);
            _numbers.Clear();
            foreach (var (name, value) in numbers) _numbers[name] = value;
            _initialLr = initialLr;
        };
    }

    /// <summary>
    /// Sets group i's learning rate to <paramref name="lrs"/>[i], every rate checked (<see cref="WithLr"/>) before any
    /// group changes, so that one rate out of range leaves every group as it was.
    /// </summary>
    internal static void SetLrs(IReadOnlyList<ParamGroup> groups, IReadOnlyList<double> lrs)
    {
        var layers = new OptimizerOptions[lrs.Count][];
        for (int i = 0; i < lrs.Count; i++) layers[i] = groups[i].WithLr(lrs[i]);
        for (int i = 0; i < lrs.Count; i++) groups[i].SetLayers(layers[i]);
    }

    /// <summary>Replaces every layer's options with already checked ones (<see cref="WithLr"/>, <see cref="FromStateValues"/>).</summary>
    internal void SetLayers(OptimizerOptions[] layers)
    {
        for (int i = 0; i < layers.Length; i++) _layers[i] = layers[i];
    }

    /// <summary>
    /// The coefficient cyclic schedules vary: SGD's and RMSprop's momentum, the Adam family's β₁ (the rule's, when a
    /// wrapper has none); null when the optimizer has none. Setting it validates the new value first.
    /// </summary>
    /// <exception cref="InvalidOperationException">Set on a group whose optimizer has no momentum or β₁.</exception>
    public double? Momentum
    {
        get
        {
            foreach (var layer in _layers)
                if (layer.CycledMomentum is double m) return m;
            return null;
        }
        set
        {
            double v = value ?? throw new ArgumentNullException(nameof(value), "momentum cannot be set to null");
            int i = _layers.FindIndex(l => l.CycledMomentum is not null);
            _layers[Math.Max(i, 0)] = _layers[Math.Max(i, 0)].WithCheckedCycledMomentum(v); // none: the rule's throws, naming it
        }
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
