namespace Descent.Optim;

/// <summary>
/// Transforms applied one after the other to the gradient, as <c>optax.chain</c>: made by <see cref="Transforms.Chain"/>
/// (or a preset such as <see cref="Transforms.AdamW"/>), checked when made, and turned into an optimizer by
/// <see cref="Create(IEnumerable{Tensor})"/>. A chain is itself a transform: a chain inside a chain is spliced in.
/// </summary>
/// <remarks>
/// A chain is not interpreted link by link: it is lowered, once, onto the named optimizer whose update it is
/// (<see cref="Defaults"/>), and its optimizer runs that optimizer's fused rule, with the clip factor folded in. That is
/// why a chain equal to Adam, AdamW, SGD, RMSprop or Lion steps to the same bits as the named optimizer, in one pass over
/// each parameter, and why chains that stand for no such update are refused when made (docs/transforms.md).
/// </remarks>
public sealed class TransformChain : Transform
{
    internal TransformChain(IReadOnlyList<Transform> sequence)
    {
        Sequence = sequence;
        (Clip, Defaults) = ChainLowering.Lower(sequence);
        Defaults.Validate(); // the rules that tie hyperparameters together (AdamW's decoupled decay…), as the named optimizer checks them
    }

    /// <summary>The transforms, in the order they apply, nested chains spliced in.</summary>
    public IReadOnlyList<Transform> Sequence { get; }

    /// <summary>
    /// The options record of the named optimizer this chain lowers to, with the chain's hyperparameters: what the
    /// optimizer's groups start from. <c>Transforms.AdamW(1e-3).Defaults</c> equals <c>new AdamW(ps, lr: 1e-3).Defaults</c>.
    /// </summary>
    public OptimizerOptions Defaults { get; }

    /// <summary>The chain's clipping, if any.</summary>
    internal ClipByGlobalNormTransform? Clip { get; }

    internal override string Name => "Chain";

    private protected override string Arguments => string.Join(", ", Sequence);

    /// <summary>An optimizer over <paramref name="parameters"/> that runs this chain.</summary>
    public ChainOptimizer Create(IEnumerable<Tensor> parameters) =>
        new(this, [new ParamGroupSpec<OptimizerOptions>(parameters ?? throw new ArgumentNullException(nameof(parameters)))]);

    /// <summary>
    /// An optimizer over parameter groups, each of which may change this chain's hyperparameters, e.g.
    /// <c>chain.Create&lt;AdamOptions&gt;([new(decayed), new(biases, o =&gt; o with { WeightDecay = 0 })])</c>.
    /// <typeparamref name="TOptions"/> is <see cref="Defaults"/>' type or one it derives from.
    /// </summary>
    /// <exception cref="ArgumentException"><typeparamref name="TOptions"/> is not a type of <see cref="Defaults"/>, or a group is invalid.</exception>
    public ChainOptimizer Create<TOptions>(IEnumerable<ParamGroupSpec<TOptions>> groups) where TOptions : OptimizerOptions
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (Defaults is not TOptions)
            throw new ArgumentException($"this chain's groups hold {Defaults.GetType().Name}, which a ParamGroupSpec<{typeof(TOptions).Name}> cannot configure", nameof(groups));
        return new(this, [.. groups.Select(g => Untyped(g ?? throw new ArgumentException("a group is null", nameof(groups))))]);
    }

    private static ParamGroupSpec<OptimizerOptions> Untyped<TOptions>(ParamGroupSpec<TOptions> group) where TOptions : OptimizerOptions =>
        new(group.Parameters, group.Configure is { } configure ? o => configure((TOptions)o) : null);
}
