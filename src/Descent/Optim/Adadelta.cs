using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="Adadelta"/> (PyTorch's defaults).</summary>
public sealed record AdadeltaOptions : OptimizerOptions
{
    /// <summary>Creates Adadelta options with the learning rate <paramref name="lr"/> (a scale on the step, 1 by default).</summary>
    public AdadeltaOptions(double lr = 1.0) => Lr = lr;

    /// <summary>The decay ρ of both running averages.</summary>
    [Hyperparameter("rho", Range = HyperparameterRange.UnitInterval)]
    public double Rho { get; init; } = 0.9;

    /// <summary>The term ε added inside the square roots.</summary>
    [Hyperparameter("eps", Range = HyperparameterRange.NonNegative)]
    public double Eps { get; init; } = 1e-6;

    /// <summary>The L2 penalty λ added to the gradient.</summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; }

    /// <summary>Maximise the objective instead of minimising it.</summary>
    [Hyperparameter("maximize")]
    public bool Maximize { get; init; }
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

    /// <summary>Creates Adadelta over parameter groups with the given defaults (each group may change them).</summary>
    public Adadelta(IEnumerable<ParamGroupSpec<AdadeltaOptions>> groups, AdadeltaOptions defaults) : base(groups, defaults)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, AdadeltaOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var v = state.Buffer("square_avg", parameter);
        var u = state.Buffer("acc_delta", parameter);
        state.Step++;
        FusedUpdate.Run(parameter, grad, options.Maximize, new AdadeltaRule<float>(options), new AdadeltaRule<double>(options), v, u);
    }
}

/// <summary>Adadelta's update of one element, in torch.optim.Adadelta's order. State: s0 = square_avg, s1 = acc_delta.</summary>
internal readonly struct AdadeltaRule<T>(AdadeltaOptions o) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _weightDecay = T.CreateTruncating(o.WeightDecay), _rho = T.CreateTruncating(o.Rho), _oneMinusRho = T.CreateTruncating(1 - o.Rho);
    private readonly T _eps = T.CreateTruncating(o.Eps), _negLr = T.CreateTruncating(-o.Lr);
    private readonly bool _hasWeightDecay = o.WeightDecay != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T v, ref T u, ref T unused)
    {
        if (_hasWeightDecay) g += theta * _weightDecay;
        v = v * _rho + g * _oneMinusRho * g;
        T delta = T.Sqrt(u + _eps) / T.Sqrt(v + _eps) * g;
        u = u * _rho + delta * _oneMinusRho * delta;
        return theta + delta * _negLr;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> v, ref Vector<T> u, ref Vector<T> unused)
    {
        var eps = new Vector<T>(_eps);
        if (_hasWeightDecay) g += theta * _weightDecay;
        v = v * _rho + g * _oneMinusRho * g;
        var delta = Vector.SquareRoot(u + eps) / Vector.SquareRoot(v + eps) * g;
        u = u * _rho + delta * _oneMinusRho * delta;
        return theta + delta * _negLr;
    }
}
