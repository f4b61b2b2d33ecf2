namespace Descent.Optim;

/// <summary>A configuration an optimizer must refuse, with the argument and a part of the message it must give.</summary>
/// <param name="Options">The options (out of range, or a forbidden combination).</param>
/// <param name="Argument">The argument the exception must name (<see cref="ArgumentException.ParamName"/>).</param>
/// <param name="Message">Text the message must contain.</param>
public sealed record InvalidConfiguration(OptimizerOptions Options, string Argument, string Message);

/// <summary>
/// One optimizer as everything outside its own file sees it: the command line, the lab, the benchmarks, the colours and
/// the generic tests read these entries from <see cref="OptimizerRegistry"/> and nothing else.
/// </summary>
public abstract class OptimizerInfo
{
    private readonly Lazy<OptimizerNotes> _notes;

    private protected OptimizerInfo(string name, string title, Type type, string? torchName, string color, int bytesPerParameter)
    {
        Name = name;
        Title = title;
        OptimizerType = type;
        TorchName = torchName;
        Color = color;
        BytesPerParameter = bytesPerParameter;
        _notes = new Lazy<OptimizerNotes>(() => OptimizerNotes.Of(type));
    }

    /// <summary>The name on the command line (<c>adam</c>, <c>gd</c>).</summary>
    public string Name { get; }

    /// <summary>The name a reader sees (<c>Adam</c>, <c>Gradient descent</c>).</summary>
    public string Title { get; }

    /// <summary>The class whose documentation gives the teaching notes (<see cref="Momentum"/> for momentum).</summary>
    public Type OptimizerType { get; }

    /// <summary>PyTorch's class name when <see cref="Defaults"/> are PyTorch's for that class, else null.</summary>
    public string? TorchName { get; }

    /// <summary>The colour of this optimizer in every chart and table, as <c>#RRGGBB</c>.</summary>
    public string Color { get; }

    /// <summary>The bytes one float32 step must move per parameter: parameter read and written, gradient read, each state buffer read and written (0 when not elementwise).</summary>
    public int BytesPerParameter { get; }

    /// <summary>True when the step is one fused elementwise pass (the fused driver), false for whole-tensor rules (L-BFGS).</summary>
    public bool IsElementwise => BytesPerParameter > 0;

    /// <summary>
    /// True when the rule is defined on matrices (Muon): a single vector, such as a test function's point, is given to
    /// it as a 1×n row matrix (<c>Minimizer.StartFor</c> does so); a model's other tensors go to
    /// the optimizer the entry pairs it with.
    /// </summary>
    public bool MatricesOnly { get; internal init; }

    /// <summary>
    /// True when a step chooses its own length and runs many iterations (L-BFGS's line search): the lab and the tests run
    /// it at its preset rate for fewer steps instead of searching a learning rate.
    /// </summary>
    public bool ChoosesStepLength { get; internal init; }

    /// <summary>True when a step re-evaluates the model through a closure (L-BFGS, SAM).</summary>
    public bool NeedsClosure => !typeof(FirstOrderOptimizer).IsAssignableFrom(OptimizerType);

    /// <summary>The options <c>new X(parameters)</c> uses: PyTorch's defaults (a learning rate where PyTorch requires one).</summary>
    public abstract OptimizerOptions Defaults { get; }

    /// <summary>The options the command line and the lab start from: the defaults with this entry's changes (momentum 0.9 for <c>momentum</c>).</summary>
    public abstract OptimizerOptions Preset { get; }

    /// <summary>The declared hyperparameters, <c>lr</c> first.</summary>
    public IReadOnlyList<Hyperparameter> Hyperparameters => Defaults.Hyperparameters();

    /// <summary>Configurations that turn on most of the options, which every generic test runs.</summary>
    public abstract IReadOnlyList<OptimizerOptions> ValidConfigurations { get; }

    /// <summary>Configurations the constructor must refuse, with the error each must give.</summary>
    public abstract IReadOnlyList<InvalidConfiguration> InvalidConfigurations { get; }

    /// <summary>Principle, update rule, strengths, weaknesses and what it suits, read from the class's documentation.</summary>
    public OptimizerNotes Notes => _notes.Value;

    /// <summary>Builds the optimizer over one group of <paramref name="parameters"/> with <paramref name="options"/> (default: <see cref="Preset"/>).</summary>
    /// <exception cref="ArgumentException">The options are of another optimizer, or out of range.</exception>
    public Optimizer Create(IEnumerable<Tensor> parameters, OptimizerOptions? options = null) =>
        Create([(parameters, null)], options ?? Preset);

    /// <summary>
    /// Builds the optimizer over groups: each group's values (PyTorch's names, may be null) change <paramref name="options"/>
    /// for that group, as PyTorch's per-group dictionaries do.
    /// </summary>
    public abstract Optimizer Create(IEnumerable<(IEnumerable<Tensor> Parameters, IReadOnlyDictionary<string, object>? Values)> groups, OptimizerOptions options);

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>An entry whose optimizer holds options of type <typeparamref name="TOptions"/>.</summary>
internal sealed class OptimizerInfo<TOptions> : OptimizerInfo where TOptions : OptimizerOptions
{
    private readonly Func<IReadOnlyList<ParamGroupSpec<TOptions>>, TOptions, Optimizer> _create;
    private readonly TOptions _defaults, _preset;

    public OptimizerInfo(string name, string title, Type type, string? torchName, string color, int bytesPerParameter, TOptions defaults,
        Func<TOptions, TOptions>? preset, Func<IReadOnlyList<ParamGroupSpec<TOptions>>, TOptions, Optimizer> create,
        IEnumerable<Func<TOptions, TOptions>> valid, IEnumerable<(Func<TOptions, TOptions> Options, string Argument, string Message)> invalid)
        : base(name, title, type, torchName, color, bytesPerParameter)
    {
        _defaults = defaults;
        _preset = preset is null ? defaults : preset(defaults);
        _create = create;
        ValidConfigurations = [.. valid.Select(v => (OptimizerOptions)v(_preset))];
        InvalidConfigurations = [.. invalid.Select(i => new InvalidConfiguration(i.Options(_preset), i.Argument, i.Message))];
    }

    public override OptimizerOptions Defaults => _defaults;

    public override OptimizerOptions Preset => _preset;

    public override IReadOnlyList<OptimizerOptions> ValidConfigurations { get; }

    public override IReadOnlyList<InvalidConfiguration> InvalidConfigurations { get; }

    public override Optimizer Create(IEnumerable<(IEnumerable<Tensor> Parameters, IReadOnlyDictionary<string, object>? Values)> groups, OptimizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (options is not TOptions typed)
            throw new ArgumentException($"{Name} takes {typeof(TOptions).Name}, got {options?.GetType().Name ?? "null"}", nameof(options));
        var specs = groups.Select(g => new ParamGroupSpec<TOptions>(g.Parameters,
            g.Values is null ? null : o => (TOptions)o.WithValues(g.Values))).ToList();
        return _create(specs, typed);
    }
}
