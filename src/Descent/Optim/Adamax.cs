using System.Numerics;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="Adamax"/> (PyTorch's defaults).</summary>
public sealed record AdamaxOptions : OptimizerOptions
{
    /// <summary>Creates Adamax options with the learning rate <paramref name="lr"/>.</summary>
    public AdamaxOptions(double lr = 2e-3) => Lr = lr;

    /// <summary>The decay rates (β₁, β₂) of the first moment and of the infinity norm.</summary>
    public (double, double) Betas { get; set; } = (0.9, 0.999);

    /// <summary>β₁, the coefficient schedules cycle as momentum.</summary>
    public override double? Momentum
    {
        get => Betas.Item1;
        set => Betas = (value ?? throw new ArgumentNullException(nameof(value), "beta1 cannot be null"), Betas.Item2);
    }

    /// <summary>The term ε added to |g| inside the infinity norm.</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>The L2 penalty λ added to the gradient.</summary>
    public double WeightDecay { get; init; }

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
        ["lr"] = Lr, ["betas"] = new[] { Betas.Item1, Betas.Item2 }, ["eps"] = Eps, ["weight_decay"] = WeightDecay, ["maximize"] = Maximize,
    };

    /// <inheritdoc/>
    protected internal override OptimizerOptions WithValues(IReadOnlyDictionary<string, object> values) => this with
    {
        Lr = Number(values, "lr", Lr), Betas = Pair(values, "betas", Betas), Eps = Number(values, "eps", Eps),
        WeightDecay = Number(values, "weight_decay", WeightDecay), Maximize = Flag(values, "maximize", Maximize),
    };
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

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, AdamaxOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var m = state.Buffer("exp_avg", parameter);
        var u = state.Buffer("exp_inf", parameter);
        long step = ++state.Step;
        double clr = options.Lr / (1 - Math.Pow(options.Betas.Item1, step));
        if (parameter.DType == DType.Float32) Run<float>(parameter, grad, m, u, options, clr);
        else Run<double>(parameter, grad, m, u, options, clr);
    }

    private static void Run<T>(Tensor p, Tensor g, Tensor m, Tensor u, AdamaxOptions o, double clr) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var k = new AdamaxKernel<T>
        {
            P = (T[])p.Storage, POff = p.Offset, G = (T[])g.Storage, GOff = g.Offset,
            M = (T[])m.Storage, MOff = m.Offset, U = (T[])u.Storage, UOff = u.Offset,
            WeightDecay = T.CreateTruncating(o.WeightDecay), Beta1 = T.CreateTruncating(o.Betas.Item1),
            OneMinusBeta1 = T.CreateTruncating(1 - o.Betas.Item1), Beta2 = T.CreateTruncating(o.Betas.Item2),
            Eps = T.CreateTruncating(o.Eps), NegClr = T.CreateTruncating(-clr), Maximize = o.Maximize, HasWeightDecay = o.WeightDecay != 0,
        };
        OptimParallel.For(ref k, p.NumEl);
    }
}
