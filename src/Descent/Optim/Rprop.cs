using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="Rprop"/> (PyTorch's defaults).</summary>
public sealed record RpropOptions : OptimizerOptions
{
    /// <summary>Creates Rprop options with the initial step size <paramref name="lr"/>.</summary>
    public RpropOptions(double lr = 1e-2) => Lr = lr;

    /// <summary>The factors (η₋, η₊) that shrink a step size when the gradient's sign flips and grow it when it holds.</summary>
    [Hyperparameter("etas", ElementNames = ["eta-minus", "eta-plus"])]
    public (double, double) Etas { get; init; } = (0.5, 1.2);

    /// <summary>The bounds (Δmin, Δmax) of every step size.</summary>
    [Hyperparameter("step_sizes", ElementNames = ["step-size-min", "step-size-max"])]
    public (double, double) StepSizes { get; init; } = (1e-6, 50);

    /// <summary>Maximise the objective instead of minimising it.</summary>
    [Hyperparameter("maximize")]
    public bool Maximize { get; init; }

    /// <inheritdoc/>
    protected override void ValidateTogether()
    {
        var (minus, plus) = Etas;
        if (!(0 < minus && minus < 1 && 1 < plus && double.IsFinite(plus)))
            throw new ArgumentOutOfRangeException("etas", Etas, $"etas must satisfy 0 < etas[0] < 1 < etas[1], got ({Require.Format(minus)}, {Require.Format(plus)})");
        var (min, max) = StepSizes;
        if (!(0 <= min && min <= max && double.IsFinite(max)))
            throw new ArgumentOutOfRangeException("stepSizes", StepSizes, $"stepSizes must satisfy 0 <= stepSizes[0] <= stepSizes[1], finite, got ({Require.Format(min)}, {Require.Format(max)})");
    }
}

/// <summary>Rprop: resilient backpropagation, steps from the gradient's sign alone, as <c>torch.optim.Rprop</c> (Riedmiller &amp; Braun, 1993).</summary>
/// <remarks>
/// <para>Update rule, with initial step size γ, etas (η₋, η₊), step-size bounds [Δmin, Δmax]; each element keeps a step
/// size Δ (starting at γ) and the previous gradient g′ (starting at 0):</para>
/// <code>
/// g ← ∇f(θ)                     (−∇f(θ) when maximize)
/// Δ ← min(Δη₊, Δmax)   if g·g′ &gt; 0
/// Δ ← max(Δη₋, Δmin); g ← 0   if g·g′ &lt; 0
/// θ ← θ − sign(g)·Δ
/// g′ ← g
/// </code>
/// <para><b>Principle:</b> forget the gradient's size and keep its sign: each weight has its own step size, which grows
/// while the sign holds and shrinks when it flips (the minimum was overshot).</para>
/// <para><b>Strengths:</b> insensitive to the gradient's scale (vanishing or exploding magnitudes do not matter); fast on
/// small smooth problems. <b>Weaknesses:</b> needs full-batch gradients, since noisy mini-batch signs make it erratic; two
/// buffers. <b>Suits:</b> full-batch training of small networks, deterministic curve fitting.</para>
/// </remarks>
public sealed class Rprop : Optimizer<RpropOptions>
{
    /// <summary>Creates Rprop over <paramref name="parameters"/> with PyTorch's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Initial step size γ.</param>
    /// <param name="etas">Shrink and growth factors (η₋, η₊); default (0.5, 1.2).</param>
    /// <param name="stepSizes">Step-size bounds (Δmin, Δmax); default (1e-6, 50).</param>
    /// <param name="maximize">Maximise the objective instead.</param>
    public Rprop(IEnumerable<Tensor> parameters, double lr = 1e-2, (double, double)? etas = null, (double, double)? stepSizes = null, bool maximize = false)
        : base(parameters, new RpropOptions(lr) { Etas = etas ?? (0.5, 1.2), StepSizes = stepSizes ?? (1e-6, 50), Maximize = maximize })
    {
    }

    /// <summary>Creates Rprop over parameter groups; each group may change the defaults.</summary>
    public Rprop(IEnumerable<ParamGroupSpec<RpropOptions>> groups, double lr = 1e-2, (double, double)? etas = null, (double, double)? stepSizes = null, bool maximize = false)
        : base(groups, new RpropOptions(lr) { Etas = etas ?? (0.5, 1.2), StepSizes = stepSizes ?? (1e-6, 50), Maximize = maximize })
    {
    }

    /// <summary>Creates Rprop over parameter groups with the given defaults (each group may change them).</summary>
    public Rprop(IEnumerable<ParamGroupSpec<RpropOptions>> groups, RpropOptions defaults) : base(groups, defaults)
    {
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, RpropOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var prev = state.Buffer("prev", parameter);
        var size = state.Buffer("step_size", parameter, options.Lr);
        state.Step++;
        FusedUpdate.Run(parameter, grad, options.Maximize, new RpropRule<float>(options), new RpropRule<double>(options), prev, size);
    }
}

/// <summary>
/// Rprop's update of one element, in torch.optim.Rprop's order: the step size grows, shrinks or holds with the sign of
/// g·g′, and a flipped gradient is zeroed (no step, and no flip next time). State: s0 = prev (g′), s1 = step_size.
/// </summary>
internal readonly struct RpropRule<T>(RpropOptions o) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _etaMinus = T.CreateTruncating(o.Etas.Item1), _etaPlus = T.CreateTruncating(o.Etas.Item2);
    private readonly T _stepMin = T.CreateTruncating(o.StepSizes.Item1), _stepMax = T.CreateTruncating(o.StepSizes.Item2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T prev, ref T size, ref T unused)
    {
        T product = g * prev;
        T eta = product > T.Zero ? _etaPlus : product < T.Zero ? _etaMinus : T.One;
        size = T.Min(T.Max(size * eta, _stepMin), _stepMax);
        if (product < T.Zero) g = T.Zero;
        T sign = g > T.Zero ? T.One : g < T.Zero ? -T.One : T.Zero;
        prev = g;
        return theta + -sign * size;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> prev, ref Vector<T> size, ref Vector<T> unused)
    {
        var zero = Vector<T>.Zero;
        var one = Vector<T>.One;
        var product = g * prev;
        var down = Vector.LessThan(product, zero);
        var eta = Vector.ConditionalSelect(Vector.GreaterThan(product, zero), new Vector<T>(_etaPlus), Vector.ConditionalSelect(down, new Vector<T>(_etaMinus), one));
        size = Vector.Min(Vector.Max(size * eta, new Vector<T>(_stepMin)), new Vector<T>(_stepMax));
        g = Vector.ConditionalSelect(down, zero, g);
        var sign = Vector.ConditionalSelect(Vector.GreaterThan(g, zero), one, Vector.ConditionalSelect(Vector.LessThan(g, zero), -one, zero));
        prev = g;
        return theta + -sign * size;
    }
}
