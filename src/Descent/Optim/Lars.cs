using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;
using static Descent.Kernels.VectorFma;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="Lars"/> (timm's defaults).</summary>
public sealed record LarsOptions : OptimizerOptions
{
    /// <summary>Creates LARS options with the learning rate <paramref name="lr"/>.</summary>
    public LarsOptions(double lr = 1.0) => Lr = lr;

    /// <summary>The momentum factor μ (0: none).</summary>
    [Hyperparameter("momentum", Range = HyperparameterRange.NonNegative, Cycled = true)]
    public double Momentum { get; init; }

    /// <summary>The dampening τ of the momentum's new term: b ← μb + (1 − τ)g.</summary>
    [Hyperparameter("dampening", Range = HyperparameterRange.Finite)]
    public double Dampening { get; init; }

    /// <summary>
    /// The L2 penalty λ added to the gradient inside the trust ratio; a group with λ = 0 also skips the trust ratio unless
    /// <see cref="AlwaysAdapt"/>: how biases and norms are excluded.
    /// </summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; }

    /// <summary>Nesterov momentum: step along g + μb instead of b.</summary>
    [Hyperparameter("nesterov")]
    public bool Nesterov { get; init; }

    /// <summary>The trust coefficient η: the fraction of a layer's weight norm one step of γ = 1 may move it.</summary>
    [Hyperparameter("trust_coeff", Range = HyperparameterRange.NonNegative)]
    public double TrustCoeff { get; init; } = 0.001;

    /// <summary>The term ε added to the trust ratio's denominator.</summary>
    [Hyperparameter("eps", Range = HyperparameterRange.NonNegative)]
    public double Eps { get; init; } = 1e-8;

    /// <summary>Clip the trust ratio as LARC does: r ← min(r/γ, 1), so the layer's rate is min(γ, r).</summary>
    [Hyperparameter("trust_clip")]
    public bool TrustClip { get; init; }

    /// <summary>Apply the trust ratio even where the weight decay is 0.</summary>
    [Hyperparameter("always_adapt")]
    public bool AlwaysAdapt { get; init; }

    /// <inheritdoc/>
    protected override void ValidateTogether()
    {
        Require.NesterovMomentum(Nesterov, Momentum, Dampening);
        // η = 0 stops every adapted layer, and with trust clipping at γ = 0 would make the ratio 0/0.
        Require.Positive(TrustCoeff, "trustCoeff");
    }
}

/// <summary>
/// LARS: SGD whose step is rescaled, tensor by tensor, by a trust ratio η‖θ‖ / (‖g‖ + λ‖θ‖ + ε), as timm's <c>Lars</c>
/// computes it, with LARC's clipping as an option (You, Gitman &amp; Ginsburg, 2017, "Large Batch Training of
/// Convolutional Networks"; the reference is huggingface/pytorch-image-models, <c>timm/optim/lars.py</c>, class
/// <c>Lars</c>, v1.0.28, commit 8ef73809, the same file at main, aa4b5850, August 2026).
/// </summary>
/// <remarks>
/// <para>Update rule for each tensor θ, with learning rate γ, momentum μ, dampening τ, weight decay λ, trust coefficient
/// η:</para>
/// <code>
/// g ← ∇f(θ)
/// r ← η‖θ‖ / (‖g‖ + λ‖θ‖ + ε)     (λ ≠ 0 or alwaysAdapt; r = 1 where ‖θ‖ = 0 or ‖g‖ = 0)
/// r ← min(r / γ, 1)               (trustClip: LARC)
/// g ← r(g + λθ)                   (only where adapted)
/// b ← g                           (first step, if μ ≠ 0)
/// b ← μb + (1 − τ)g               (later steps, if μ ≠ 0)
/// g ← g + μb (nesterov)  or  g ← b (μ ≠ 0)
/// θ ← θ − γg
/// </code>
/// <para>Exclusion rule: the trust ratio, and with it the weight decay, applies only where λ ≠ 0 (unless alwaysAdapt),
/// so biases and normalisation weights are excluded by giving them a group of their own with λ = 0, where the step is
/// SGD's. The momentum buffer <c>momentum_buffer</c> starts as the first (scaled) gradient. timm's defaults (λ = 0, no
/// alwaysAdapt) make it plain SGD; the registry's preset turns the trust ratio on (μ = 0.9, λ = 10⁻⁴). Unlike timm, the
/// gradient is left as it is (timm scales <c>p.grad</c> in place), and η must be positive.</para>
/// <para><b>Principle:</b> one global learning rate suits no layer of a deep network when the ratio of gradient to weight
/// norm differs by orders of magnitude between layers; LARS gives each layer its own rate, η‖θ‖/‖g‖, so that a step of
/// γ = 1 moves each layer by the fraction η of its weights, whatever the size of its gradient.</para>
/// <para><b>Strengths:</b> lets ResNet-50 and AlexNet train with batches of 8K-32K images at the accuracy of small
/// batches; stabilises the first steps of large-batch training, where a few layers with large gradients diverge; one
/// buffer with momentum, none without; the trust ratio costs two norms per tensor.</para>
/// <para><b>Weaknesses:</b> needs a warm-up and a decaying schedule as much as SGD does; at small batches it buys little;
/// tensors with zero weights (fresh biases) get the unscaled γ, so they must be excluded or γ kept small; with
/// attention models LAMB usually does better; the exclusion groups must be set up by hand.</para>
/// <para><b>Suits:</b> large-batch training of convolutional networks (ImageNet with batches in the thousands), and
/// self-supervised pre-training (SimCLR, BYOL) that is run with LARS at very large batches.</para>
/// </remarks>
public sealed class Lars : Optimizer<LarsOptions>
{
    /// <summary>Creates LARS over <paramref name="parameters"/> with timm's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ.</param>
    /// <param name="momentum">Momentum factor μ (0: none).</param>
    /// <param name="dampening">Dampening τ for momentum.</param>
    /// <param name="weightDecay">L2 penalty λ; 0 also turns off the trust ratio unless <paramref name="alwaysAdapt"/>.</param>
    /// <param name="nesterov">Use Nesterov momentum (needs μ &gt; 0 and τ = 0).</param>
    /// <param name="trustCoeff">Trust coefficient η.</param>
    /// <param name="eps">Term ε of the trust ratio's denominator.</param>
    /// <param name="trustClip">Clip the trust ratio as LARC does.</param>
    /// <param name="alwaysAdapt">Apply the trust ratio where λ = 0 too.</param>
    public Lars(IEnumerable<Tensor> parameters, double lr = 1.0, double momentum = 0, double dampening = 0, double weightDecay = 0,
        bool nesterov = false, double trustCoeff = 0.001, double eps = 1e-8, bool trustClip = false, bool alwaysAdapt = false)
        : base(parameters, new LarsOptions(lr)
        {
            Momentum = momentum, Dampening = dampening, WeightDecay = weightDecay, Nesterov = nesterov, TrustCoeff = trustCoeff, Eps = eps,
            TrustClip = trustClip, AlwaysAdapt = alwaysAdapt,
        })
    {
    }

    /// <summary>Creates LARS over parameter groups with the given defaults (each group may change them).</summary>
    public Lars(IEnumerable<ParamGroupSpec<LarsOptions>> groups, LarsOptions defaults) : base(groups, defaults)
    {
    }

    /// <summary>The trust ratio from the norms of θ and g, read before any tensor of the step changes; then one fused pass.</summary>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, LarsOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        bool adapt = options.WeightDecay != 0 || options.AlwaysAdapt;
        double r = adapt ? TrustRatio.OfLars(TrustRatio.Norm(parameter), TrustRatio.Norm(grad), options) : 1;
        Tensor? buffer = null;
        bool first = false;
        if (options.Momentum != 0)
        {
            first = !state.Tensors.ContainsKey("momentum_buffer");
            buffer = state.Buffer("momentum_buffer", parameter);
        }
        state.Step++;
        FusedUpdate.Run(parameter, grad, false, new LarsRule<float>(options, adapt, r, first), new LarsRule<double>(options, adapt, r, first), buffer);
    }
}

