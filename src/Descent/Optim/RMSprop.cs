using System.Numerics;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="RMSprop"/> (PyTorch's defaults).</summary>
public sealed record RMSpropOptions : OptimizerOptions
{
    private double _momentum;

    /// <summary>Creates RMSprop options with the learning rate <paramref name="lr"/>.</summary>
    public RMSpropOptions(double lr = 1e-2) => Lr = lr;

    /// <summary>The smoothing constant α of the running average of squared gradients.</summary>
    public double Alpha { get; init; } = 0.99;

    /// <summary>The term ε added to the denominator.</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>The L2 penalty λ added to the gradient.</summary>
    public double WeightDecay { get; init; }

    /// <summary>The momentum factor μ (0 = none).</summary>
    public override double? Momentum
    {
        get => _momentum;
        set => _momentum = value ?? throw new ArgumentNullException(nameof(value), "RMSprop's momentum cannot be null; use 0 for none");
    }

    /// <summary>Normalise by an estimate of the gradient's variance (subtracting the squared mean) instead of its second moment.</summary>
    public bool Centered { get; init; }

    /// <summary>Maximise the objective instead of minimising it.</summary>
    public bool Maximize { get; init; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        NonNegative(Eps, "eps");
        NonNegative(_momentum, "momentum");
        NonNegative(WeightDecay, "weightDecay");
        if (!(Alpha >= 0 && Alpha <= 1))
            throw new ArgumentOutOfRangeException("alpha", Alpha, $"alpha must be in [0, 1], got {Alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> ToDictionary() => new Dictionary<string, object>
    {
        ["lr"] = Lr, ["alpha"] = Alpha, ["eps"] = Eps, ["weight_decay"] = WeightDecay, ["momentum"] = _momentum,
        ["centered"] = Centered, ["maximize"] = Maximize,
    };

    /// <inheritdoc/>
    protected internal override OptimizerOptions WithValues(IReadOnlyDictionary<string, object> values) => this with
    {
        Lr = Number(values, "lr", Lr), Alpha = Number(values, "alpha", Alpha), Eps = Number(values, "eps", Eps),
        WeightDecay = Number(values, "weight_decay", WeightDecay), Momentum = Number(values, "momentum", _momentum),
        Centered = Flag(values, "centered", Centered), Maximize = Flag(values, "maximize", Maximize),
    };
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

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, RMSpropOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        double momentum = options.Momentum ?? 0;
        var v = state.Buffer("square_avg", parameter);
        var b = momentum > 0 ? state.Buffer("momentum_buffer", parameter) : null;
        var mean = options.Centered ? state.Buffer("grad_avg", parameter) : null;
        state.Step++;
        if (parameter.DType == DType.Float32) Run<float>(parameter, grad, v, mean, b, options, momentum);
        else Run<double>(parameter, grad, v, mean, b, options, momentum);
    }

    private static void Run<T>(Tensor p, Tensor g, Tensor v, Tensor? mean, Tensor? b, RMSpropOptions o, double momentum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var k = new RmspropKernel<T>
        {
            P = (T[])p.Storage, POff = p.Offset, G = (T[])g.Storage, GOff = g.Offset, V = (T[])v.Storage, VOff = v.Offset,
            GAvg = (T[]?)mean?.Storage ?? [], GAvgOff = mean?.Offset ?? 0, B = (T[]?)b?.Storage ?? [], BOff = b?.Offset ?? 0,
            WeightDecay = T.CreateTruncating(o.WeightDecay), Alpha = T.CreateTruncating(o.Alpha), OneMinusAlpha = T.CreateTruncating(1 - o.Alpha),
            Eps = T.CreateTruncating(o.Eps), NegLr = T.CreateTruncating(-o.Lr), Momentum = T.CreateTruncating(momentum),
            Maximize = o.Maximize, HasWeightDecay = o.WeightDecay != 0, Centered = mean is not null, HasMomentum = b is not null,
        };
        OptimParallel.For(ref k, p.NumEl);
    }
}
