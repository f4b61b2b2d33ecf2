using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="Adam"/> (PyTorch's defaults); <see cref="AdamWOptions"/> derives from it.</summary>
public record AdamOptions : OptimizerOptions
{
    /// <summary>Creates Adam options with the learning rate <paramref name="lr"/>.</summary>
    public AdamOptions(double lr = 1e-3) => Lr = lr;

    /// <summary>The decay rates (β₁, β₂) of the running averages of the gradient and of its square; β₁ is what schedules cycle as momentum.</summary>
    [Hyperparameter("betas", Range = HyperparameterRange.UnitInterval, Cycled = true, ElementNames = ["beta1", "beta2"])]
    public (double, double) Betas { get; init; } = (0.9, 0.999);

    /// <summary>The term ε added to the denominator for numerical stability.</summary>
    [Hyperparameter("eps", Range = HyperparameterRange.NonNegative)]
    public double Eps { get; init; } = 1e-8;

    /// <summary>The weight decay λ: an L2 penalty added to the gradient for Adam, a decoupled decay for AdamW.</summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; }

    /// <summary>Use the AMSGrad variant (the maximum of past second moments in the denominator).</summary>
    [Hyperparameter("amsgrad")]
    public bool AmsGrad { get; init; }

    /// <summary>Maximise the objective instead of minimising it.</summary>
    [Hyperparameter("maximize")]
    public bool Maximize { get; init; }

    /// <summary>
    /// Decouple the weight decay from the gradient: θ ← θ(1 − γλ) before the update instead of adding λθ to the gradient
    /// (AdamW's rule; always on for <see cref="AdamW"/>).
    /// </summary>
    [Hyperparameter("decoupled_weight_decay")]
    public bool DecoupledWeightDecay { get; init; }
}

/// <summary>
/// Adam: adaptive moment estimation, as <c>torch.optim.Adam</c> (Kingma &amp; Ba, 2014; AMSGrad: Reddi et al., 2018).
/// </summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, betas (β₁, β₂), weight decay λ, for t = 1, 2, …:</para>
/// <code>
/// g ← ∇f(θ)                  (−∇f(θ) when maximize)
/// g ← g + λθ                 (if λ ≠ 0; with decoupledWeightDecay: θ ← θ(1 − γλ) instead, AdamW's rule)
/// m ← β₁m + (1 − β₁)g
/// v ← β₂v + (1 − β₂)g²
/// v̂ ← max(v̂, v)              (AMSGrad; then v̂ replaces v below)
/// θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// <para><b>Principle:</b> momentum (the first moment m) combined with RMSprop's per-parameter scaling (the second
/// moment v), both bias-corrected so the first steps are not too small.</para>
/// <para><b>Strengths:</b> works out of the box on most problems with γ = 1e-3; per-parameter step sizes handle badly
/// scaled and sparse gradients; robust to noisy gradients; the step is bounded by about γ.</para>
/// <para><b>Weaknesses:</b> two buffers of memory; can generalise worse than tuned SGD with momentum; L2 weight decay is
/// scaled by the adaptive denominator (use <see cref="AdamW"/> for true decay); may fail to converge on some problems
/// (AMSGrad fixes the known counterexamples).</para>
/// <para><b>Suits:</b> deep networks (transformers, GANs), noisy or sparse gradients, a good first choice when tuning
/// time is short.</para>
/// </remarks>
public class Adam : Optimizer<AdamOptions>
{
    /// <summary>Creates Adam over <paramref name="parameters"/> with PyTorch's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ.</param>
    /// <param name="betas">Decay rates (β₁, β₂); default (0.9, 0.999).</param>
    /// <param name="eps">Denominator term ε.</param>
    /// <param name="weightDecay">L2 penalty λ.</param>
    /// <param name="amsgrad">Use AMSGrad.</param>
    /// <param name="maximize">Maximise the objective instead.</param>
    /// <param name="decoupledWeightDecay">Decay the weights directly, θ ← θ(1 − γλ), as AdamW does.</param>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false, bool maximize = false, bool decoupledWeightDecay = false)
        : base(parameters, new AdamOptions(lr)
        {
            Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, AmsGrad = amsgrad, Maximize = maximize, DecoupledWeightDecay = decoupledWeightDecay,
        })
    {
    }

    /// <summary>Creates Adam over parameter groups; each group may change the defaults, e.g. <c>o =&gt; o with { Lr = 0.1 }</c>.</summary>
    public Adam(IEnumerable<ParamGroupSpec<AdamOptions>> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false, bool maximize = false, bool decoupledWeightDecay = false)
        : base(groups, new AdamOptions(lr)
        {
            Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, AmsGrad = amsgrad, Maximize = maximize, DecoupledWeightDecay = decoupledWeightDecay,
        })
    {
    }

    /// <summary>Creates Adam over parameter groups with the given defaults (each group may change them).</summary>
    public Adam(IEnumerable<ParamGroupSpec<AdamOptions>> groups, AdamOptions defaults) : base(groups, defaults)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, AdamOptions options) =>
        AdamUpdate.Run(parameter, grad, state, options);
}

