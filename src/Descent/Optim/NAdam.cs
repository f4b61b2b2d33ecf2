using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;
using static Descent.Kernels.VectorFma;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="NAdam"/> (PyTorch's defaults).</summary>
public sealed record NAdamOptions : OptimizerOptions
{
    /// <summary>Creates NAdam options with the learning rate <paramref name="lr"/>.</summary>
    public NAdamOptions(double lr = 2e-3) => Lr = lr;

    /// <summary>The decay rates (β₁, β₂); β₁ is what schedules cycle as momentum.</summary>
    [Hyperparameter("betas", Range = HyperparameterRange.UnitInterval, Cycled = true, ElementNames = ["beta1", "beta2"])]
    public (double, double) Betas { get; init; } = (0.9, 0.999);

    /// <summary>The term ε added to the denominator for numerical stability.</summary>
    [Hyperparameter("eps", Range = HyperparameterRange.NonNegative)]
    public double Eps { get; init; } = 1e-8;

    /// <summary>The L2 penalty λ added to the gradient.</summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; }

    /// <summary>The momentum decay ψ of the schedule μₜ = β₁(1 − ½·0.96^(tψ)).</summary>
    [Hyperparameter("momentum_decay", Range = HyperparameterRange.NonNegative)]
    public double MomentumDecay { get; init; } = 4e-3;

    /// <summary>Decouple the weight decay from the gradient: θ ← θ(1 − γλ) before the update instead of adding λθ to the gradient (AdamW's rule).</summary>
    [Hyperparameter("decoupled_weight_decay")]
    public bool DecoupledWeightDecay { get; init; }
}

/// <summary>NAdam: Adam with Nesterov momentum, as <c>torch.optim.NAdam</c> (Dozat, 2016).</summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, betas (β₁, β₂), momentum decay ψ, weight decay λ, for t = 1, 2, …:</para>
/// <code>
/// g ← ∇f(θ) + λθ              (with decoupledWeightDecay: g ← ∇f(θ) and θ ← θ(1 − γλ) instead)
/// μₜ ← β₁(1 − ½·0.96^(tψ));   μₜ₊₁ ← β₁(1 − ½·0.96^((t+1)ψ));   Π ← Π·μₜ
/// m ← m + (1 − β₁)(g − m)      (lerp, as PyTorch 2)
/// v ← β₂v + (1 − β₂)g²
/// d ← √(v / (1 − β₂ᵗ)) + ε
/// θ ← θ − γ(1 − μₜ)/(1 − Π) · g/d − γμₜ₊₁/(1 − Π·μₜ₊₁) · m/d
/// </code>
/// <para>As in PyTorch 2.x: the running product Π is kept in single precision, the momentum term's step size uses
/// Π·μₜ₊₁ (1.13 used Π·μₜ·μₜ₊₁), and m is updated by a lerp.</para>
/// <para><b>Principle:</b> Adam with Nesterov's look-ahead: the step uses the momentum it is about to have
/// (μₜ₊₁·m) plus the current gradient's share, so it corrects course one step earlier.</para>
/// <para><b>Strengths:</b> Adam's robustness with Nesterov's look-ahead, often converging a little faster than Adam.
/// <b>Weaknesses:</b> Adam's memory and generalisation caveats; one more hyperparameter. <b>Suits:</b> the problems Adam
/// suits, especially where momentum matters (ill-conditioned valleys).</para>
/// </remarks>
public sealed class NAdam : Optimizer<NAdamOptions>
{
    /// <summary>Creates NAdam over <paramref name="parameters"/> with PyTorch's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ.</param>
    /// <param name="betas">Decay rates (β₁, β₂); default (0.9, 0.999).</param>
    /// <param name="eps">Denominator term ε.</param>
    /// <param name="weightDecay">L2 penalty λ.</param>
    /// <param name="momentumDecay">Momentum decay ψ.</param>
    /// <param name="decoupledWeightDecay">Decay the weights directly, θ ← θ(1 − γλ), as AdamW does.</param>
    public NAdam(IEnumerable<Tensor> parameters, double lr = 2e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3,
        bool decoupledWeightDecay = false)
        : base(parameters, new NAdamOptions(lr)
        {
            Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, MomentumDecay = momentumDecay, DecoupledWeightDecay = decoupledWeightDecay,
        })
    {
    }

    /// <summary>Creates NAdam over parameter groups; each group may change the defaults.</summary>
    public NAdam(IEnumerable<ParamGroupSpec<NAdamOptions>> groups, double lr = 2e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3,
        bool decoupledWeightDecay = false)
        : base(groups, new NAdamOptions(lr)
        {
            Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, MomentumDecay = momentumDecay, DecoupledWeightDecay = decoupledWeightDecay,
        })
    {
    }

    /// <summary>Creates NAdam over parameter groups with the given defaults (each group may change them).</summary>
    public NAdam(IEnumerable<ParamGroupSpec<NAdamOptions>> groups, NAdamOptions defaults) : base(groups, defaults)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, NAdamOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var m = state.Buffer("exp_avg", parameter);
        var v = state.Buffer("exp_avg_sq", parameter);
        long step = ++state.Step;
        var (beta1, beta2) = options.Betas;
        double bc2 = 1 - Math.Pow(beta2, step);
        double mu = beta1 * (1.0 - 0.5 * Math.Pow(0.96, step * options.MomentumDecay));
        double muNext = beta1 * (1.0 - 0.5 * Math.Pow(0.96, (step + 1) * options.MomentumDecay));
        // PyTorch keeps mu_product in a float32 tensor: every product is rounded to single precision. The next step's
        // product is formed in double from it, as PyTorch 2 does (1.13 multiplied by μₜ a second time).
        float product = (float)state.Numbers.GetValueOrDefault("mu_product", 1.0) * (float)mu;
        double productNext = product * muNext;
        state.Numbers["mu_product"] = product;
        var c = new NadamStep(options, bc2, -options.Lr * (1.0 - mu) / (1.0 - product), -options.Lr * muNext / (1.0 - productNext));
        FusedUpdate.Run(parameter, grad, maximize: false, new NadamRule<float>(c), new NadamRule<double>(c), m, v);
    }
}

