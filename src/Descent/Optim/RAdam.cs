using System.Numerics;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="RAdam"/> (PyTorch's defaults).</summary>
public sealed record RAdamOptions : OptimizerOptions
{
    /// <summary>Creates RAdam options with the learning rate <paramref name="lr"/>.</summary>
    public RAdamOptions(double lr = 1e-3) => Lr = lr;

    /// <summary>The decay rates (β₁, β₂) of the running averages of the gradient and of its square.</summary>
    public (double, double) Betas { get; set; } = (0.9, 0.999);

    /// <summary>β₁, the coefficient schedules cycle as momentum.</summary>
    public override double? Momentum
    {
        get => Betas.Item1;
        set => Betas = (value ?? throw new ArgumentNullException(nameof(value), "beta1 cannot be null"), Betas.Item2);
    }

    /// <summary>The term ε added to the denominator.</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>The L2 penalty λ added to the gradient.</summary>
    public double WeightDecay { get; init; }

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
    };

    /// <inheritdoc/>
    protected internal override OptimizerOptions WithValues(IReadOnlyDictionary<string, object> values) => this with
    {
        Lr = Number(values, "lr", Lr), Betas = Pair(values, "betas", Betas), Eps = Number(values, "eps", Eps),
        WeightDecay = Number(values, "weight_decay", WeightDecay),
    };
}

/// <summary>RAdam: Adam with a rectified adaptive learning rate, as <c>torch.optim.RAdam</c> (Liu et al., 2019).</summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, betas (β₁, β₂), weight decay λ, for t = 1, 2, …:</para>
/// <code>
/// g ← ∇f(θ) + λθ
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
    public RAdam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0)
        : base(parameters, new RAdamOptions(lr) { Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay })
    {
    }

    /// <summary>Creates RAdam over parameter groups; each group may change the defaults.</summary>
    public RAdam(IEnumerable<ParamGroupSpec<RAdamOptions>> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0)
        : base(groups, new RAdamOptions(lr) { Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay })
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, RAdamOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(grad);
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
        var c = new Constants(bc1, Math.Sqrt(bc2), rect, rectified);
        if (parameter.DType == DType.Float32) Run<float>(parameter, grad, m, v, options, c);
        else Run<double>(parameter, grad, m, v, options, c);
    }

    private readonly record struct Constants(double BiasCorrection1, double BiasCorrection2Sqrt, double Rect, bool Rectified);

    private static void Run<T>(Tensor p, Tensor g, Tensor m, Tensor v, RAdamOptions o, Constants c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var k = new RadamKernel<T>
        {
            P = (T[])p.Storage, POff = p.Offset, G = (T[])g.Storage, GOff = g.Offset,
            M = (T[])m.Storage, MOff = m.Offset, V = (T[])v.Storage, VOff = v.Offset,
            WeightDecay = T.CreateTruncating(o.WeightDecay), Beta1 = T.CreateTruncating(o.Betas.Item1),
            OneMinusBeta1 = T.CreateTruncating(1 - o.Betas.Item1), Beta2 = T.CreateTruncating(o.Betas.Item2),
            OneMinusBeta2 = T.CreateTruncating(1 - o.Betas.Item2), BiasCorrection1 = T.CreateTruncating(c.BiasCorrection1),
            BiasCorrection2Sqrt = T.CreateTruncating(c.BiasCorrection2Sqrt), Eps = T.CreateTruncating(o.Eps),
            Lr = T.CreateTruncating(o.Lr), Rect = T.CreateTruncating(c.Rect), HasWeightDecay = o.WeightDecay != 0, Rectified = c.Rectified,
        };
        OptimParallel.For(ref k, p.NumEl);
    }
}
