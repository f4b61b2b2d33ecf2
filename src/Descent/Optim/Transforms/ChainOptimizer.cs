namespace Descent.Optim;

/// <summary>
/// The optimizer of a <see cref="TransformChain"/>, made by <see cref="TransformChain.Create(IEnumerable{Tensor})"/>: one
/// fused pass per parameter and step, by the rule of the named optimizer the chain's scaling lowers to, with the chain's
/// gradient clipping folded into that pass.
/// </summary>
/// <remarks>
/// <para>Its groups hold that named optimizer's options record (<see cref="TransformChain.Defaults"/>: an
/// <see cref="AdamWOptions"/> for <c>ScaleByAdam → AddDecayedWeights → ScaleByLearningRate</c>), so schedulers change
/// <see cref="ParamGroup.Lr"/> and <see cref="ParamGroup.Momentum"/> as they do the named optimizer's, a group may change
/// any of its hyperparameters (<c>o =&gt; o with { WeightDecay = 0 }</c>), and the state dict, with its state tensors under
/// PyTorch's names, is the one the named optimizer writes: each loads into the other.</para>
/// <para>With <see cref="Transforms.ClipByGlobalNorm"/>, the step first computes the 2-norm of all the gradients, as
/// <see cref="GradientClipping.ClipGradNorm"/> does over <see cref="Optimizer.Parameters"/>, and the fused pass multiplies
/// each gradient element by the clip factor as it reads it: the gradients are read, not rewritten, and the result is the
/// bits of <c>GradientClipping.ClipGradNorm(optimizer.Parameters(), maxNorm)</c> followed by the named optimizer's step.
/// (When that norm is infinite or NaN, the gradients are multiplied in place by 0 or NaN, as ClipGradNorm would do.)</para>
/// </remarks>
public sealed class ChainOptimizer : Optimizer<OptimizerOptions>
{
    private readonly ClipByGlobalNormTransform? _clip;
    private double? _clipFactor;

    internal ChainOptimizer(TransformChain chain, IEnumerable<ParamGroupSpec<OptimizerOptions>> groups)
        : base(groups, (chain ?? throw new ArgumentNullException(nameof(chain))).Defaults)
    {
        Chain = chain;
        _clip = chain.Clip;
    }

    /// <summary>The chain this optimizer runs.</summary>
    public TransformChain Chain { get; }

    /// <summary>Every group must hold the chain's options record: its rule is chosen by that record's type.</summary>
    private protected override void CheckParameter(Tensor parameter, int index, OptimizerOptions options, string argument)
    {
        if (index == 0 && options.GetType() != Defaults.GetType())
            throw new ArgumentException($"this chain's groups hold {Defaults.GetType().Name}, but the group's options are {options.GetType().Name}; "
                + "configure a group with o => o with { … }", argument);
    }

    /// <summary>The clip factor of this step, from the norm of every gradient, before any parameter changes.</summary>
    private protected override void BeginStep()
    {
        if (_clip is null) return;
        // ClipGradNorm's own sum, so the factor has its bits, without its list of gradients. A non-finite norm is rare:
        // ClipGradNorm itself then throws (errorIfNonfinite) or scales the gradients in place by 0 or NaN, as it would
        // with the chain's limit too (told double.MaxValue, it changes no gradient whose norm is finite).
        double norm = GradientClipping.GlobalNorm(Groups);
        if (!double.IsFinite(norm)) norm = GradientClipping.ClipGradNorm(Parameters(), double.MaxValue, errorIfNonfinite: _clip.ErrorIfNonfinite);
        _clipFactor = Math.Min(_clip.MaxNorm / (norm + 1e-6), 1.0);
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, OptimizerOptions options) =>
        ChainSteps.Run(parameter, grad, state, options, _clipFactor);
}
