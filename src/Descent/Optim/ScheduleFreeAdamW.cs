using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="ScheduleFreeAdamW"/> (the authors' defaults).</summary>
public sealed record ScheduleFreeAdamWOptions : ScheduleFreeOptions
{
    /// <summary>Creates schedule-free AdamW options with the learning rate <paramref name="lr"/>.</summary>
    public ScheduleFreeAdamWOptions(double lr = 0.0025) => Lr = lr;

    /// <summary>
    /// (β₁, β₂): β₁ interpolates y = (1 − β₁)z + β₁x (it must be &gt; 0: evaluation divides by it), β₂ decays the second
    /// moment. Not cycled by schedules: x is implied by y, z and β₁, so changing β₁ between steps would move it.
    /// </summary>
    [Hyperparameter("betas", Range = HyperparameterRange.UnitInterval, ElementNames = ["beta1", "beta2"])]
    public (double, double) Betas { get; init; } = (0.9, 0.999);

    /// <summary>The term ε added to the denominator, outside the square root.</summary>
    [Hyperparameter("eps", Range = HyperparameterRange.NonNegative)]
    public double Eps { get; init; } = 1e-8;

    internal override double Beta1 => Betas.Item1;

    /// <inheritdoc/>
    protected override void ValidateTogether()
    {
        if (!(Betas.Item1 > 0))
            throw new ArgumentOutOfRangeException("betas", Betas, $"betas[0] must be in (0, 1) for schedule-free AdamW, got {Require.Format(Betas.Item1)} (evaluation divides by it)");
        base.ValidateTogether();
    }
}

/// <summary>
/// Schedule-free AdamW: AdamW's normalised step on z, evaluated at an average x of the z's and trained at a point y
/// between them, with no learning-rate schedule (Defazio et al., 2024, "The Road Less Scheduled"), as the authors'
/// <c>AdamWScheduleFree</c> computes it (facebookresearch/schedule_free, <c>schedulefree/adamw_schedulefree.py</c>, the
/// rule of version 1.3 onwards, read at commit 70785b5, without the optional <c>inner_momentum</c>, 0 by default there).
/// </summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, betas (β₁, β₂), ε, weight decay λ, warm-up W, powers r and p, for the
/// group's k = 0, 1, 2, …; the parameters hold y; z starts at the parameters, v at 0, γmax at −1, Σw at 0:</para>
/// <code>
/// γₖ ← γ·min(1, (k + 1)/W)                (γ when W = 0)
/// γmax ← max(γmax, γₖ)
/// w ← (k + 1)^r · γmax^p;   Σw ← Σw + w;   c ← w/Σw    (c ← 0 while Σw = 0)
/// g ← ∇f(y)
/// v ← β₂v + (1 − β₂)g²
/// ĝ ← g / (√(v / (1 − β₂^(k+1))) + ε)
/// ĝ ← ĝ + λy                              (weight decay at y, if λ ≠ 0)
/// y ← lerp(y, z, c) + γₖ(β₁(1 − c) − 1)·ĝ
/// z ← z − γₖĝ
/// </code>
/// <para>which is, in the paper's three sequences, z ← z − γₖĝ, x ← (1 − c)x + cz, y ← (1 − β₁)z + β₁x. x is never
/// stored: <see cref="ScheduleFreeOptimizer{TOptions}.Eval"/> computes it in place, p ← lerp(p, z, 1 − 1/β₁), and
/// <see cref="ScheduleFreeOptimizer{TOptions}.Train"/> goes back, p ← lerp(p, z, 1 − β₁). A step needs training mode.
/// The weights γmax^p·(k + 1)^r count the steps after warm-up by their rate and, with r &gt; 0, the late ones more.
/// State: <c>z</c>, <c>exp_avg_sq</c>; the group's <c>k</c>, <c>lr_max</c>, <c>weight_sum</c>, <c>train_mode</c> in its
/// first parameter's numbers. Before version 1.3 the reference multiplied γₖ by √(1 − β₂^(k+1)) instead (so that it
/// also entered γmax and the weights); this follows the current rule.</para>
/// <para><b>Principle:</b> averaging the iterates of a constant-rate method removes the noise a decaying schedule would
/// otherwise remove, and taking the gradient at y, between the average x and the fast iterate z, gives the momentum;
/// so the only schedule left is the warm-up.</para>
/// <para><b>Strengths:</b> no learning-rate schedule, and no training length to fix in advance: x is a good model at any
/// step, and training can go on; matches or beats cosine-scheduled AdamW in the authors' benchmarks (it won the
/// AlgoPerf self-tuning track); the same memory as AdamW (z replaces the momentum buffer).</para>
/// <para><b>Weaknesses:</b> the parameters hold y while training: call <c>Eval()</c> before evaluating or saving the
/// model, <c>Train()</c> before stepping again; BatchNorm's running statistics were gathered at y and must be
/// recomputed at x (<see cref="Training.SwaUtils.UpdateBn(IEnumerable{Tensor}, NN.Module)"/>) before evaluating; works
/// best with a learning rate 1–10× AdamW's and some warm-up, and is more sensitive to β₁ than AdamW (0.95–0.98 for
/// long runs); β₁ cannot be cycled by a schedule.</para>
/// <para><b>Suits:</b> training runs whose length is not known in advance or that should be extendable, and any AdamW
/// workload where tuning a schedule costs more than it brings (transformers, vision, recommendation).</para>
/// </remarks>
public sealed class ScheduleFreeAdamW : ScheduleFreeOptimizer<ScheduleFreeAdamWOptions>
{
    /// <summary>Creates schedule-free AdamW over <paramref name="parameters"/> with the authors' hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ (after warm-up).</param>
    /// <param name="betas">(β₁, β₂); default (0.9, 0.999).</param>
    /// <param name="eps">Term added to the denominator.</param>
    /// <param name="weightDecay">Weight decay λ, at y.</param>
    /// <param name="warmupSteps">Steps of linear warm-up of the learning rate.</param>
    /// <param name="r">Power of the polynomial weighting of the average.</param>
    /// <param name="weightLrPower">Power of γmax in the average's weights.</param>
    public ScheduleFreeAdamW(IEnumerable<Tensor> parameters, double lr = 0.0025, (double, double)? betas = null, double eps = 1e-8,
        double weightDecay = 0, int warmupSteps = 0, double r = 0, double weightLrPower = 2)
        : base(parameters, new ScheduleFreeAdamWOptions(lr)
        {
            Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, WarmupSteps = warmupSteps, R = r, WeightLrPower = weightLrPower,
        })
    {
    }

    /// <summary>Creates schedule-free AdamW over parameter groups with the given defaults (each group may change them).</summary>
    public ScheduleFreeAdamW(IEnumerable<ParamGroupSpec<ScheduleFreeAdamWOptions>> groups, ScheduleFreeAdamWOptions defaults) : base(groups, defaults)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, ScheduleFreeAdamWOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var z = ScheduleFreeState.Z(state, parameter);
        var v = state.Buffer("exp_avg_sq", parameter);
        state.Step++;
        var step = StepOf(parameter);
        FusedUpdate.Run(parameter, grad, maximize: false, new ScheduleFreeAdamWRule<float>(options, step), new ScheduleFreeAdamWRule<double>(options, step), z, v);
    }
}