/// <summary>LARS's part of the trust ratios (the norms and the guard are in Lamb.cs).</summary>
internal static partial class TrustRatio
{
    /// <summary>LARS's η‖θ‖ / (‖g‖ + λ‖θ‖ + ε), guarded, then with trust clipping (LARC) min(r/γ, 1).</summary>
    public static double OfLars(double weightNorm, double gradNorm, LarsOptions o)
    {
        double r = Guarded(weightNorm, gradNorm, o.TrustCoeff * weightNorm / (gradNorm + weightNorm * o.WeightDecay + o.Eps));
        return o.TrustClip ? Math.Min(r / o.Lr, 1) : r;
    }
}

/// <summary>
/// LARS's update of one element, in timm's order; each "x + a·y" of PyTorch's <c>add_</c> with alpha is one fused
/// multiply-add, as in <see cref="SgdRule{T}"/>. State: s0 = momentum_buffer (when μ ≠ 0).
/// </summary>
internal readonly struct LarsRule<T>(LarsOptions o, bool adapt, double ratio, bool firstStep) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _negLr = T.CreateTruncating(-o.Lr), _weightDecay = T.CreateTruncating(o.WeightDecay), _ratio = T.CreateTruncating(ratio);
    private readonly T _momentum = T.CreateTruncating(o.Momentum), _oneMinusDampening = T.CreateTruncating(1 - o.Dampening);
    private readonly bool _hasMomentum = o.Momentum != 0, _nesterov = o.Nesterov;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T b, ref T unused1, ref T unused2)
    {
        if (adapt) g = T.FusedMultiplyAdd(theta, _weightDecay, g) * _ratio;
        if (_hasMomentum)
        {
            b = firstStep ? g : T.FusedMultiplyAdd(g, _oneMinusDampening, b * _momentum);
            g = _nesterov ? T.FusedMultiplyAdd(b, _momentum, g) : b;
        }
        return T.FusedMultiplyAdd(g, _negLr, theta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> b, ref Vector<T> unused1, ref Vector<T> unused2)
    {
        if (adapt) g = Fma(theta, new Vector<T>(_weightDecay), g) * _ratio;
        if (_hasMomentum)
        {
            b = firstStep ? g : Fma(g, new Vector<T>(_oneMinusDampening), b * _momentum);
            g = _nesterov ? Fma(b, new Vector<T>(_momentum), g) : b;
        }
        return Fma(g, new Vector<T>(_negLr), theta);
    }
}
