using System.Numerics;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="Adadelta"/> (PyTorch's defaults).</summary>
public sealed record AdadeltaOptions : OptimizerOptions
{
    /// <summary>Creates Adadelta options with the learning rate <paramref name="lr"/> (a scale on the update, 1 by default).</summary>
    public AdadeltaOptions(double lr = 1.0) => Lr = lr;

    /// <summary>The decay ρ of the running averages of squared gradients and squared updates.</summary>
    public double Rho { get; init; } = 0.9;

    /// <summary>The term ε inside both square roots.</summary>
    public double Eps { get; init; } = 1e-6;

    /// <summary>The L2 penalty λ added to the gradient.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Maximise the objective instead of minimising it.</summary>
    public bool Maximize { get; init; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        UnitInterval(Rho, "rho");
        NonNegative(Eps, "eps");
        NonNegative(WeightDecay, "weightDecay");
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> ToDictionary() => new Dictionary<string, object>
    {
        ["lr"] = Lr, ["rho"] = Rho, ["eps"] = Eps, ["weight_decay"] = WeightDecay, ["maximize"] = Maximize,
    };

    /// <inheritdoc/>
    protected internal override OptimizerOptions WithValues(IReadOnlyDictionary<string, object> values) => this with
    {
        Lr = Number(values, "lr", Lr), Rho = Number(values, "rho", Rho), Eps = Number(values, "eps", Eps),
        WeightDecay = Number(values, "weight_decay", WeightDecay), Maximize = Flag(values, "maximize", Maximize),
    };
}

/// <summary>Adadelta: Adagrad with moving averages and units-corrected steps, as <c>torch.optim.Adadelta</c> (Zeiler, 2012).</summary>
/// <remarks>
/// <para>Update rule, with learning rate γ (a scale, 1 by default), decay ρ, weight decay λ, for t = 1, 2, …:</para>
/// <code>
/// g ← ∇f(θ)                          (−∇f(θ) when maximize)
/// g ← g + λθ                         (if λ ≠ 0)
/// v ← ρv + (1 − ρ)g²
/// Δ ← √(u + ε) / √(v + ε) · g
/// u ← ρu + (1 − ρ)Δ²
/// θ ← θ − γΔ
/// </code>
/// <para><b>Principle:</b> replace Adagrad's ever-growing sum by a moving average, and scale each step by the RMS of
/// recent updates so that the step has the parameter's units: no learning rate is needed.</para>
/// <para><b>Strengths:</b> no learning rate to tune; the effective rate does not decay to zero as in Adagrad; robust to
/// noisy gradients and to the scale of the problem.</para>
/// <para><b>Weaknesses:</b> slow start (u begins at 0, so the first steps are about √ε); often slower to converge than
/// Adam or tuned SGD; two buffers of memory.</para>
/// <para><b>Suits:</b> problems where choosing a learning rate is hard, long trainings where Adagrad stalls.</para>
/// </remarks>
public sealed class Adadelta : Optimizer<AdadeltaOptions>
{
    /// <summary>Creates Adadelta over <paramref name="parameters"/> with PyTorch's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Scale γ of the update.</param>
    /// <param name="rho">Decay ρ, in [0, 1).</param>
    /// <param name="eps">Term ε inside the square roots.</param>
    /// <param name="weightDecay">L2 penalty λ.</param>
    /// <param name="maximize">Maximise the objective instead.</param>
    public Adadelta(IEnumerable<Tensor> parameters, double lr = 1.0, double rho = 0.9, double eps = 1e-6, double weightDecay = 0, bool maximize = false)
        : base(parameters, new AdadeltaOptions(lr) { Rho = rho, Eps = eps, WeightDecay = weightDecay, Maximize = maximize })
    {
    }

    /// <summary>Creates Adadelta over parameter groups; each group may change the defaults.</summary>
    public Adadelta(IEnumerable<ParamGroupSpec<AdadeltaOptions>> groups, double lr = 1.0, double rho = 0.9, double eps = 1e-6, double weightDecay = 0, bool maximize = false)
        : base(groups, new AdadeltaOptions(lr) { Rho = rho, Eps = eps, WeightDecay = weightDecay, Maximize = maximize })
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, AdadeltaOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var v = state.Buffer("square_avg", parameter);
        var u = state.Buffer("acc_delta", parameter);
        state.Step++;
        if (parameter.DType == DType.Float32) Run<float>(parameter, grad, v, u, options);
        else Run<double>(parameter, grad, v, u, options);
    }

    private static void Run<T>(Tensor p, Tensor g, Tensor v, Tensor u, AdadeltaOptions o) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var k = new AdadeltaKernel<T>
        {
            P = (T[])p.Storage, POff = p.Offset, G = (T[])g.Storage, GOff = g.Offset,
            V = (T[])v.Storage, VOff = v.Offset, U = (T[])u.Storage, UOff = u.Offset,
            WeightDecay = T.CreateTruncating(o.WeightDecay), Rho = T.CreateTruncating(o.Rho), OneMinusRho = T.CreateTruncating(1 - o.Rho),
            Eps = T.CreateTruncating(o.Eps), NegLr = T.CreateTruncating(-o.Lr), Maximize = o.Maximize, HasWeightDecay = o.WeightDecay != 0,
        };
        OptimParallel.For(ref k, p.NumEl);
    }
}
