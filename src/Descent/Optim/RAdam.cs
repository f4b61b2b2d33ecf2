using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="RAdam"/> (PyTorch's defaults).</summary>
public sealed record RAdamOptions : OptimizerOptions
{
    /// <summary>Creates RAdam options with the learning rate <paramref name="lr"/>.</summary>
    public RAdamOptions(double lr = 1e-3) => Lr = lr;

    /// <summary>The decay rates (β₁, β₂); β₁ is what schedules cycle as momentum.</summary>
    [Hyperparameter("betas", Range = HyperparameterRange.UnitInterval, Cycled = true, ElementNames = ["beta1", "beta2"])]
    public (double, double) Betas { get; init; } = (0.9, 0.999);

    /// <summary>The term ε added to the denominator for numerical stability.</summary>
    [Hyperparameter("eps", Range = HyperparameterRange.NonNegative)]
    public double Eps { get; init; } = 1e-8;

    /// <summary>The L2 penalty λ added to the gradient.</summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; }

    /// <summary>Decouple the weight decay from the gradient: θ ← θ(1 − γλ) before the update instead of adding λθ to the gradient (AdamW's rule).</summary>
    [Hyperparameter("decoupled_weight_decay")]
    public bool DecoupledWeightDecay { get; init; }
}

/// <summary>RAdam: Adam with a rectified adaptive learning rate, as <c>torch.optim.RAdam</c> (Liu et al., 2019).</summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, betas (β₁, β₂), weight decay λ, for t = 1, 2, …:</para>
/// <code>
/// g ← ∇f(θ) + λθ              (with decoupledWeightDecay: g ← ∇f(θ) and θ ← θ(1 − γλ) instead)
/// m ← β₁m + (1 − β₁)g;   v ← β₂v + (1 − β₂)g²;   m̂ ← m / (1 − β₁ᵗ)
/// ρ∞ ← 2/(1 − β₂) − 1;   ρₜ ← ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ)
/// if ρₜ &gt; 5:  r ← √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ));  θ ← θ − γ m̂ · √(1 − β₂ᵗ)/(√v + ε) · r
/// else:       θ ← θ − γ m̂
/// </code>
/// <para><b>Principle:</b> early on, the second-moment estimate has a huge variance; RAdam takes plain momentum steps
/// until it is reliable and then scales the adaptive step by the rectification r.</para>
/// <para><b>Strengths:</b> removes the need for a learning-rate warm-up; less sensitive to γ than Adam.
/// <b>Weaknesses:</b> Adam's memory; the momentum-only first steps can be large if γ is. <b>Suits:</b> training that
/// would otherwise need warm-up (transformers, large batches).</para>
/// </remarks>
public sealed class RAdam : Optimizer<RAdamOptions>
{
    /// <summary>Creates RAdam over <paramref name="parameters"/> with PyTorch's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ.</param>
    /// <param name="betas">Decay rates (β₁, β₂); default (0.9, 0.999).</param>
    /// <param name="eps">Denominator term ε.</param>
    /// <param name="weightDecay">L2 penalty λ.</param>
    /// <param name="decoupledWeightDecay">Decay the weights directly, θ ← θ(1 − γλ), as AdamW does.</param>
    public RAdam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0,
        bool decoupledWeightDecay = false)
        : base(parameters, new RAdamOptions(lr) { Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, DecoupledWeightDecay = decoupledWeightDecay })
    {
    }

    /// <summary>Creates RAdam over parameter groups; each group may change the defaults.</summary>
    public RAdam(IEnumerable<ParamGroupSpec<RAdamOptions>> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0,
        bool decoupledWeightDecay = false)
        : base(groups, new RAdamOptions(lr) { Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, DecoupledWeightDecay = decoupledWeightDecay })
    {
    }

    /// <summary>Creates RAdam over parameter groups with the given defaults (each group may change them).</summary>
    public RAdam(IEnumerable<ParamGroupSpec<RAdamOptions>> groups, RAdamOptions defaults) : base(groups, defaults)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, RAdamOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var m = state.Buffer("exp_avg", parameter);
        var v = state.Buffer("exp_avg_sq", parameter);
        long step = ++state.Step;
        var (beta1, beta2) = options.Betas;
        double bc1 = 1 - Math.Pow(beta1, step);
        double bc2 = 1 - Math.Pow(beta2, step);
        double rhoInf = 2 / (1 - beta2) - 1;
        double rhoT = rhoInf - 2 * step * Math.Pow(beta2, step) / bc2;
        bool rectified = rhoT > 5.0;
        double rect = rectified ? Math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 1;
        var c = new RadamStep(options, bc1, Math.Sqrt(bc2), rect, rectified);
        FusedUpdate.Run(parameter, grad, maximize: false, new RadamRule<float>(c), new RadamRule<double>(c), m, v);
    }
}

/// <summary>RAdam's per-step constants: bias corrections and, once the variance is tractable, the rectification r.</summary>
internal readonly record struct RadamStep(RAdamOptions Options, double BiasCorrection1, double BiasCorrection2Sqrt, double Rect, bool Rectified);

/// <summary>RAdam's update of one element, in torch.optim.RAdam's order. State: s0 = exp_avg, s1 = exp_avg_sq.</summary>
internal readonly struct RadamRule<T>(RadamStep c) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly WeightDecay<T> _weightDecay = new(c.Options.Lr, c.Options.WeightDecay, c.Options.DecoupledWeightDecay);
    private readonly T _beta1 = T.CreateTruncating(c.Options.Betas.Item1);
    private readonly T _oneMinusBeta1 = T.CreateTruncating(1 - c.Options.Betas.Item1), _beta2 = T.CreateTruncating(c.Options.Betas.Item2);
    private readonly T _oneMinusBeta2 = T.CreateTruncating(1 - c.Options.Betas.Item2), _bc1 = T.CreateTruncating(c.BiasCorrection1);
    private readonly T _bc2Sqrt = T.CreateTruncating(c.BiasCorrection2Sqrt), _eps = T.CreateTruncating(c.Options.Eps);
    private readonly T _lr = T.CreateTruncating(c.Options.Lr), _rect = T.CreateTruncating(c.Rect);
    private readonly bool _rectified = c.Rectified;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T m, ref T v, ref T unused)
    {
        _weightDecay.Apply(ref theta, ref g);
        m = m * _beta1 + g * _oneMinusBeta1;
        v = v * _beta2 + g * _oneMinusBeta2 * g;
        T update = m / _bc1 * _lr;
        if (_rectified) update = update * (T.One / (T.Sqrt(v) + _eps) * _bc2Sqrt) * _rect;
        return theta - update;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> m, ref Vector<T> v, ref Vector<T> unused)
    {
        _weightDecay.Apply(ref theta, ref g);
        m = m * _beta1 + g * _oneMinusBeta1;
        v = v * _beta2 + g * _oneMinusBeta2 * g;
        var update = m / new Vector<T>(_bc1) * _lr;
        if (_rectified) update = update * (Vector<T>.One / (Vector.SquareRoot(v) + new Vector<T>(_eps)) * _bc2Sqrt) * _rect;
        return theta - update;
    }
}