/// <summary>NAdam's per-step constants: the second bias correction and the coefficients of g and of m.</summary>
internal readonly record struct NadamStep(NAdamOptions Options, double BiasCorrection2, double GradCoef, double MomentCoef);

/// <summary>NAdam's update of one element, in torch.optim.NAdam's order. State: s0 = exp_avg, s1 = exp_avg_sq.</summary>
internal readonly struct NadamRule<T>(NadamStep c) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly WeightDecay<T> _weightDecay = new(c.Options.Lr, c.Options.WeightDecay, c.Options.DecoupledWeightDecay);
    private readonly T _beta1 = T.CreateTruncating(c.Options.Betas.Item1);
    private readonly T _oneMinusBeta1 = T.CreateTruncating(1 - c.Options.Betas.Item1), _beta2 = T.CreateTruncating(c.Options.Betas.Item2);
    private readonly T _oneMinusBeta2 = T.CreateTruncating(1 - c.Options.Betas.Item2), _bc2 = T.CreateTruncating(c.BiasCorrection2);
    private readonly T _eps = T.CreateTruncating(c.Options.Eps), _gradCoef = T.CreateTruncating(c.GradCoef), _momentCoef = T.CreateTruncating(c.MomentCoef);

    // PyTorch's lerp(m, g, w): m + w·(g − m) for |w| < 0.5, else g − (g − m)·(1 − w), each one fused multiply-add.
    private readonly bool _lerpFromStart = Math.Abs(1 - c.Options.Betas.Item1) < 0.5;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T m, ref T v, ref T unused)
    {
        _weightDecay.Apply(ref theta, ref g);
        m = _lerpFromStart ? T.FusedMultiplyAdd(_oneMinusBeta1, g - m, m) : T.FusedMultiplyAdd(m - g, _beta1, g);
        v = v * _beta2 + g * _oneMinusBeta2 * g;
        T denom = T.Sqrt(v / _bc2) + _eps;
        theta += g * _gradCoef / denom;
        return theta + m * _momentCoef / denom;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> m, ref Vector<T> v, ref Vector<T> unused)
    {
        _weightDecay.Apply(ref theta, ref g);
        m = _lerpFromStart ? Fma(new Vector<T>(_oneMinusBeta1), g - m, m) : Fma(m - g, new Vector<T>(_beta1), g);
        v = v * _beta2 + g * _oneMinusBeta2 * g;
        var denom = Vector.SquareRoot(v / new Vector<T>(_bc2)) + new Vector<T>(_eps);
        theta += g * _gradCoef / denom;
        return theta + m * _momentCoef / denom;
    }
}
