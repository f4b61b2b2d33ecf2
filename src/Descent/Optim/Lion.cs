using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="Lion"/> (the authors' defaults).</summary>
public sealed record LionOptions : OptimizerOptions
{
    /// <summary>Creates Lion options with the learning rate <paramref name="lr"/>.</summary>
    public LionOptions(double lr = 1e-4) => Lr = lr;

    /// <summary>The rates (β₁, β₂): β₁ interpolates the step's direction, β₂ decays the momentum; β₁ is what schedules cycle as momentum.</summary>
    [Hyperparameter("betas", Range = HyperparameterRange.UnitInterval, Cycled = true, ElementNames = ["beta1", "beta2"])]
    public (double, double) Betas { get; init; } = (0.9, 0.99);

    /// <summary>The decoupled weight decay λ: the weights shrink by the factor 1 − γλ each step.</summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; }

    /// <summary>Maximise the objective instead of minimising it.</summary>
    [Hyperparameter("maximize")]
    public bool Maximize { get; init; }
}

/// <summary>
/// Lion: evolved sign momentum, as the authors' code computes it (Chen et al., 2023, "Symbolic Discovery of Optimization
/// Algorithms").
/// </summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, betas (β₁, β₂), weight decay λ, for t = 1, 2, … (sign(0) = 0):</para>
/// <code>
/// g ← ∇f(θ)                   (−∇f(θ) when maximize)
/// c ← β₁m + (1 − β₁)g
/// θ ← θ(1 − γλ) − γ·sign(c)
/// m ← β₂m + (1 − β₂)g
/// </code>
/// <para>State: the momentum <c>exp_avg</c>. The paper advises a learning rate about 3–10× smaller than AdamW's and a
/// weight decay λ 3–10× larger, so that the decay per step γλ stays about the same.</para>
/// <para><b>Principle:</b> only the sign of an interpolation between the momentum and the gradient is used, so every
/// coordinate moves by exactly γ each step; the momentum itself is updated with a slower rate β₂ than the one used for
/// the step's direction, which keeps a long memory of the gradients while reacting to the current one.</para>
/// <para><b>Strengths:</b> robust and cheap: one state buffer (half of Adam's memory), no square roots or divisions, and
/// a step whose size is bounded by γ whatever the gradient's scale, so outliers and badly scaled gradients cannot cause a
/// huge step.</para>
/// <para><b>Weaknesses:</b> the fixed step size means no fine convergence: near a minimum the iterates oscillate at about
/// γ unless the learning rate is scheduled down; needs a smaller γ and a larger λ than AdamW; the sign discards the
/// gradient's magnitude, which hurts with small batches.</para>
/// <para><b>Suits:</b> training large networks (vision and language transformers, diffusion models) with large batches
/// and a learning-rate schedule, where memory matters.</para>
/// </remarks>
public sealed class Lion : Optimizer<LionOptions>
{
    /// <summary>Creates Lion over <paramref name="parameters"/> with the authors' hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ: each coordinate moves by γ per step.</param>
    /// <param name="betas">Rates (β₁, β₂); default (0.9, 0.99).</param>
    /// <param name="weightDecay">Decoupled weight decay λ.</param>
    /// <param name="maximize">Maximise the objective instead.</param>
    public Lion(IEnumerable<Tensor> parameters, double lr = 1e-4, (double, double)? betas = null, double weightDecay = 0, bool maximize = false)
        : base(parameters, new LionOptions(lr) { Betas = betas ?? (0.9, 0.99), WeightDecay = weightDecay, Maximize = maximize })
    {
    }

    /// <summary>Creates Lion over parameter groups with the given defaults (each group may change them).</summary>
    public Lion(IEnumerable<ParamGroupSpec<LionOptions>> groups, LionOptions defaults) : base(groups, defaults)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, LionOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var m = state.Buffer("exp_avg", parameter);
        state.Step++;
        FusedUpdate.Run(parameter, grad, options.Maximize, new LionRule<float>(options), new LionRule<double>(options), m);
    }
}

/// <summary>Lion's update of one element, in the authors' order. State: s0 = exp_avg.</summary>
internal readonly struct LionRule<T>(LionOptions o) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _decay = T.CreateTruncating(1 - o.Lr * o.WeightDecay), _lr = T.CreateTruncating(o.Lr);
    private readonly T _beta1 = T.CreateTruncating(o.Betas.Item1), _oneMinusBeta1 = T.CreateTruncating(1 - o.Betas.Item1);
    private readonly T _beta2 = T.CreateTruncating(o.Betas.Item2), _oneMinusBeta2 = T.CreateTruncating(1 - o.Betas.Item2);
    private readonly bool _hasWeightDecay = o.WeightDecay != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T m, ref T unused1, ref T unused2)
    {
        T c = m * _beta1 + g * _oneMinusBeta1;
        if (_hasWeightDecay) theta *= _decay;
        m = m * _beta2 + g * _oneMinusBeta2;
        return theta - _lr * Sign(c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> m, ref Vector<T> unused1, ref Vector<T> unused2)
    {
        var c = m * _beta1 + g * _oneMinusBeta1;
        if (_hasWeightDecay) theta *= _decay;
        m = m * _beta2 + g * _oneMinusBeta2;
        return theta - Sign(c) * _lr;
    }

    /// <summary>1, −1 or 0 (0 stays 0, so a zero gradient with zero momentum does not move); NaN stays NaN.</summary>
    private static T Sign(T c) => c > T.Zero ? T.One : c < T.Zero ? T.NegativeOne : c * T.Zero;

    private static Vector<T> Sign(Vector<T> c) =>
        Vector.ConditionalSelect(Vector.GreaterThan(c, Vector<T>.Zero), Vector<T>.One,
            Vector.ConditionalSelect(Vector.LessThan(c, Vector<T>.Zero), -Vector<T>.One, c * Vector<T>.Zero));
}
