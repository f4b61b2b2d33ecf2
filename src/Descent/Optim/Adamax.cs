using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="Adamax"/> (PyTorch's defaults).</summary>
public sealed record AdamaxOptions : OptimizerOptions
{
    /// <summary>Creates Adamax options with the learning rate <paramref name="lr"/>.</summary>
    public AdamaxOptions(double lr = 2e-3) => Lr = lr;

    /// <summary>The decay rates (β₁, β₂); β₁ is what schedules cycle as momentum.</summary>
    [Hyperparameter("betas", Range = HyperparameterRange.UnitInterval, Cycled = true, ElementNames = ["beta1", "beta2"])]
    public (double, double) Betas { get; init; } = (0.9, 0.999);

    /// <summary>The term ε added to the denominator for numerical stability.</summary>
    [Hyperparameter("eps", Range = HyperparameterRange.NonNegative)]
    public double Eps { get; init; } = 1e-8;

    /// <summary>The L2 penalty λ added to the gradient.</summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; }

    /// <summary>Maximise the objective instead of minimising it.</summary>
    [Hyperparameter("maximize")]
    public bool Maximize { get; init; }
}

/// <summary>Adamax: Adam with the infinity norm in place of the second moment, as <c>torch.optim.Adamax</c> (Kingma &amp; Ba, 2014, §7).</summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, betas (β₁, β₂), weight decay λ, for t = 1, 2, …:</para>
/// <code>
/// g ← ∇f(θ)                    (−∇f(θ) when maximize)
/// g ← g + λθ                   (if λ ≠ 0)
/// m ← β₁m + (1 − β₁)g
/// u ← max(β₂u, |g| + ε)
/// θ ← θ − (γ / (1 − β₁ᵗ)) · m / u
/// </code>
/// <para><b>Principle:</b> replace Adam's root-mean-square of past gradients by their decaying maximum magnitude
/// (the infinity norm), which needs no bias correction and cannot be inflated by one huge gradient for long.</para>
/// <para><b>Strengths:</b> the step is bounded by γ whatever the gradient's scale; more stable than Adam when gradients
/// have rare huge values; needs no bias correction of u. <b>Weaknesses:</b> a single large gradient dominates u for a
/// long time; usually no better than Adam. <b>Suits:</b> embeddings and sparse or heavy-tailed gradients.</para>
/// </remarks>
public sealed class Adamax : Optimizer<AdamaxOptions>
{
    /// <summary>Creates Adamax over <paramref name="parameters"/> with PyTorch's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ.</param>
    /// <param name="betas">Decay rates (β₁, β₂); default (0.9, 0.999).</param>
    /// <param name="eps">Term ε.</param>
    /// <param name="weightDecay">L2 penalty λ.</param>
    /// <param name="maximize">Maximise the objective instead.</param>
    public Adamax(IEnumerable<Tensor> parameters, double lr = 2e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, bool maximize = false)
        : base(parameters, new AdamaxOptions(lr) { Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, Maximize = maximize })
    {
    }

    /// <summary>Creates Adamax over parameter groups; each group may change the defaults.</summary>
    public Adamax(IEnumerable<ParamGroupSpec<AdamaxOptions>> groups, double lr = 2e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, bool maximize = false)
        : base(groups, new AdamaxOptions(lr) { Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, Maximize = maximize })
    {
    }

    /// <summary>Creates Adamax over parameter groups with the given defaults (each group may change them).</summary>
    public Adamax(IEnumerable<ParamGroupSpec<AdamaxOptions>> groups, AdamaxOptions defaults) : base(groups, defaults)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, AdamaxOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var m = state.Buffer("exp_avg", parameter);
        var u = state.Buffer("exp_inf", parameter);
        long step = ++state.Step;
        double clr = options.Lr / (1 - Math.Pow(options.Betas.Item1, step));
        FusedUpdate.Run(parameter, grad, options.Maximize, new AdamaxRule<float>(options, clr), new AdamaxRule<double>(options, clr), m, u);
    }
}

/// <summary>Adamax's update of one element, in torch.optim.Adamax's order. State: s0 = exp_avg, s1 = exp_inf.</summary>
internal readonly struct AdamaxRule<T>(AdamaxOptions o, double clr) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _weightDecay = T.CreateTruncating(o.WeightDecay), _beta1 = T.CreateTruncating(o.Betas.Item1);
    private readonly T _oneMinusBeta1 = T.CreateTruncating(1 - o.Betas.Item1), _beta2 = T.CreateTruncating(o.Betas.Item2);
    private readonly T _eps = T.CreateTruncating(o.Eps), _negClr = T.CreateTruncating(-clr);
    private readonly bool _hasWeightDecay = o.WeightDecay != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T m, ref T u, ref T unused)
    {
        if (_hasWeightDecay) g += theta * _weightDecay;
        m = m * _beta1 + g * _oneMinusBeta1;
        u = T.Max(u * _beta2, T.Abs(g) + _eps);
        return theta + m * _negClr / u;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> m, ref Vector<T> u, ref Vector<T> unused)
    {
        if (_hasWeightDecay) g += theta * _weightDecay;
        m = m * _beta1 + g * _oneMinusBeta1;
        u = Vector.Max(u * _beta2, Vector.Abs(g) + new Vector<T>(_eps));
        return theta + m * _negClr / u;
    }
}
