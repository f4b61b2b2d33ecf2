using System.Globalization;
using System.Numerics;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="SGD"/> (PyTorch's defaults).</summary>
public sealed record SGDOptions : OptimizerOptions
{
    private double _momentum;

    /// <summary>Creates SGD options with the learning rate <paramref name="lr"/>.</summary>
    public SGDOptions(double lr) => Lr = lr;

    /// <summary>The momentum factor μ (0 = plain SGD).</summary>
    public override double? Momentum
    {
        get => _momentum;
        set => _momentum = value ?? throw new ArgumentNullException(nameof(value), "SGD's momentum cannot be null; use 0 for none");
    }

    /// <summary>The dampening τ of the momentum's new gradient term: b ← μb + (1 − τ)g.</summary>
    public double Dampening { get; init; }

    /// <summary>The L2 penalty λ added to the gradient: g ← g + λθ.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Nesterov's accelerated gradient: step along g + μb instead of b.</summary>
    public bool Nesterov { get; init; }

    /// <summary>Maximise the objective instead of minimising it.</summary>
    public bool Maximize { get; init; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        NonNegative(_momentum, "momentum");
        Finite(Dampening, "dampening");
        NonNegative(WeightDecay, "weightDecay");
        if (Nesterov && (_momentum <= 0 || Dampening != 0))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Nesterov momentum needs momentum > 0 and dampening = 0, got momentum={_momentum}, dampening={Dampening}"), "nesterov");
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> ToDictionary() => new Dictionary<string, object>
    {
        ["lr"] = Lr, ["momentum"] = _momentum, ["dampening"] = Dampening, ["weight_decay"] = WeightDecay,
        ["nesterov"] = Nesterov, ["maximize"] = Maximize,
    };

    /// <inheritdoc/>
    protected internal override OptimizerOptions WithValues(IReadOnlyDictionary<string, object> values) => this with
    {
        Lr = Number(values, "lr", Lr), Momentum = Number(values, "momentum", _momentum),
        Dampening = Number(values, "dampening", Dampening), WeightDecay = Number(values, "weight_decay", WeightDecay),
        Nesterov = Flag(values, "nesterov", Nesterov), Maximize = Flag(values, "maximize", Maximize),
    };
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

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, SGDOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        double momentum = options.Momentum ?? 0;
        Tensor? buffer = null;
        bool first = false;
        if (momentum != 0)
        {
            first = !state.Tensors.TryGetValue("momentum_buffer", out buffer);
            buffer ??= state.Buffer("momentum_buffer", parameter);
        }
        state.Step++;
        if (parameter.DType == DType.Float32) Run<float>(parameter, grad, buffer, first, options, momentum);
        else Run<double>(parameter, grad, buffer, first, options, momentum);
    }

    private static void Run<T>(Tensor p, Tensor g, Tensor? b, bool first, SGDOptions o, double momentum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var k = new SgdKernel<T>
        {
            P = (T[])p.Storage, POff = p.Offset, G = (T[])g.Storage, GOff = g.Offset,
            B = (T[]?)b?.Storage ?? [], BOff = b?.Offset ?? 0,
            NegLr = T.CreateTruncating(-o.Lr), WeightDecay = T.CreateTruncating(o.WeightDecay),
            Momentum = T.CreateTruncating(momentum), OneMinusDampening = T.CreateTruncating(1 - o.Dampening),
            Maximize = o.Maximize, HasWeightDecay = o.WeightDecay != 0, HasMomentum = momentum != 0,
            FirstStep = first, Nesterov = o.Nesterov,
        };
        OptimParallel.For(ref k, p.NumEl);
    }
}

/// <summary>
/// SGD with classical (heavy-ball) momentum: <c>new Momentum(parameters, lr: 0.01, momentum: 0.9)</c> is
/// <c>new SGD(parameters, lr: 0.01, momentum: 0.9)</c>.
/// </summary>
/// <remarks>
/// <para>Update rule: b ← μb + (1 − τ)g (b ← g on the first step), θ ← θ − γb.</para>
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

    internal static double RequirePositive(double momentum) => momentum > 0 && double.IsFinite(momentum) ? momentum
        : throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"momentum must be > 0 for a momentum method, got {momentum.ToString(CultureInfo.InvariantCulture)}");
}

/// <summary>
/// SGD with Nesterov momentum (Nesterov's accelerated gradient, NAG): <c>new Nesterov(parameters, lr: 0.01)</c> is
/// <c>new SGD(parameters, lr: 0.01, momentum: 0.9, nesterov: true)</c>.
/// </summary>
/// <remarks>
/// <para>Update rule: b ← μb + g (b ← g on the first step), θ ← θ − γ(g + μb).</para>
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
}
