using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="ASGD"/> (PyTorch's defaults).</summary>
public sealed record ASGDOptions : OptimizerOptions
{
    /// <summary>Creates ASGD options with the learning rate <paramref name="lr"/>.</summary>
    public ASGDOptions(double lr = 1e-2) => Lr = lr;

    /// <summary>The decay term λ: it shrinks the weights by ηλ each step and slows the decay of the step size η.</summary>
    [Hyperparameter("lambd", Range = HyperparameterRange.NonNegative)]
    public double Lambd { get; init; } = 1e-4;

    /// <summary>The power α of the step size's decay, ηₜ = γ / (1 + λγt)^α.</summary>
    [Hyperparameter("alpha", Range = HyperparameterRange.NonNegative)]
    public double Alpha { get; init; } = 0.75;

    /// <summary>The step t₀ after which the parameters are averaged (before it, the average is the current point).</summary>
    [Hyperparameter("t0", Range = HyperparameterRange.NonNegative)]
    public double T0 { get; init; } = 1e6;

    /// <summary>The L2 penalty added to the gradient.</summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; }

    /// <summary>Maximise the objective instead of minimising it.</summary>
    [Hyperparameter("maximize")]
    public bool Maximize { get; init; }
}

/// <summary>
/// ASGD: averaged stochastic gradient descent, as <c>torch.optim.ASGD</c> of PyTorch 1.13 (Polyak &amp; Juditsky, 1992;
/// Bottou's step-size schedule). The answer is the average of the iterates, not the last iterate: read it with
/// <see cref="Averaged"/>, or put it into the parameters with <see cref="CopyAveragesToParameters"/>.
/// </summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, decay λ, power α, averaging start t₀, weight decay w, for t = 1, 2, …
/// (η₀ = γ, μ₀ = 1):</para>
/// <code>
/// g ← ∇f(θ)                   (−∇f(θ) when maximize)
/// g ← g + wθ                  (if w ≠ 0)
/// θ ← θ(1 − λη) − ηg
/// ax ← θ if μ = 1, else ax + μ(θ − ax)
/// η ← γ / (1 + λγt)^α
/// μ ← 1 / max(1, t − t₀)
/// </code>
/// <para>As PyTorch, η and μ are kept in single precision whatever the parameters' dtype (state <c>eta</c>, <c>mu</c>),
/// and the averages in the state tensor <c>ax</c>. From step t₀ + 2 on, ax is the mean of the iterates since then.</para>
/// <para><b>Principle:</b> the iterates of stochastic gradient descent jitter around the minimum; their running average
/// does not. Averaging after a burn-in of t₀ steps gives the best rate an SGD-type method can have on convex problems,
/// with a slowly decaying step size instead of a finely tuned one.</para>
/// <para><b>Strengths:</b> the averaged point is far less noisy than the last iterate, so noisy gradients still give a
/// precise answer; insensitive to the exact step size on convex problems; one buffer of memory.</para>
/// <para><b>Weaknesses:</b> the averages are only useful once t₀ is reached (PyTorch's default t₀ = 10⁶ never averages in
/// short runs); averaging early iterates far from the minimum slows convergence; the step size decays on a fixed
/// schedule.</para>
/// <para><b>Suits:</b> convex or nearly convex problems with noisy gradients: linear and logistic regression trained by
/// SGD, online learning, the final phase of a training run.</para>
/// </remarks>
public sealed class ASGD : Optimizer<ASGDOptions>
{
    /// <summary>Creates ASGD over <paramref name="parameters"/> with PyTorch's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ (the first step size η₀).</param>
    /// <param name="lambd">Decay term λ.</param>
    /// <param name="alpha">Power α of the step size's decay.</param>
    /// <param name="t0">The step after which averaging starts.</param>
    /// <param name="weightDecay">L2 penalty w.</param>
    /// <param name="maximize">Maximise the objective instead.</param>
    public ASGD(IEnumerable<Tensor> parameters, double lr = 1e-2, double lambd = 1e-4, double alpha = 0.75, double t0 = 1e6,
        double weightDecay = 0, bool maximize = false)
        : base(parameters, new ASGDOptions(lr) { Lambd = lambd, Alpha = alpha, T0 = t0, WeightDecay = weightDecay, Maximize = maximize })
    {
    }

    /// <summary>Creates ASGD over parameter groups with the given defaults (each group may change them).</summary>
    public ASGD(IEnumerable<ParamGroupSpec<ASGDOptions>> groups, ASGDOptions defaults) : base(groups, defaults)
    {
    }

    /// <summary>
    /// The averaged value of <paramref name="parameter"/> (the state <c>ax</c>), as a new tensor of the parameter's shape and
    /// dtype; a copy of the parameter itself before its first step. Before step t₀ + 2 the average is the current point.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not one of this optimizer's parameters.</exception>
    public Tensor Averaged(Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (!Parameters().Contains(parameter, TensorIdentity.Instance))
            throw new ArgumentException($"the tensor (shape {Shapes.Format(parameter.ShapeArray)}) is not a parameter of this optimizer", nameof(parameter));
        var source = StateOf(parameter)?.Tensors.GetValueOrDefault("ax") ?? parameter;
        return ParamState.CopyOf(source.Detach());
    }

    /// <summary>
    /// Copies every parameter's average into the parameter itself (parameters not yet stepped keep their value): what to do
    /// before evaluating or saving the model trained with ASGD. Further steps continue from the averaged point.
    /// </summary>
    public void CopyAveragesToParameters()
    {
        using var noGrad = Autograd.NoGrad();
        foreach (var p in Parameters())
            if (StateOf(p)?.Tensors.GetValueOrDefault("ax") is { } ax) ax.CopyInto(p);
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, ASGDOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var ax = state.Buffer("ax", parameter);
        // PyTorch keeps eta and mu in float32 tensors and reads them back with .item(): their single-precision values.
        double eta = state.Numbers.GetValueOrDefault("eta", (float)options.Lr);
        double mu = state.Numbers.GetValueOrDefault("mu", 1.0);
        long t = ++state.Step;
        var rule = new AsgdStep(options, eta, mu);
        FusedUpdate.Run(parameter, grad, options.Maximize, new AsgdRule<float>(rule), new AsgdRule<double>(rule), ax);
        state.Numbers["eta"] = (float)(options.Lr / Math.Pow(1 + options.Lambd * options.Lr * t, options.Alpha));
        state.Numbers["mu"] = (float)(1.0 / Math.Max(1.0, t - options.T0));
    }
}

/// <summary>ASGD's constants of one step: the options, and the step size η and averaging weight μ the state held.</summary>
internal readonly record struct AsgdStep(ASGDOptions Options, double Eta, double Mu);

/// <summary>ASGD's update of one element, in torch.optim.ASGD's order. State: s0 = ax.</summary>
internal readonly struct AsgdRule<T>(AsgdStep c) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _weightDecay = T.CreateTruncating(c.Options.WeightDecay), _decay = T.CreateTruncating(1 - c.Options.Lambd * c.Eta);
    private readonly T _negEta = T.CreateTruncating(-c.Eta), _mu = T.CreateTruncating(c.Mu);
    private readonly bool _hasWeightDecay = c.Options.WeightDecay != 0, _averaging = c.Mu != 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T ax, ref T unused1, ref T unused2)
    {
        if (_hasWeightDecay) g += theta * _weightDecay;
        theta = theta * _decay + g * _negEta;
        ax = _averaging ? ax + (theta - ax) * _mu : theta;
        return theta;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> ax, ref Vector<T> unused1, ref Vector<T> unused2)
    {
        if (_hasWeightDecay) g += theta * _weightDecay;
        theta = theta * _decay + g * _negEta;
        ax = _averaging ? ax + (theta - ax) * _mu : theta;
        return theta;
    }
}
