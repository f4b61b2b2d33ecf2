using System.Numerics;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="Adam"/> (PyTorch's defaults); <see cref="AdamWOptions"/> derives from it.</summary>
public record AdamOptions : OptimizerOptions
{
    /// <summary>Creates Adam options with the learning rate <paramref name="lr"/>.</summary>
    public AdamOptions(double lr = 1e-3) => Lr = lr;

    /// <summary>The decay rates (β₁, β₂) of the running averages of the gradient and of its square.</summary>
    public (double, double) Betas { get; set; } = (0.9, 0.999);

    /// <summary>β₁, the coefficient schedules cycle as momentum.</summary>
    public override double? Momentum
    {
        get => Betas.Item1;
        set => Betas = (value ?? throw new ArgumentNullException(nameof(value), "beta1 cannot be null"), Betas.Item2);
    }

    /// <summary>The term ε added to the denominator for numerical stability.</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>The weight decay λ: an L2 penalty added to the gradient for Adam, a decoupled decay for AdamW.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Use the AMSGrad variant (the maximum of past second moments in the denominator).</summary>
    public bool AmsGrad { get; init; }

    /// <summary>Maximise the objective instead of minimising it.</summary>
    public bool Maximize { get; init; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        NonNegative(Eps, "eps");
        UnitInterval(Betas.Item1, "betas", "betas[0]");
        UnitInterval(Betas.Item2, "betas", "betas[1]");
        NonNegative(WeightDecay, "weightDecay");
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> ToDictionary() => new Dictionary<string, object>
    {
        ["lr"] = Lr, ["betas"] = new[] { Betas.Item1, Betas.Item2 }, ["eps"] = Eps, ["weight_decay"] = WeightDecay,
        ["amsgrad"] = AmsGrad, ["maximize"] = Maximize,
    };

    /// <inheritdoc/>
    protected internal override OptimizerOptions WithValues(IReadOnlyDictionary<string, object> values) => this with
    {
        Lr = Number(values, "lr", Lr), Betas = Pair(values, "betas", Betas), Eps = Number(values, "eps", Eps),
        WeightDecay = Number(values, "weight_decay", WeightDecay), AmsGrad = Flag(values, "amsgrad", AmsGrad),
        Maximize = Flag(values, "maximize", Maximize),
    };
}

/// <summary>
/// Adam: adaptive moment estimation, as <c>torch.optim.Adam</c> (Kingma &amp; Ba, 2014; AMSGrad: Reddi et al., 2018).
/// </summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, betas (β₁, β₂), weight decay λ, for t = 1, 2, …:</para>
/// <code>
/// g ← ∇f(θ)                  (−∇f(θ) when maximize)
/// g ← g + λθ                 (if λ ≠ 0)
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
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : base(parameters, new AdamOptions(lr) { Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, AmsGrad = amsgrad, Maximize = maximize })
    {
    }

    /// <summary>Creates Adam over parameter groups; each group may change the defaults, e.g. <c>o =&gt; o with { Lr = 0.1 }</c>.</summary>
    public Adam(IEnumerable<ParamGroupSpec<AdamOptions>> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : base(groups, new AdamOptions(lr) { Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, AmsGrad = amsgrad, Maximize = maximize })
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, AdamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        AdamUpdate.Run(parameter, grad, state, options, decoupled: false);
    }
}

/// <summary>The fused Adam/AdamW step shared by both classes.</summary>
internal static class AdamUpdate
{
    public static void Run(Tensor parameter, Tensor grad, ParamState state, AdamOptions o, bool decoupled)
    {
        var m = state.Buffer("exp_avg", parameter);
        var v = state.Buffer("exp_avg_sq", parameter);
        // As PyTorch, the AMSGrad buffer exists only when the group had amsgrad on at the first step.
        Tensor? vmax = o.AmsGrad ? state.Buffer("max_exp_avg_sq", parameter) : null;
        long step = ++state.Step;
        var (beta1, beta2) = o.Betas;
        double bc1 = 1 - Math.Pow(beta1, step);
        double bc2 = 1 - Math.Pow(beta2, step);
        var c = new Constants(o.Lr / bc1, Math.Sqrt(bc2), 1 - o.Lr * o.WeightDecay);
        if (parameter.DType == DType.Float32) Launch<float>(parameter, grad, m, v, vmax, o, c, decoupled);
        else Launch<double>(parameter, grad, m, v, vmax, o, c, decoupled);
    }

    private readonly record struct Constants(double StepSize, double BiasCorrection2Sqrt, double DecoupledScale);

    private static void Launch<T>(Tensor p, Tensor g, Tensor m, Tensor v, Tensor? vmax, AdamOptions o, Constants c, bool decoupled)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var k = new AdamKernel<T>
        {
            P = (T[])p.Storage, POff = p.Offset, G = (T[])g.Storage, GOff = g.Offset,
            M = (T[])m.Storage, MOff = m.Offset, V = (T[])v.Storage, VOff = v.Offset,
            VMax = (T[]?)vmax?.Storage ?? [], VMaxOff = vmax?.Offset ?? 0,
            WeightDecay = T.CreateTruncating(o.WeightDecay), DecoupledScale = T.CreateTruncating(c.DecoupledScale),
            Beta1 = T.CreateTruncating(o.Betas.Item1), OneMinusBeta1 = T.CreateTruncating(1 - o.Betas.Item1),
            Beta2 = T.CreateTruncating(o.Betas.Item2), OneMinusBeta2 = T.CreateTruncating(1 - o.Betas.Item2),
            BiasCorrection2Sqrt = T.CreateTruncating(c.BiasCorrection2Sqrt), Eps = T.CreateTruncating(o.Eps),
            NegStepSize = T.CreateTruncating(-c.StepSize),
            Maximize = o.Maximize, HasWeightDecay = o.WeightDecay != 0, Decoupled = decoupled, AmsGrad = vmax is not null,
        };
        OptimParallel.For(ref k, p.NumEl);
    }
}
