namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="AdamW"/>: Adam's, with weight decay 0.01 by default.</summary>
public sealed record AdamWOptions : AdamOptions
{
    /// <summary>Creates AdamW options with the learning rate <paramref name="lr"/>.</summary>
    public AdamWOptions(double lr = 1e-3) : base(lr)
    {
        WeightDecay = 1e-2;
        DecoupledWeightDecay = true;
    }

    /// <inheritdoc/>
    protected override void ValidateTogether()
    {
        base.ValidateTogether();
        if (!DecoupledWeightDecay)
            throw new ArgumentException("AdamW's weight decay is always decoupled (decoupledWeightDecay must be true); use Adam for an L2 penalty on the gradient", "decoupledWeightDecay");
    }
}

/// <summary>
/// AdamW: Adam with decoupled weight decay, as <c>torch.optim.AdamW</c> (Loshchilov &amp; Hutter, 2017).
/// </summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, betas (β₁, β₂), weight decay λ, for t = 1, 2, …:</para>
/// <code>
/// g ← ∇f(θ)                  (−∇f(θ) when maximize)
/// θ ← θ(1 − γλ)
/// m ← β₁m + (1 − β₁)g
/// v ← β₂v + (1 − β₂)g²
/// v̂ ← max(v̂, v)              (AMSGrad; then v̂ replaces v below)
/// θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// <para><b>Principle:</b> Adam whose weight decay shrinks the weights directly, θ ← θ(1 − γλ), instead of being
/// added to the gradient, where Adam's adaptive denominator would scale it differently for every weight.</para>
/// <para><b>Strengths:</b> Adam's robustness, with weight decay that shrinks every weight at the same rate instead of
/// being divided by the adaptive denominator, so regularisation and learning rate tune independently; the default for
/// training transformers. <b>Weaknesses:</b> Adam's memory (two buffers) and its occasional generalisation gap.
/// <b>Suits:</b> large networks that need regularisation, fine-tuning, anything trained with Adam and weight decay.</para>
/// </remarks>
public sealed class AdamW : Optimizer<AdamWOptions>
{
    /// <summary>Creates AdamW over <paramref name="parameters"/> with PyTorch's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ.</param>
    /// <param name="betas">Decay rates (β₁, β₂); default (0.9, 0.999).</param>
    /// <param name="eps">Denominator term ε.</param>
    /// <param name="weightDecay">Decoupled weight decay λ.</param>
    /// <param name="amsgrad">Use AMSGrad.</param>
    /// <param name="maximize">Maximise the objective instead.</param>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
        double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(parameters, new AdamWOptions(lr) { Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, AmsGrad = amsgrad, Maximize = maximize })
    {
    }

    /// <summary>Creates AdamW over parameter groups; each group may change the defaults.</summary>
    public AdamW(IEnumerable<ParamGroupSpec<AdamWOptions>> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
        double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(groups, new AdamWOptions(lr) { Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, AmsGrad = amsgrad, Maximize = maximize })
    {
    }

    /// <summary>Creates AdamW over parameter groups with the given defaults (each group may change them).</summary>
    public AdamW(IEnumerable<ParamGroupSpec<AdamWOptions>> groups, AdamWOptions defaults) : base(groups, defaults)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, AdamWOptions options) =>
        AdamUpdate.Run(parameter, grad, state, options);
}