/// <summary>The state every schedule-free optimizer keeps for a parameter.</summary>
internal static class ScheduleFreeState
{
    /// <summary>The base iterate <c>z</c>, a copy of the parameter at its first step.</summary>
    public static Tensor Z(ParamState state, Tensor parameter)
    {
        if (state.Tensors.TryGetValue("z", out var z)) return z;
        z = state.Buffer("z", parameter);
        parameter.CopyInto(z);
        return z;
    }
}

/// <summary>
/// Schedule-free AdamW's update of one element, in the reference's order (the loop over parameters of
/// <c>adamw_schedulefree.py</c>). State: s0 = z, s1 = exp_avg_sq.
/// </summary>
internal readonly struct ScheduleFreeAdamWRule<T> : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _beta2, _oneMinusBeta2, _biasCorrection2, _eps, _weightDecay, _adaptiveYLr, _lr;
    private readonly TorchLerpWeight<T> _towardZ;
    private readonly bool _hasWeightDecay;

    public ScheduleFreeAdamWRule(ScheduleFreeAdamWOptions o, ScheduleFreeStep step)
    {
        _beta2 = T.CreateTruncating(o.Betas.Item2);
        _oneMinusBeta2 = T.CreateTruncating(1 - o.Betas.Item2);
        _biasCorrection2 = T.CreateTruncating(1 - Math.Pow(o.Betas.Item2, step.K + 1));
        _eps = T.CreateTruncating(o.Eps);
        _weightDecay = T.CreateTruncating(o.WeightDecay);
        _hasWeightDecay = o.WeightDecay != 0;
        _towardZ = new TorchLerpWeight<T>(step.Ckp1);
        _adaptiveYLr = T.CreateTruncating(step.AdaptiveYLr);
        _lr = T.CreateTruncating(step.Lr);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T y, T g, ref T z, ref T v, ref T unused)
    {
        v = v * _beta2 + g * _oneMinusBeta2 * g;
        T normalised = g / (T.Sqrt(v / _biasCorrection2) + _eps);
        if (_hasWeightDecay) normalised += y * _weightDecay;
        y = _towardZ.Of(y, z) + normalised * _adaptiveYLr;
        z -= normalised * _lr;
        return y;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> y, Vector<T> g, ref Vector<T> z, ref Vector<T> v, ref Vector<T> unused)
    {
        v = v * _beta2 + g * _oneMinusBeta2 * g;
        var normalised = g / (Vector.SquareRoot(v / new Vector<T>(_biasCorrection2)) + new Vector<T>(_eps));
        if (_hasWeightDecay) normalised += y * _weightDecay;
        y = _towardZ.Of(y, z) + normalised * _adaptiveYLr;
        z -= normalised * _lr;
        return y;
    }
}
