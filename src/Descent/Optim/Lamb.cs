using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;
using static Descent.Kernels.VectorFma;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="Lamb"/> (timm's defaults).</summary>
public sealed record LambOptions : OptimizerOptions
{
    /// <summary>Creates LAMB options with the learning rate <paramref name="lr"/>.</summary>
    public LambOptions(double lr = 1e-3) => Lr = lr;

    /// <summary>Divide the moments by 1 − β₁ᵗ and 1 − β₂ᵗ, t being the group's step count.</summary>
    [Hyperparameter("bias_correction")]
    public bool BiasCorrection { get; init; } = true;

    /// <summary>The decay rates (β₁, β₂) of the running averages of the gradient and of its square; β₁ is what schedules cycle as momentum.</summary>
    [Hyperparameter("betas", Range = HyperparameterRange.UnitInterval, Cycled = true, ElementNames = ["beta1", "beta2"])]
    public (double, double) Betas { get; init; } = (0.9, 0.999);

    /// <summary>The term ε added to the denominator for numerical stability.</summary>
    [Hyperparameter("eps", Range = HyperparameterRange.NonNegative)]
    public double Eps { get; init; } = 1e-6;

    /// <summary>
    /// The weight decay λ, added to the update (or, with <see cref="DecoupledDecay"/>, taken from the weights); a group
    /// with λ = 0 also skips the trust ratio unless <see cref="AlwaysAdapt"/>: how biases and norms are excluded.
    /// </summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Weigh the new gradient by 1 − β₁ in the first moment (else by 1).</summary>
    [Hyperparameter("grad_averaging")]
    public bool GradAveraging { get; init; } = true;

    /// <summary>
    /// The largest norm of all the gradients together: above it every gradient is divided by norm / maxGradNorm before
    /// the step (none: no clipping). The optimizer's value; a group cannot have its own.
    /// </summary>
    [Hyperparameter("max_grad_norm", Range = HyperparameterRange.NonNegative)]
    public double? MaxGradNorm { get; init; } = 1.0;

    /// <summary>Cap the trust ratio at 1 (LAMBC).</summary>
    [Hyperparameter("trust_clip")]
    public bool TrustClip { get; init; }

    /// <summary>Apply the trust ratio even where the weight decay is 0.</summary>
    [Hyperparameter("always_adapt")]
    public bool AlwaysAdapt { get; init; }

    /// <summary>Decay the weights before the update, θ ← θ − γλθ, instead of adding λθ to the update.</summary>
    [Hyperparameter("decoupled_decay")]
    public bool DecoupledDecay { get; init; }

    /// <summary>With <see cref="DecoupledDecay"/>, decay by γ²/γ_max · λ, γ_max being the optimizer's default learning rate.</summary>
    [Hyperparameter("corrected_weight_decay")]
    public bool CorrectedWeightDecay { get; init; }

    /// <inheritdoc/>
    protected override void ValidateTogether()
    {
        if (MaxGradNorm is double maxGradNorm) Require.Positive(maxGradNorm, "maxGradNorm");
    }
}

/// <summary>
/// LAMB: Adam's step rescaled, tensor by tensor, by a trust ratio ‖θ‖ / ‖update‖, as timm's <c>Lamb</c> computes it
/// (You et al., 2019, "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes"; the reference is
/// huggingface/pytorch-image-models, <c>timm/optim/lamb.py</c>, class <c>Lamb</c>, v1.0.28, commit 8ef73809, the same
/// file at main, aa4b5850, August 2026).
/// </summary>
/// <remarks>
/// <para>Update rule for each tensor θ, with learning rate γ, betas (β₁, β₂), weight decay λ, the group's step count t
/// (advanced at every step, whether or not a tensor has a gradient):</para>
/// <code>
/// c ← max(1, ‖(g₁, …, gₙ)‖ / maxGradNorm)       (every gradient of every group, before any update; none: c = 1)
/// g ← ∇f(θ) / c
/// m ← β₁m + β₃g                                  (β₃ = 1 − β₁ with gradAveraging, else 1)
/// v ← β₂v + (1 − β₂)g²
/// u ← (m / (1 − β₁ᵗ)) / (√v / √(1 − β₂ᵗ) + ε)    (biasCorrection; else m / (√v + ε))
/// u ← u + λθ                                     (λ ≠ 0)
///     or θ ← θ − γ_d λθ                          (decoupledDecay: γ_d = γ, or γ²/γ_max with correctedWeightDecay)
/// r ← ‖θ‖ / ‖u‖                                  (λ ≠ 0 or alwaysAdapt; r = 1 where ‖θ‖ = 0 or ‖u‖ = 0)
/// r ← min(r, 1)                                  (trustClip)
/// θ ← θ − γ r u                                  (r = 1 where not adapted)
/// </code>
/// <para>Exclusion rule: the trust ratio applies only where λ ≠ 0 (unless alwaysAdapt), so biases and normalisation
/// weights are excluded by giving them a group of their own with λ = 0, where the step is Adam's. The moments are
/// <c>exp_avg</c> and <c>exp_avg_sq</c>; the step count is the group's, as in timm, and is kept in the <c>Step</c> of
/// each of the group's parameters that has state. Differences from timm: the gradients are left as they are (timm
/// divides <c>p.grad</c> in place by c), and timm's newer <c>caution</c> flag (Cautious Optimizers, 2024) is not
/// supported. A step runs in two passes over each tensor: the moments and u (into a buffer kept with the optimizer,
/// not in its state), then, after both norms, the update.</para>
/// <para><b>Principle:</b> Adam decides the direction of each weight's step; the trust ratio decides, for each layer
/// separately, how far to go: the update is rescaled so that its norm is the layer's weight norm, times γ. Every layer
/// then moves by about the same fraction γ of its size, however large or small its gradients are.</para>
/// <para><b>Strengths:</b> trains with very large batches (BERT in 76 minutes at 32K-64K sequences a batch) without
/// the per-layer tuning a single learning rate would need; the step of a layer is bounded by γ‖θ‖; the global gradient
/// clip guards against the spikes of the first steps; excluding biases and norms keeps their plain Adam steps.</para>
/// <para><b>Weaknesses:</b> three buffers the size of the parameters (both moments and the step's update) and two
/// norms per tensor per step; a tensor whose weights are zero gets a plain Adam step (ratio 1), so its first steps are
/// not scaled; at small batches it is rarely better than AdamW, and the exclusion groups must be set up by hand.</para>
/// <para><b>Suits:</b> large-batch training of transformers (BERT pre-training) and of convolutional networks, where
/// the batch is raised to use many accelerators and the learning rate would otherwise have to shrink layer by
/// layer.</para>
/// </remarks>
public sealed class Lamb : Optimizer<LambOptions>
{
    private readonly Dictionary<Tensor, Tensor> _updates = new(TensorIdentity.Instance);
    private double _clip = 1;

    /// <summary>Creates LAMB over <paramref name="parameters"/> with timm's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ.</param>
    /// <param name="biasCorrection">Bias-correct the moments.</param>
    /// <param name="betas">Decay rates (β₁, β₂); default (0.9, 0.999).</param>
    /// <param name="eps">Term ε added to the denominator.</param>
    /// <param name="weightDecay">Weight decay λ; 0 also turns off the trust ratio unless <paramref name="alwaysAdapt"/>.</param>
    /// <param name="gradAveraging">Weigh the new gradient by 1 − β₁ in the first moment.</param>
    /// <param name="maxGradNorm">Largest norm of all gradients together (null: no clipping).</param>
    /// <param name="trustClip">Cap the trust ratio at 1.</param>
    /// <param name="alwaysAdapt">Apply the trust ratio where λ = 0 too.</param>
    /// <param name="decoupledDecay">Decay the weights directly instead of adding λθ to the update.</param>
    /// <param name="correctedWeightDecay">With decoupled decay, scale it by γ²/γ_max.</param>
    public Lamb(IEnumerable<Tensor> parameters, double lr = 1e-3, bool biasCorrection = true, (double, double)? betas = null, double eps = 1e-6,
        double weightDecay = 0.01, bool gradAveraging = true, double? maxGradNorm = 1.0, bool trustClip = false, bool alwaysAdapt = false,
        bool decoupledDecay = false, bool correctedWeightDecay = false)
        : base(parameters, new LambOptions(lr)
        {
            BiasCorrection = biasCorrection, Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, GradAveraging = gradAveraging,
            MaxGradNorm = maxGradNorm, TrustClip = trustClip, AlwaysAdapt = alwaysAdapt, DecoupledDecay = decoupledDecay,
            CorrectedWeightDecay = correctedWeightDecay,
        })
    {
    }

    /// <summary>Creates LAMB over parameter groups with the given defaults (each group may change them, but not <see cref="LambOptions.MaxGradNorm"/>).</summary>
    public Lamb(IEnumerable<ParamGroupSpec<LambOptions>> groups, LambOptions defaults) : base(groups, defaults)
    {
    }

    /// <summary>The clip is one norm over all the groups, so a group may not set its own; corrected decay divides by the default γ.</summary>
    private protected override void CheckParameter(Tensor parameter, int index, OptimizerOptions options, string argument)
    {
        var o = (LambOptions)options;
        if (o.MaxGradNorm != Defaults.MaxGradNorm)
            throw new ArgumentException($"maxGradNorm clips all the gradients together, so it is the optimizer's ({Describe(Defaults.MaxGradNorm)}); a group cannot set {Describe(o.MaxGradNorm)}", "maxGradNorm");
        if (o.DecoupledDecay && o.CorrectedWeightDecay && o.WeightDecay != 0 && Defaults.Lr == 0)
            throw new ArgumentException("correctedWeightDecay divides by the optimizer's default lr, which is 0", "correctedWeightDecay");
    }

    private static string Describe(double? maxGradNorm) => maxGradNorm is double v ? Require.Format(v) : "none";

    /// <summary>The global clip, then every group's step count advanced (timm's <c>group['step']</c>).</summary>
    private protected override void BeginStep()
    {
        _clip = Defaults.MaxGradNorm is double maxGradNorm ? Math.Max(GradientClipping.GlobalNorm(Groups) / maxGradNorm, 1) : 1; // timm's norm of the stack of the gradients' norms
        for (int gi = 0; gi < Groups.Count; gi++) AdvanceStep(gi);
    }

    /// <summary>
    /// Advances group <paramref name="gi"/>'s count and writes it into the Step of each of its parameters with state,
    /// creating the state of those about to be updated and always that of the group's first parameter: the count
    /// survives the state dict in them, also while no parameter of the group has had a gradient.
    /// </summary>
    private void AdvanceStep(int gi)
    {
        var parameters = Groups[gi].Parameters;
        long step = 0;
        for (int i = 0; i < parameters.Count; i++)
            if (StateOf(parameters[i]) is { } s) step = Math.Max(step, s.Step);
        step++;
        for (int i = 0; i < parameters.Count; i++)
            if ((i > 0 && parameters[i].Grad is null ? StateOf(parameters[i]) : StateFor(parameters[i])) is { } s) s.Step = step;
    }

    /// <summary>The first pass: the moments, the update u into its buffer, and a decoupled decay.</summary>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, LambOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var m = state.Buffer("exp_avg", parameter);
        var v = state.Buffer("exp_avg_sq", parameter);
        var step = new LambStep(options, state.Step, _clip, Defaults.Lr);
        FusedUpdate.Run(parameter, grad, false, new LambDirectionRule<float>(step), new LambDirectionRule<double>(step), m, v, UpdateBuffer(parameter));
    }

    /// <summary>The second pass, once every first pass is done: each tensor's trust ratio from its norms, then θ ← θ − γru.</summary>
    private protected override void EndStep()
    {
        using var batch = OptimParallel.Batch();
        foreach (var group in Groups)
        {
            var o = (LambOptions)group.RuleOptions;
            var parameters = group.Parameters;
            for (int i = 0; i < parameters.Count; i++)
            {
                var p = parameters[i];
                if (p.Grad is null) continue;
                var u = _updates[p];
                double r = o.WeightDecay != 0 || o.AlwaysAdapt ? TrustRatio.OfLamb(TrustRatio.Norm(p), TrustRatio.Norm(u), o.TrustClip) : 1;
                FusedUpdate.Run(p, u, false, new ScaledStepRule<float>(o.Lr, r), new ScaledStepRule<double>(o.Lr, r));
            }
        }
    }

    /// <summary>The buffer that holds a tensor's update between the two passes (rewritten every step, so not state).</summary>
    private Tensor UpdateBuffer(Tensor parameter)
    {
        if (!_updates.TryGetValue(parameter, out var u)) _updates.Add(parameter, u = Tensor.Zeros(parameter.ShapeArray, parameter.DType));
        return u;
    }
}

