using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;
using static Descent.Kernels.VectorFma;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="SGD"/> (PyTorch's defaults).</summary>
public sealed record SGDOptions : OptimizerOptions
{
    /// <summary>Creates SGD options with the learning rate <paramref name="lr"/>.</summary>
    public SGDOptions(double lr) => Lr = lr;

    /// <summary>The momentum factor μ (0 = plain SGD).</summary>
    [Hyperparameter("momentum", Range = HyperparameterRange.NonNegative, Cycled = true)]
    public double Momentum { get; init; }

    /// <summary>The dampening τ of the momentum's new gradient term: b ← μb + (1 − τ)g.</summary>
    [Hyperparameter("dampening", Range = HyperparameterRange.Finite)]
    public double Dampening { get; init; }

    /// <summary>The L2 penalty λ added to the gradient: g ← g + λθ.</summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; }

    /// <summary>Nesterov's accelerated gradient: step along g + μb instead of b.</summary>
    [Hyperparameter("nesterov")]
    public bool Nesterov { get; init; }

    /// <summary>Maximise the objective instead of minimising it.</summary>
    [Hyperparameter("maximize")]
    public bool Maximize { get; init; }

    /// <inheritdoc/>
    protected override void ValidateTogether()
    {
        Require.NesterovMomentum(Nesterov, Momentum, Dampening);
    }
}

/// <summary>
/// Stochastic gradient descent, optionally with momentum (heavy ball) or Nesterov momentum, as <c>torch.optim.SGD</c>.
/// </summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, momentum μ, dampening τ, weight decay λ, for t = 1, 2, …:</para>
/// <code>
/// g ← ∇f(θ)            (−∇f(θ) when maximize)
/// g ← g + λθ           (if λ ≠ 0)
/// b ← g                (t = 1)
/// b ← μb + (1 − τ)g    (t &gt; 1, if μ ≠ 0)
/// g ← g + μb           (Nesterov)   or   g ← b   (classical momentum)
/// θ ← θ − γg
/// </code>
/// <para><b>Principle:</b> step against the gradient, the direction in which the loss falls fastest, by a fixed
/// fraction γ of its length; with a small enough γ every step makes progress on a smooth function.</para>
/// <para><b>Strengths:</b> the simplest rule, one hyperparameter, the least memory (none without momentum, one buffer
/// with it); with momentum it crosses ravines and flat plateaus faster and damps oscillation across steep directions;
/// well-tuned SGD with momentum often generalises best on large vision models.</para>
/// <para><b>Weaknesses:</b> one learning rate for every direction, so badly scaled problems converge slowly; needs a
/// tuned learning rate and usually a schedule; plain SGD stalls near saddle points and crawls along shallow valleys.</para>
/// <para><b>Suits:</b> well-conditioned or well-normalised problems, large-batch training with a schedule, convex
/// problems where its guarantees are well understood. Use <see cref="Momentum"/> or <see cref="Nesterov"/> for the
/// momentum variants by name.</para>
/// <example><code>var optimizer = new SGD(model.Parameters(), lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true);</code></example>
/// </remarks>
public class SGD : Optimizer<SGDOptions>
{
    /// <summary>Creates SGD over <paramref name="parameters"/> with PyTorch's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ (required, as in PyTorch).</param>
    /// <param name="momentum">Momentum factor μ (0: none).</param>
    /// <param name="dampening">Dampening τ for momentum.</param>
    /// <param name="weightDecay">L2 penalty λ.</param>
    /// <param name="nesterov">Use Nesterov momentum (needs μ &gt; 0 and τ = 0).</param>
    /// <param name="maximize">Maximise the objective instead.</param>
    public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(parameters, Options(lr, momentum, dampening, weightDecay, nesterov, maximize))
    {
    }

    /// <summary>Creates SGD over parameter groups; each group may change the defaults, e.g. <c>o =&gt; o with { Lr = 0.1 }</c>.</summary>
    public SGD(IEnumerable<ParamGroupSpec<SGDOptions>> groups, double lr, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(groups, Options(lr, momentum, dampening, weightDecay, nesterov, maximize))
    {
    }

    private static SGDOptions Options(double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize) =>
        new(lr) { Momentum = momentum, Dampening = dampening, WeightDecay = weightDecay, Nesterov = nesterov, Maximize = maximize };

    /// <summary>Creates SGD over parameter groups with the given defaults (each group may change them).</summary>
    public SGD(IEnumerable<ParamGroupSpec<SGDOptions>> groups, SGDOptions defaults) : base(groups, defaults)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, SGDOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        Tensor? buffer = null;
        bool first = false;
        if (options.Momentum != 0)
        {
            first = !state.Tensors.ContainsKey("momentum_buffer");
            buffer = state.Buffer("momentum_buffer", parameter);
        }
        state.Step++;
        FusedUpdate.Run(parameter, grad, options.Maximize, new SgdRule<float>(options, first), new SgdRule<double>(options, first), buffer);
    }
}

/// <summary>
/// SGD's update of one element, in torch.optim.SGD's order; each "x + a·y" is one fused multiply-add, as PyTorch's add
/// with alpha computes it, so results match to the last bit. State: s0 = momentum_buffer (when μ ≠ 0).
/// </summary>
internal readonly struct SgdRule<T>(SGDOptions o, bool firstStep) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _negLr = T.CreateTruncating(-o.Lr), _weightDecay = T.CreateTruncating(o.WeightDecay);
    private readonly T _momentum = T.CreateTruncating(o.Momentum), _oneMinusDampening = T.CreateTruncating(1 - o.Dampening);
    private readonly bool _hasWeightDecay = o.WeightDecay != 0, _hasMomentum = o.Momentum != 0, _nesterov = o.Nesterov;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T b, ref T unused1, ref T unused2)
    {
        if (_hasWeightDecay) g = T.FusedMultiplyAdd(theta, _weightDecay, g);
        if (_hasMomentum)
        {
            b = firstStep ? g : T.FusedMultiplyAdd(g, _oneMinusDampening, b * _momentum);
            g = _nesterov ? T.FusedMultiplyAdd(b, _momentum, g) : b;
        }
        return T.FusedMultiplyAdd(g, _negLr, theta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> b, ref Vector<T> unused1, ref Vector<T> unused2)
    {
        if (_hasWeightDecay) g = Fma(theta, new Vector<T>(_weightDecay), g);
        if (_hasMomentum)
        {
            b = firstStep ? g : Fma(g, new Vector<T>(_oneMinusDampening), b * _momentum);
            g = _nesterov ? Fma(b, new Vector<T>(_momentum), g) : b;
        }
        return Fma(g, new Vector<T>(_negLr), theta);
    }
}

