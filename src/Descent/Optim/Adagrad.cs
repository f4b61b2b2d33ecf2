using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="Adagrad"/> (PyTorch's defaults).</summary>
public sealed record AdagradOptions : OptimizerOptions
{
    /// <summary>Creates Adagrad options with the learning rate <paramref name="lr"/>.</summary>
    public AdagradOptions(double lr = 1e-2) => Lr = lr;

    /// <summary>The learning-rate decay: step t uses γ / (1 + (t − 1)·lrDecay).</summary>
    [Hyperparameter("lr_decay", Range = HyperparameterRange.NonNegative)]
    public double LrDecay { get; init; }

    /// <summary>The L2 penalty λ added to the gradient.</summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; }

    /// <summary>The starting value of the sum of squared gradients.</summary>
    [Hyperparameter("initial_accumulator_value", Range = HyperparameterRange.NonNegative)]
    public double InitialAccumulatorValue { get; init; }

    /// <summary>The term ε added to the denominator.</summary>
    [Hyperparameter("eps", Range = HyperparameterRange.NonNegative)]
    public double Eps { get; init; } = 1e-10;

    /// <summary>Maximise the objective instead of minimising it.</summary>
    [Hyperparameter("maximize")]
    public bool Maximize { get; init; }
}

/// <summary>Adagrad: per-parameter learning rates from the sum of past squared gradients, as <c>torch.optim.Adagrad</c> (Duchi et al., 2011).</summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, decay η, weight decay λ, for t = 1, 2, … (s starts at the initial accumulator value):</para>
/// <code>
/// g ← ∇f(θ)                     (−∇f(θ) when maximize)
/// g ← g + λθ                    (if λ ≠ 0)
/// γₜ ← γ / (1 + (t − 1)η)
/// s ← s + g²
/// θ ← θ − γₜ · g / (√s + ε)
/// </code>
/// <para><b>Principle:</b> parameters that received large gradients so far get smaller steps, rarely-updated ones keep
/// large steps.</para>
/// <para><b>Strengths:</b> little tuning; excellent for sparse features (rare words, one-hot inputs) whose parameters
/// would otherwise learn too slowly; convex guarantees.</para>
/// <para><b>Weaknesses:</b> the sum only grows, so the effective learning rate decays to zero and long training stalls;
/// poor for non-convex deep networks (Adadelta and RMSprop fix this with moving averages).</para>
/// <para><b>Suits:</b> sparse data (NLP with bag-of-words, recommendation, click prediction), convex problems, short
/// trainings.</para>
/// </remarks>
public sealed class Adagrad : Optimizer<AdagradOptions>
{
    /// <summary>Creates Adagrad over <paramref name="parameters"/> with PyTorch's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ.</param>
    /// <param name="lrDecay">Learning-rate decay η.</param>
    /// <param name="weightDecay">L2 penalty λ.</param>
    /// <param name="initialAccumulatorValue">Starting value of the sum of squares.</param>
    /// <param name="eps">Denominator term ε.</param>
    /// <param name="maximize">Maximise the objective instead.</param>
    public Adagrad(IEnumerable<Tensor> parameters, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : base(parameters, Options(lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize))
    {
    }

    /// <summary>Creates Adagrad over parameter groups; each group may change the defaults.</summary>
    public Adagrad(IEnumerable<ParamGroupSpec<AdagradOptions>> groups, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : base(groups, Options(lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize))
    {
    }

    private static AdagradOptions Options(double lr, double lrDecay, double weightDecay, double initial, double eps, bool maximize) =>
        new(lr) { LrDecay = lrDecay, WeightDecay = weightDecay, InitialAccumulatorValue = initial, Eps = eps, Maximize = maximize };

    /// <summary>Creates Adagrad over parameter groups with the given defaults (each group may change them).</summary>
    public Adagrad(IEnumerable<ParamGroupSpec<AdagradOptions>> groups, AdagradOptions defaults) : base(groups, defaults)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, AdagradOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var sum = state.Buffer("sum", parameter, options.InitialAccumulatorValue);
        long step = ++state.Step;
        double clr = options.Lr / (1 + (step - 1) * options.LrDecay);
        FusedUpdate.Run(parameter, grad, options.Maximize, new AdagradRule<float>(options, clr), new AdagradRule<double>(options, clr), sum);
    }
}

/// <summary>Adagrad's update of one element, in torch.optim.Adagrad's order. State: s0 = sum.</summary>
internal readonly struct AdagradRule<T>(AdagradOptions o, double clr) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _weightDecay = T.CreateTruncating(o.WeightDecay), _eps = T.CreateTruncating(o.Eps), _negClr = T.CreateTruncating(-clr);
    private readonly bool _hasWeightDecay = o.WeightDecay != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T s, ref T unused1, ref T unused2)
    {
        if (_hasWeightDecay) g += theta * _weightDecay;
        s += g * g;
        return theta + g * _negClr / (T.Sqrt(s) + _eps);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> s, ref Vector<T> unused1, ref Vector<T> unused2)
    {
        if (_hasWeightDecay) g += theta * _weightDecay;
        s += g * g;
        return theta + g * _negClr / (Vector.SquareRoot(s) + new Vector<T>(_eps));
    }
}