/// <summary>The per-step scalars of one tensor's first pass, in double precision.</summary>
internal readonly struct LambStep
{
    public LambStep(LambOptions o, long t, double clip, double defaultLr)
    {
        Options = o;
        Clip = clip;
        BiasCorrection1 = o.BiasCorrection ? 1 - Math.Pow(o.Betas.Item1, t) : 1;
        BiasCorrection2Sqrt = o.BiasCorrection ? Math.Sqrt(1 - Math.Pow(o.Betas.Item2, t)) : 1;
        DecayScale = o.CorrectedWeightDecay ? o.Lr * o.Lr / defaultLr : o.Lr;
    }

    public LambOptions Options { get; }

    /// <summary>c ≥ 1, the global gradient norm's excess over maxGradNorm (1: no clipping).</summary>
    public double Clip { get; }

    public double BiasCorrection1 { get; }

    public double BiasCorrection2Sqrt { get; }

    /// <summary>γ_d of the decoupled decay.</summary>
    public double DecayScale { get; }
}

/// <summary>
/// LAMB's first pass over one element, in timm's order (each "x + a·y" of PyTorch's <c>add_</c> with alpha one fused
/// multiply-add). State: s0 = exp_avg, s1 = exp_avg_sq; s2 receives the update u (the optimizer's buffer).
/// </summary>
internal readonly struct LambDirectionRule<T>(LambStep c) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _clip = T.CreateTruncating(c.Clip), _beta1 = T.CreateTruncating(c.Options.Betas.Item1);
    private readonly T _beta3 = T.CreateTruncating(c.Options.GradAveraging ? 1 - c.Options.Betas.Item1 : 1);
    private readonly T _beta2 = T.CreateTruncating(c.Options.Betas.Item2), _oneMinusBeta2 = T.CreateTruncating(1 - c.Options.Betas.Item2);
    private readonly T _bc1 = T.CreateTruncating(c.BiasCorrection1), _bc2Sqrt = T.CreateTruncating(c.BiasCorrection2Sqrt);
    private readonly T _eps = T.CreateTruncating(c.Options.Eps), _weightDecay = T.CreateTruncating(c.Options.WeightDecay);
    private readonly T _negDecay = T.CreateTruncating(-c.DecayScale * c.Options.WeightDecay);
    private readonly bool _clipped = c.Clip != 1, _coupled = c.Options.WeightDecay != 0 && !c.Options.DecoupledDecay;
    private readonly bool _decoupled = c.Options.WeightDecay != 0 && c.Options.DecoupledDecay;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T m, ref T v, ref T u)
    {
        if (_clipped) g /= _clip;
        m = T.FusedMultiplyAdd(g, _beta3, m * _beta1);
        v = v * _beta2 + g * _oneMinusBeta2 * g;
        u = m / _bc1 / (T.Sqrt(v) / _bc2Sqrt + _eps);
        if (_coupled) u = T.FusedMultiplyAdd(theta, _weightDecay, u);
        else if (_decoupled) theta = T.FusedMultiplyAdd(theta, _negDecay, theta);
        return theta;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> m, ref Vector<T> v, ref Vector<T> u)
    {
        if (_clipped) g /= new Vector<T>(_clip);
        m = Fma(g, new Vector<T>(_beta3), m * _beta1);
        v = v * _beta2 + g * _oneMinusBeta2 * g;
        u = m / new Vector<T>(_bc1) / (Vector.SquareRoot(v) / new Vector<T>(_bc2Sqrt) + new Vector<T>(_eps));
        if (_coupled) u = Fma(theta, new Vector<T>(_weightDecay), u);
        else if (_decoupled) theta = Fma(theta, new Vector<T>(_negDecay), theta);
        return theta;
    }
}

