using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="ScheduleFreeSGD"/> (the authors' defaults).</summary>
public sealed record ScheduleFreeSGDOptions : ScheduleFreeOptions
{
    /// <summary>Creates schedule-free SGD options with the learning rate <paramref name="lr"/>.</summary>
    public ScheduleFreeSGDOptions(double lr = 1.0) => Lr = lr;

    /// <summary>
    /// The interpolation β in y = (1 − β)z + βx, the method's momentum, in (0, 1). Not cycled by schedules: x is implied
    /// by y, z and β, so changing β between steps would move it.
    /// </summary>
    [Hyperparameter("momentum", Range = HyperparameterRange.UnitInterval)]
    public double Momentum { get; init; } = 0.9;

    internal override double Beta1 => Momentum;

    /// <inheritdoc/>
    protected override void ValidateTogether()
    {
        if (!(Momentum > 0))
            throw new ArgumentOutOfRangeException("momentum", Momentum, $"momentum must be in (0, 1) for schedule-free SGD, got {Require.Format(Momentum)} (evaluation divides by it)");
        base.ValidateTogether();
    }
}

/// <summary>
/// Schedule-free SGD: SGD on z, evaluated at an average x of the z's and trained at a point y between them, with no
/// learning-rate schedule (Defazio et al., 2024, "The Road Less Scheduled"), as the authors' <c>SGDScheduleFree</c>
/// computes it (facebookresearch/schedule_free, <c>schedulefree/sgd_schedulefree.py</c>, read at commit
/// 70785b5, version 1.4.1).
/// </summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, momentum β, weight decay λ, warm-up W, powers r and p, for the group's
/// k = 0, 1, 2, …; the parameters hold y; z starts at the parameters, γmax at −1, Σw at 0:</para>
/// <code>
/// γₖ ← γ·min(1, (k + 1)/W)                (γ when W = 0)
/// γmax ← max(γmax, γₖ)
/// w ← (k + 1)^r · γmax^p;   Σw ← Σw + w;   c ← w/Σw    (c ← 0 while Σw = 0)
/// g ← ∇f(y)
/// g ← g + λy                              (if λ ≠ 0)
/// y ← lerp(y, z, c) + γₖ(β(1 − c) − 1)·g
/// z ← z − γₖg
/// </code>
/// <para>which is, in the paper's three sequences, z ← z − γₖg, x ← (1 − c)x + cz, y ← (1 − β)z + βx. x is never
/// stored: <see cref="ScheduleFreeOptimizer{TOptions}.Eval"/> computes it in place, p ← lerp(p, z, 1 − 1/β), and
/// <see cref="ScheduleFreeOptimizer{TOptions}.Train"/> goes back, p ← lerp(p, z, 1 − β). A step needs training mode.
/// With r = 0 and no warm-up (or p = 0) every weight is the same, c = 1/(k + 1) and x is the plain mean of the z's;
/// otherwise the weights γmax^p·(k + 1)^r count the steps after warm-up by their rate and, with r &gt; 0, the late ones
/// more. State: <c>z</c>; the group's <c>k</c>, <c>lr_max</c>, <c>weight_sum</c>, <c>train_mode</c> in its first
/// parameter's numbers.</para>
/// <para><b>Principle:</b> momentum replaced by interpolation and averaging: z takes plain SGD steps, x is their
/// running average and the gradient is taken at y, between the two (β = 1 is primal averaging, β = 0 Polyak–Ruppert
/// averaging); the average removes the noise a decaying schedule would, so the rate stays constant after warm-up.</para>
/// <para><b>Strengths:</b> no learning-rate schedule and no training length to fix in advance: x is a good model at any
/// step; as little memory as SGD with momentum (one buffer, z); the paper proves the worst-case optimal rate on convex
/// Lipschitz problems for any β, and in its experiments it matches or beats SGD with a tuned cosine schedule.</para>
/// <para><b>Weaknesses:</b> the parameters hold y while training: call <c>Eval()</c> before evaluating or saving the
/// model, <c>Train()</c> before stepping again; BatchNorm's running statistics were gathered at y and must be
/// recomputed at x (<see cref="Training.SwaUtils.UpdateBn(IEnumerable{Tensor}, NN.Module)"/>); its good rates are
/// 10–50× plain SGD's, it usually wants warm-up, and it is more sensitive to β than SGD is to momentum (0.95–0.98 for
/// long runs); β cannot be cycled by a schedule.</para>
/// <para><b>Suits:</b> the problems SGD with momentum trains well (convolutional networks for vision, convex problems),
/// when the training length is not known in advance or no schedule should be tuned.</para>
/// </remarks>
public sealed class ScheduleFreeSGD : ScheduleFreeOptimizer<ScheduleFreeSGDOptions>
{
    /// <summary>Creates schedule-free SGD over <paramref name="parameters"/> with the authors' hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ (after warm-up).</param>
    /// <param name="momentum">The interpolation β of y between z and x, in (0, 1).</param>
    /// <param name="weightDecay">L2 penalty λ, at y.</param>
    /// <param name="warmupSteps">Steps of linear warm-up of the learning rate.</param>
    /// <param name="r">Power of the polynomial weighting of the average.</param>
    /// <param name="weightLrPower">Power of γmax in the average's weights.</param>
    public ScheduleFreeSGD(IEnumerable<Tensor> parameters, double lr = 1.0, double momentum = 0.9, double weightDecay = 0, int warmupSteps = 0,
        double r = 0, double weightLrPower = 2)
        : base(parameters, new ScheduleFreeSGDOptions(lr) { Momentum = momentum, WeightDecay = weightDecay, WarmupSteps = warmupSteps, R = r, WeightLrPower = weightLrPower })
    {
    }

    /// <summary>Creates schedule-free SGD over parameter groups with the given defaults (each group may change them).</summary>
    public ScheduleFreeSGD(IEnumerable<ParamGroupSpec<ScheduleFreeSGDOptions>> groups, ScheduleFreeSGDOptions defaults) : base(groups, defaults)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, ScheduleFreeSGDOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var z = ScheduleFreeState.Z(state, parameter);
        state.Step++;
        var step = StepOf(parameter);
        FusedUpdate.Run(parameter, grad, maximize: false, new ScheduleFreeSgdRule<float>(options, step), new ScheduleFreeSgdRule<double>(options, step), z);
    }
}

/// <summary>
/// Schedule-free SGD's update of one element, in the reference's order (the loop over parameters of
/// <c>sgd_schedulefree.py</c>). State: s0 = z.
/// </summary>
internal readonly struct ScheduleFreeSgdRule<T>(ScheduleFreeSGDOptions o, ScheduleFreeStep step) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _weightDecay = T.CreateTruncating(o.WeightDecay), _adaptiveYLr = T.CreateTruncating(step.AdaptiveYLr), _lr = T.CreateTruncating(step.Lr);
    private readonly TorchLerpWeight<T> _towardZ = new(step.Ckp1);
    private readonly bool _hasWeightDecay = o.WeightDecay != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T y, T g, ref T z, ref T unused1, ref T unused2)
    {
        if (_hasWeightDecay) g += y * _weightDecay;
        y = _towardZ.Of(y, z) + g * _adaptiveYLr;
        z -= g * _lr;
        return y;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> y, Vector<T> g, ref Vector<T> z, ref Vector<T> unused1, ref Vector<T> unused2)
    {
        if (_hasWeightDecay) g += y * _weightDecay;
        y = _towardZ.Of(y, z) + g * _adaptiveYLr;
        z -= g * _lr;
        return y;
    }
}
