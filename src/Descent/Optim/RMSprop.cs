using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="RMSprop"/> (PyTorch's defaults).</summary>
public sealed record RMSpropOptions : OptimizerOptions
{
    /// <summary>Creates RMSprop options with the learning rate <paramref name="lr"/>.</summary>
    public RMSpropOptions(double lr = 1e-2) => Lr = lr;

    /// <summary>The smoothing constant α of the running average of squared gradients.</summary>
    [Hyperparameter("alpha", Range = HyperparameterRange.ClosedUnitInterval)]
    public double Alpha { get; init; } = 0.99;

    /// <summary>The term ε added to the denominator.</summary>
    [Hyperparameter("eps", Range = HyperparameterRange.NonNegative)]
    public double Eps { get; init; } = 1e-8;

    /// <summary>The L2 penalty λ added to the gradient.</summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; }

    /// <summary>The momentum factor μ (0 = none).</summary>
    [Hyperparameter("momentum", Range = HyperparameterRange.NonNegative, Cycled = true)]
    public double Momentum { get; init; }

    /// <summary>Normalise by an estimate of the gradient's variance (subtracting the squared mean) instead of its second moment.</summary>
    [Hyperparameter("centered")]
    public bool Centered { get; init; }

    /// <summary>Maximise the objective instead of minimising it.</summary>
    [Hyperparameter("maximize")]
    public bool Maximize { get; init; }
}

/// <summary>RMSprop: steps divided by a moving root-mean-square of recent gradients, as <c>torch.optim.RMSprop</c> (Hinton, 2012).</summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, smoothing α, momentum μ, weight decay λ, for t = 1, 2, …:</para>
/// <code>
/// g ← ∇f(θ)                     (−∇f(θ) when maximize)
/// g ← g + λθ                    (if λ ≠ 0)
/// v ← αv + (1 − α)g²
/// ḡ ← αḡ + (1 − α)g;  ṽ ← v − ḡ²     (centered; else ṽ ← v)
/// b ← μb + g / (√ṽ + ε);  θ ← θ − γb (if μ &gt; 0)
/// θ ← θ − γ · g / (√ṽ + ε)           (otherwise)
/// </code>
/// <para><b>Principle:</b> Adagrad with a forgetting factor: dividing by the recent RMS of each parameter's gradient
/// equalises step sizes across directions without the learning rate vanishing.</para>
/// <para><b>Strengths:</b> handles badly scaled directions and non-stationary objectives; a sound default for recurrent
/// networks and reinforcement learning; one buffer (two or three with centering and momentum).</para>
/// <para><b>Weaknesses:</b> no bias correction, so early steps can be large; a learning rate still to tune; can
/// oscillate without momentum.</para>
/// <para><b>Suits:</b> recurrent networks, online and non-stationary problems, mini-batch training with noisy
/// gradients.</para>
/// </remarks>
public sealed class RMSprop : Optimizer<RMSpropOptions>
{
    /// <summary>Creates RMSprop over <paramref name="parameters"/> with PyTorch's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ.</param>
    /// <param name="alpha">Smoothing constant α, in [0, 1].</param>
    /// <param name="eps">Denominator term ε.</param>
    /// <param name="weightDecay">L2 penalty λ.</param>
    /// <param name="momentum">Momentum factor μ.</param>
    /// <param name="centered">Use the centred variant.</param>
    /// <param name="maximize">Maximise the objective instead.</param>
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0,
        double momentum = 0, bool centered = false, bool maximize = false)
        : base(parameters, Options(lr, alpha, eps, weightDecay, momentum, centered, maximize))
    {
    }

    /// <summary>Creates RMSprop over parameter groups; each group may change the defaults.</summary>
    public RMSprop(IEnumerable<ParamGroupSpec<RMSpropOptions>> groups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0,
        double momentum = 0, bool centered = false, bool maximize = false)
        : base(groups, Options(lr, alpha, eps, weightDecay, momentum, centered, maximize))
    {
    }

    private static RMSpropOptions Options(double lr, double alpha, double eps, double weightDecay, double momentum, bool centered, bool maximize) =>
        new(lr) { Alpha = alpha, Eps = eps, WeightDecay = weightDecay, Momentum = momentum, Centered = centered, Maximize = maximize };

    /// <summary>Creates RMSprop over parameter groups with the given defaults (each group may change them).</summary>
    public RMSprop(IEnumerable<ParamGroupSpec<RMSpropOptions>> groups, RMSpropOptions defaults) : base(groups, defaults)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, RMSpropOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var v = state.Buffer("square_avg", parameter);
        var b = options.Momentum > 0 ? state.Buffer("momentum_buffer", parameter) : null;
        var mean = options.Centered ? state.Buffer("grad_avg", parameter) : null;
        state.Step++;
        FusedUpdate.Run(parameter, grad, options.Maximize, new RmspropRule<float>(options), new RmspropRule<double>(options), v, mean, b);
    }
}

/// <summary>
/// RMSprop's update of one element, in torch.optim.RMSprop's order. State: s0 = square_avg, s1 = grad_avg (centred),
/// s2 = momentum_buffer (μ &gt; 0).
/// </summary>
internal readonly struct RmspropRule<T>(RMSpropOptions o) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _weightDecay = T.CreateTruncating(o.WeightDecay), _alpha = T.CreateTruncating(o.Alpha), _oneMinusAlpha = T.CreateTruncating(1 - o.Alpha);
    private readonly T _eps = T.CreateTruncating(o.Eps), _negLr = T.CreateTruncating(-o.Lr), _momentum = T.CreateTruncating(o.Momentum);
    private readonly bool _hasWeightDecay = o.WeightDecay != 0, _centered = o.Centered, _hasMomentum = o.Momentum > 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T v, ref T mean, ref T b)
    {
        if (_hasWeightDecay) g += theta * _weightDecay;
        v = v * _alpha + g * _oneMinusAlpha * g;
        T avg;
        if (_centered)
        {
            mean = mean * _alpha + g * _oneMinusAlpha;
            avg = T.Sqrt(v - mean * mean) + _eps;
        }
        else avg = T.Sqrt(v) + _eps;
        if (!_hasMomentum) return theta + g * _negLr / avg;
        b = b * _momentum + g / avg;
        return theta + b * _negLr;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> v, ref Vector<T> mean, ref Vector<T> b)
    {
        var eps = new Vector<T>(_eps);
        if (_hasWeightDecay) g += theta * _weightDecay;
        v = v * _alpha + g * _oneMinusAlpha * g;
        Vector<T> avg;
        if (_centered)
        {
            mean = mean * _alpha + g * _oneMinusAlpha;
            avg = Vector.SquareRoot(v - mean * mean) + eps;
        }
        else avg = Vector.SquareRoot(v) + eps;
        if (!_hasMomentum) return theta + g * _negLr / avg;
        b = b * _momentum + g / avg;
        return theta + b * _negLr;
    }
}