/// <summary>θ ← θ − γ·(r·u), u given as the driver's gradient: the last pass of LAMB (timm's <c>update.mul_(r)</c>, then <c>p.add_(update, alpha=-lr)</c>).</summary>
internal readonly struct ScaledStepRule<T>(double lr, double ratio) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _negLr = T.CreateTruncating(-lr), _ratio = T.CreateTruncating(ratio);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T u, ref T unused0, ref T unused1, ref T unused2) => T.FusedMultiplyAdd(u * _ratio, _negLr, theta);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> u, ref Vector<T> unused0, ref Vector<T> unused1, ref Vector<T> unused2) =>
        Fma(u * _ratio, new Vector<T>(_negLr), theta);
}

/// <summary>The layer-wise trust ratios of LAMB and LARS, as timm guards and clips them (norms in double, summed as gradient clipping sums them).</summary>
internal static partial class TrustRatio
{
    /// <summary>The L2 norm of a contiguous tensor, in fixed chunks: the same on any number of threads.</summary>
    public static double Norm(Tensor t) => t.DType == DType.Float32 ? GradientClipping.Norm<float>(t, 2) : GradientClipping.Norm<double>(t, 2);

    /// <summary>timm's <c>torch.where(w_norm &gt; 0, torch.where(other_norm &gt; 0, ratio, 1), 1)</c>: 1 where either norm is zero (or NaN).</summary>
    public static double Guarded(double weightNorm, double otherNorm, double ratio) => weightNorm > 0 ? (otherNorm > 0 ? ratio : 1) : 1;

    /// <summary>LAMB's ‖θ‖ / ‖u‖, guarded, and capped at 1 with trust clipping (LAMBC).</summary>
    public static double OfLamb(double weightNorm, double updateNorm, bool trustClip)
    {
        double r = Guarded(weightNorm, updateNorm, weightNorm / updateNorm);
        return trustClip ? Math.Min(r, 1) : r;
    }
}
