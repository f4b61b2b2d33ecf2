using System.Numerics;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="NAdam"/> (PyTorch's defaults).</summary>
public sealed record NAdamOptions : OptimizerOptions
{
    /// <summary>Creates NAdam options with the learning rate <paramref name="lr"/>.</summary>
    public NAdamOptions(double lr = 2e-3) => Lr = lr;

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

    /// <summary>The momentum decay ψ of the schedule μₜ = β₁(1 − ½·0.96^(tψ)).</summary>
    public double MomentumDecay { get; init; } = 4e-3;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        NonNegative(Eps, "eps");
        UnitInterval(Betas.Item1, "betas", "betas[0]");
        UnitInterval(Betas.Item2, "betas", "betas[1]");
        NonNegative(WeightDecay, "weightDecay");
        NonNegative(MomentumDecay, "momentumDecay");
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> ToDictionary() => new Dictionary<string, object>
    {
        ["lr"] = Lr, ["betas"] = new[] { Betas.Item1, Betas.Item2 }, ["eps"] = Eps, ["weight_decay"] = WeightDecay,
        ["momentum_decay"] = MomentumDecay,
    };

    /// <inheritdoc/>
    protected internal override OptimizerOptions WithValues(IReadOnlyDictionary<string, object> values) => this with
    {
        Lr = Number(values, "lr", Lr), Betas = Pair(values, "betas", Betas), Eps = Number(values, "eps", Eps),
        WeightDecay = Number(values, "weight_decay", WeightDecay), MomentumDecay = Number(values, "momentum_decay", MomentumDecay),
    };
}

/// <summary>NAdam: Adam with Nesterov momentum, as <c>torch.optim.NAdam</c> (Dozat, 2016).</summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, betas (β₁, β₂), momentum decay ψ, weight decay λ, for t = 1, 2, …:</para>
/// <code>
/// g ← ∇f(θ) + λθ
/// μₜ ← β₁(1 − ½·0.96^(tψ));   μₜ₊₁ ← β₁(1 − ½·0.96^((t+1)ψ));   Π ← Π·μₜ
/// m ← β₁m + (1 − β₁)g
/// v ← β₂v + (1 − β₂)g²
/// d ← √(v / (1 − β₂ᵗ)) + ε
/// θ ← θ − γ(1 − μₜ)/(1 − Π) · g/d − γμₜ₊₁/(1 − Π·μₜ₊₁) · m/d
/// </code>
/// <para>As in PyTorch 1.13, the running product Π is kept in single precision.</para>
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
    public NAdam(IEnumerable<Tensor> parameters, double lr = 2e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3)
        : base(parameters, new NAdamOptions(lr) { Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, MomentumDecay = momentumDecay })
    {
    }

    /// <summary>Creates NAdam over parameter groups; each group may change the defaults.</summary>
    public NAdam(IEnumerable<ParamGroupSpec<NAdamOptions>> groups, double lr = 2e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3)
        : base(groups, new NAdamOptions(lr) { Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, MomentumDecay = momentumDecay })
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, NAdamOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var m = state.Buffer("exp_avg", parameter);
        var v = state.Buffer("exp_avg_sq", parameter);
        long step = ++state.Step;
        var (beta1, beta2) = options.Betas;
        double bc2 = 1 - Math.Pow(beta2, step);
        double mu = beta1 * (1.0 - 0.5 * Math.Pow(0.96, step * options.MomentumDecay));
        double muNext = beta1 * (1.0 - 0.5 * Math.Pow(0.96, (step + 1) * options.MomentumDecay));
        // PyTorch keeps mu_product in a float32 tensor: every product is rounded to single precision.
        float product = (float)state.Numbers.GetValueOrDefault("mu_product", 1.0) * (float)mu;
        float productNext = product * (float)mu * (float)muNext;
        state.Numbers["mu_product"] = product;
        double gradCoef = -options.Lr * (1.0 - mu) / (1.0 - product);
        double momentCoef = -options.Lr * muNext / (1.0 - productNext);
        if (parameter.DType == DType.Float32) Run<float>(parameter, grad, m, v, options, bc2, gradCoef, momentCoef);
        else Run<double>(parameter, grad, m, v, options, bc2, gradCoef, momentCoef);
    }

    private static void Run<T>(Tensor p, Tensor g, Tensor m, Tensor v, NAdamOptions o, double bc2, double gradCoef, double momentCoef)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var k = new NadamKernel<T>
        {
            P = (T[])p.Storage, POff = p.Offset, G = (T[])g.Storage, GOff = g.Offset,
            M = (T[])m.Storage, MOff = m.Offset, V = (T[])v.Storage, VOff = v.Offset,
            WeightDecay = T.CreateTruncating(o.WeightDecay), Beta1 = T.CreateTruncating(o.Betas.Item1),
            OneMinusBeta1 = T.CreateTruncating(1 - o.Betas.Item1), Beta2 = T.CreateTruncating(o.Betas.Item2),
            OneMinusBeta2 = T.CreateTruncating(1 - o.Betas.Item2), BiasCorrection2 = T.CreateTruncating(bc2),
            Eps = T.CreateTruncating(o.Eps), GradCoef = T.CreateTruncating(gradCoef), MomentCoef = T.CreateTruncating(momentCoef),
            HasWeightDecay = o.WeightDecay != 0,
        };
        OptimParallel.For(ref k, p.NumEl);
    }
}