/// <summary>
/// SGD with classical (heavy-ball) momentum: <c>new Momentum(parameters, lr: 0.01, momentum: 0.9)</c> is
/// <c>new SGD(parameters, lr: 0.01, momentum: 0.9)</c>.
/// </summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, momentum μ, dampening τ:</para>
/// <code>
/// b ← g                (t = 1)
/// b ← μb + (1 − τ)g    (t &gt; 1)
/// θ ← θ − γb
/// </code>
/// <para><b>Principle:</b> a ball rolling downhill gathers speed: b is a running sum of past gradients, so steps grow
/// along directions where gradients agree and cancel across directions where they flip sign.</para>
/// <para><b>Strengths:</b> much faster along ravines and gentle slopes than plain SGD, rolls through small bumps and
/// saddle points, one extra buffer. <b>Weaknesses:</b> can overshoot and oscillate around a minimum; μ and γ interact
/// (the effective step is about γ/(1 − μ)). <b>Suits:</b> deep networks, ill-conditioned valleys, noisy mini-batch
/// gradients.</para>
/// </remarks>
public sealed class Momentum : SGD
{
    /// <summary>Creates SGD with classical momentum (μ defaults to 0.9 and must be positive).</summary>
    public Momentum(IEnumerable<Tensor> parameters, double lr, double momentum = 0.9, double dampening = 0,
        double weightDecay = 0, bool maximize = false)
        : base(parameters, lr, RequirePositive(momentum), dampening, weightDecay, nesterov: false, maximize)
    {
    }

    /// <summary>Creates SGD with classical momentum over parameter groups; the defaults' momentum must be positive and Nesterov off.</summary>
    public Momentum(IEnumerable<ParamGroupSpec<SGDOptions>> groups, SGDOptions defaults)
        : base(groups, Check(defaults, nesterov: false))
    {
    }

    internal static double RequirePositive(double momentum)
    {
        Require.Positive(momentum, nameof(momentum));
        return momentum;
    }

    /// <summary>The defaults of a momentum method: μ &gt; 0, and Nesterov as the class says.</summary>
    internal static SGDOptions Check(SGDOptions defaults, bool nesterov)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        RequirePositive(defaults.Momentum);
        if (defaults.Nesterov != nesterov)
            throw new ArgumentException($"{(nesterov ? "Nesterov" : "Momentum")} needs nesterov = {(nesterov ? "true" : "false")}; use {(nesterov ? "Momentum" : "Nesterov")} or SGD", nameof(nesterov));
        return defaults;
    }
}

/// <summary>
/// SGD with Nesterov momentum (Nesterov's accelerated gradient, NAG): <c>new Nesterov(parameters, lr: 0.01)</c> is
/// <c>new SGD(parameters, lr: 0.01, momentum: 0.9, nesterov: true)</c>.
/// </summary>
/// <remarks>
/// <para>Update rule, with learning rate γ and momentum μ:</para>
/// <code>
/// b ← g                (t = 1)
/// b ← μb + g           (t &gt; 1)
/// θ ← θ − γ(g + μb)
/// </code>
/// <para><b>Principle:</b> look ahead: the step uses the gradient where momentum is about to carry θ, which PyTorch's
/// form expresses as the correction g + μb.</para>
/// <para><b>Strengths:</b> reacts sooner than classical momentum when the slope turns, so it overshoots less and
/// oscillates less; optimal rate on smooth convex problems. <b>Weaknesses:</b> the same tuning of γ and μ as momentum;
/// no per-parameter scaling. <b>Suits:</b> the same problems as momentum, especially where classical momentum
/// oscillates around the minimum.</para>
/// </remarks>
public sealed class Nesterov : SGD
{
    /// <summary>Creates SGD with Nesterov momentum (μ defaults to 0.9 and must be positive; no dampening).</summary>
    public Nesterov(IEnumerable<Tensor> parameters, double lr, double momentum = 0.9, double weightDecay = 0, bool maximize = false)
        : base(parameters, lr, Momentum.RequirePositive(momentum), dampening: 0, weightDecay, nesterov: true, maximize)
    {
    }

    /// <summary>Creates SGD with Nesterov momentum over parameter groups; the defaults' momentum must be positive and Nesterov on.</summary>
    public Nesterov(IEnumerable<ParamGroupSpec<SGDOptions>> groups, SGDOptions defaults)
        : base(groups, Momentum.Check(defaults, nesterov: true))
    {
    }
}
