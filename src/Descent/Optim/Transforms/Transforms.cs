namespace Descent.Optim;

/// <summary>
/// Optimizers built from gradient transformations, in Optax's way, each one fused pass over each parameter:
/// <code>
/// var optimizer = Transforms.Chain(
///     Transforms.ClipByGlobalNorm(1.0),
///     Transforms.ScaleByAdam(),
///     Transforms.AddDecayedWeights(0.01),
///     Transforms.ScaleByLearningRate(1e-3)).Create(model.Parameters());
/// </code>
/// The named optimizers are presets (<see cref="AdamW"/> is the chain above without the clip) and a chain equal to one
/// steps to its exact bits. See docs/transforms.md for which chains there are and why they stay exact and fused.
/// </summary>
public static class Transforms
{
    private static readonly ScaleBySignTransform SignTransform = new();

    /// <summary>
    /// The transforms one after the other (a chain among them is spliced in), checked now: a chain that stands for no
    /// fused update (two learning rates, none, Adam twice, a clip after the scaling…) throws, saying why.
    /// </summary>
    /// <exception cref="ArgumentException">The chain is not one of the shapes in <see cref="TransformChain"/>'s remarks, or a transform is null.</exception>
    public static TransformChain Chain(params Transform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        var flat = new List<Transform>();
        for (int i = 0; i < transforms.Length; i++)
        {
            switch (transforms[i])
            {
                case null: throw new ArgumentException($"transforms[{i}] is null", nameof(transforms));
                case TransformChain inner: flat.AddRange(inner.Sequence); break;
                case var t: flat.Add(t); break;
            }
        }
        return new TransformChain(flat);
    }

    /// <summary>
    /// Scales every gradient by min(1, maxNorm / (‖g‖ + 1e-6)), ‖g‖ the 2-norm of all the optimizer's gradients together
    /// (<see cref="GradientClipping.ClipGradNorm"/>'s rule); only first in a chain, where it sees the gradients themselves.
    /// </summary>
    /// <param name="maxNorm">The largest total norm let through.</param>
    /// <param name="errorIfNonfinite">Throw, before any parameter changes, when the total norm is NaN or infinite.</param>
    public static Transform ClipByGlobalNorm(double maxNorm, bool errorIfNonfinite = false)
    {
        Require.NonNegative(maxNorm, nameof(maxNorm));
        return new ClipByGlobalNormTransform(maxNorm, errorIfNonfinite);
    }

    /// <summary>
    /// Adds λθ to the update. Before the scaling it is an L2 penalty added to the gradient (g ← g + λθ, Adam's and SGD's
    /// <c>weight_decay</c>); right before <see cref="ScaleByLearningRate"/> it is a decoupled decay, θ ← θ(1 − γλ) (AdamW's,
    /// Lion's).
    /// </summary>
    /// <param name="weightDecay">The weight decay λ.</param>
    public static Transform AddDecayedWeights(double weightDecay)
    {
        Require.NonNegative(weightDecay, nameof(weightDecay));
        return new AddDecayedWeightsTransform(weightDecay);
    }

    /// <summary>
    /// Momentum, as SGD keeps it: b ← g at the first step, then b ← μb + (1 − τ)g; the update becomes b, or g + μb with
    /// Nesterov. On the gradient it is SGD's momentum, before <see cref="ScaleBySign"/> Signum's, after
    /// <see cref="ScaleByRms"/> RMSprop's (no dampening or Nesterov there).
    /// </summary>
    /// <param name="momentum">The momentum factor μ.</param>
    /// <param name="dampening">The dampening τ.</param>
    /// <param name="nesterov">Nesterov's form (needs μ &gt; 0 and τ = 0).</param>
    public static Transform Trace(double momentum, double dampening = 0, bool nesterov = false)
    {
        new SGDOptions(0) { Momentum = momentum, Dampening = dampening, Nesterov = nesterov }.Validate();
        return new TraceTransform(momentum, dampening, nesterov);
    }

    /// <summary>
    /// Adam's scaling: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², the update (m / (1 − β₁ᵗ)) / (√v / √(1 − β₂ᵗ) + ε)
    /// (AMSGrad: the largest v so far).
    /// </summary>
    /// <param name="betas">The decay rates (β₁, β₂); default (0.9, 0.999).</param>
    /// <param name="eps">The denominator term ε.</param>
    /// <param name="amsgrad">Use AMSGrad.</param>
    public static Transform ScaleByAdam((double, double)? betas = null, double eps = 1e-8, bool amsgrad = false)
    {
        var b = betas ?? (0.9, 0.999);
        new AdamOptions { Betas = b, Eps = eps }.Validate();
        return new ScaleByAdamTransform(b, eps, amsgrad);
    }