/// <summary>The step shared by <see cref="Adam"/> and <see cref="AdamW"/>: the buffers and the bias corrections of step t.</summary>
internal static class AdamUpdate
{
    public static void Run(Tensor parameter, Tensor grad, ParamState state, AdamOptions o)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(o);
        var m = state.Buffer("exp_avg", parameter);
        var v = state.Buffer("exp_avg_sq", parameter);
        // As PyTorch, the AMSGrad buffer exists only when the group had amsgrad on at the first step.
        Tensor? vmax = o.AmsGrad ? state.Buffer("max_exp_avg_sq", parameter) : null;
        long t = ++state.Step;
        var step = new AdamStep(o, t);
        FusedUpdate.Run(parameter, grad, o.Maximize, new AdamRule<float>(step), new AdamRule<double>(step), m, v, vmax);
    }
}

/// <summary>The per-step constants of Adam and AdamW, in double precision.</summary>
internal readonly record struct AdamStep(AdamOptions Options, double StepSize, double BiasCorrection2Sqrt)
{
    public AdamStep(AdamOptions o, long t)
        : this(o, o.Lr / (1 - Math.Pow(o.Betas.Item1, t)), Math.Sqrt(1 - Math.Pow(o.Betas.Item2, t)))
    {
    }
}

/// <summary>
/// Adam's and AdamW's update of one element, in torch.optim.Adam's order. State: s0 = exp_avg, s1 = exp_avg_sq,
/// s2 = max_exp_avg_sq (AMSGrad).
/// </summary>
internal readonly struct AdamRule<T>(AdamStep c) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly WeightDecay<T> _weightDecay = new(c.Options.Lr, c.Options.WeightDecay, c.Options.DecoupledWeightDecay);
    private readonly T _beta1 = T.CreateTruncating(c.Options.Betas.Item1), _oneMinusBeta1 = T.CreateTruncating(1 - c.Options.Betas.Item1);
    private readonly T _beta2 = T.CreateTruncating(c.Options.Betas.Item2), _oneMinusBeta2 = T.CreateTruncating(1 - c.Options.Betas.Item2);
    private readonly T _bc2Sqrt = T.CreateTruncating(c.BiasCorrection2Sqrt), _eps = T.CreateTruncating(c.Options.Eps), _negStepSize = T.CreateTruncating(-c.StepSize);
    private readonly bool _amsgrad = c.Options.AmsGrad;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T m, ref T v, ref T vmax)
    {
        _weightDecay.Apply(ref theta, ref g);
        m = m * _beta1 + g * _oneMinusBeta1;
        v = v * _beta2 + g * _oneMinusBeta2 * g;
        T second = v;
        if (_amsgrad) second = vmax = T.Max(vmax, v);
        return theta + m * _negStepSize / (T.Sqrt(second) / _bc2Sqrt + _eps);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> m, ref Vector<T> v, ref Vector<T> vmax)
    {
        _weightDecay.Apply(ref theta, ref g);
        m = m * _beta1 + g * _oneMinusBeta1;
        v = v * _beta2 + g * _oneMinusBeta2 * g;
        var second = v;
        if (_amsgrad) second = vmax = Vector.Max(vmax, v);
        return theta + m * _negStepSize / (Vector.SquareRoot(second) / new Vector<T>(_bc2Sqrt) + new Vector<T>(_eps));
    }
}

/// <summary>
/// The weight decay λ of the Adam family (Adam, AdamW, NAdam, RAdam), applied first in each element's update as PyTorch
/// does: an L2 penalty added to the gradient, g ← g + λθ, or, decoupled, θ ← θ(1 − γλ) (AdamW's rule).
/// </summary>
internal readonly struct WeightDecay<T>(double lr, double weightDecay, bool decoupled) where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _lambda = T.CreateTruncating(weightDecay), _decoupledScale = T.CreateTruncating(1 - lr * weightDecay);
    private readonly bool _coupled = weightDecay != 0 && !decoupled, _decoupled = weightDecay != 0 && decoupled;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply(ref T theta, ref T g)
    {
        if (_decoupled) theta *= _decoupledScale;
        else if (_coupled) g += theta * _lambda;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply(ref Vector<T> theta, ref Vector<T> g)
    {
        if (_decoupled) theta *= _decoupledScale;
        else if (_coupled) g += theta * _lambda;
    }
}