    /// <summary>RMSprop's scaling: v ← αv + (1 − α)g², the update g / (√v + ε) (centred: √(v − ḡ²), ḡ the running mean).</summary>
    /// <param name="alpha">The smoothing constant α.</param>
    /// <param name="eps">The denominator term ε.</param>
    /// <param name="centered">Normalise by the variance's estimate instead of the second moment.</param>
    public static Transform ScaleByRms(double alpha = 0.99, double eps = 1e-8, bool centered = false)
    {
        new RMSpropOptions { Alpha = alpha, Eps = eps }.Validate();
        return new ScaleByRmsTransform(alpha, eps, centered);
    }

    /// <summary>Lion's scaling: the update sign(β₁m + (1 − β₁)g), then m ← β₂m + (1 − β₂)g.</summary>
    /// <param name="betas">The rates (β₁, β₂); default (0.9, 0.99).</param>
    public static Transform ScaleByLion((double, double)? betas = null)
    {
        var b = betas ?? (0.9, 0.99);
        new LionOptions { Betas = b }.Validate();
        return new ScaleByLionTransform(b);
    }

    /// <summary>The sign of the update: 1, −1, or 0 for 0 (signSGD; after <see cref="Trace"/>, Signum).</summary>
    public static Transform ScaleBySign() => SignTransform;

    /// <summary>
    /// The step: −γ times the update, the chain's last transform. With <paramref name="maximize"/> the chain ascends, as
    /// PyTorch's <c>maximize</c>: the gradient is negated as it enters the chain, so a weight decay still shrinks.
    /// </summary>
    /// <param name="lr">The learning rate γ.</param>
    /// <param name="maximize">Maximise the objective instead.</param>
    public static Transform ScaleByLearningRate(double lr, bool maximize = false)
    {
        Require.NonNegative(lr, nameof(lr));
        return new ScaleByLearningRateTransform(lr, maximize);
    }

    /// <summary><see cref="Descent.Optim.SGD"/> as a chain: [AddDecayedWeights(λ)] [Trace(μ, τ, nesterov)] ScaleByLearningRate(γ).</summary>
    public static TransformChain SGD(double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false) =>
        Chain([
            .. Optional(weightDecay != 0, () => AddDecayedWeights(weightDecay)),
            .. Optional(momentum != 0 || dampening != 0 || nesterov, () => Trace(momentum, dampening, nesterov)),
            ScaleByLearningRate(lr, maximize),
        ]);

    /// <summary><see cref="Descent.Optim.Adam"/> as a chain: [AddDecayedWeights(λ)] ScaleByAdam ScaleByLearningRate(γ), λ an L2 penalty.</summary>
    public static TransformChain Adam(double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false) =>
        Chain([
            .. Optional(weightDecay != 0, () => AddDecayedWeights(weightDecay)),
            ScaleByAdam(betas, eps, amsgrad),
            ScaleByLearningRate(lr, maximize),
        ]);

    /// <summary><see cref="Descent.Optim.AdamW"/> as a chain: ScaleByAdam AddDecayedWeights(λ) ScaleByLearningRate(γ), λ decoupled.</summary>
    public static TransformChain AdamW(double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false) =>
        Chain(ScaleByAdam(betas, eps, amsgrad), AddDecayedWeights(weightDecay), ScaleByLearningRate(lr, maximize));

    /// <summary><see cref="Descent.Optim.RMSprop"/> as a chain: [AddDecayedWeights(λ)] ScaleByRms [Trace(μ)] ScaleByLearningRate(γ).</summary>
    public static TransformChain RMSprop(double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0,
        bool centered = false, bool maximize = false) =>
        Chain([
            .. Optional(weightDecay != 0, () => AddDecayedWeights(weightDecay)),
            ScaleByRms(alpha, eps, centered),
            .. Optional(momentum != 0, () => Trace(momentum)),
            ScaleByLearningRate(lr, maximize),
        ]);

    /// <summary><see cref="Descent.Optim.Lion"/> as a chain: ScaleByLion [AddDecayedWeights(λ)] ScaleByLearningRate(γ), λ decoupled.</summary>
    public static TransformChain Lion(double lr = 1e-4, (double, double)? betas = null, double weightDecay = 0, bool maximize = false) =>
        Chain([
            ScaleByLion(betas),
            .. Optional(weightDecay != 0, () => AddDecayedWeights(weightDecay)),
            ScaleByLearningRate(lr, maximize),
        ]);

    private static Transform[] Optional(bool present, Func<Transform> make) => present ? [make()] : [];
}
