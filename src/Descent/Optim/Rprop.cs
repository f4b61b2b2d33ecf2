using System.Globalization;
using System.Numerics;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="Rprop"/> (PyTorch's defaults).</summary>
public sealed record RpropOptions : OptimizerOptions
{
    /// <summary>Creates Rprop options with the learning rate <paramref name="lr"/> (the initial step size).</summary>
    public RpropOptions(double lr = 1e-2) => Lr = lr;

    /// <summary>The factors (η₋, η₊) by which a step size shrinks when the gradient's sign flips and grows when it holds.</summary>
    public (double, double) Etas { get; init; } = (0.5, 1.2);

    /// <summary>The smallest and largest allowed step sizes.</summary>
    public (double, double) StepSizes { get; init; } = (1e-6, 50);

    /// <summary>Maximise the objective instead of minimising it.</summary>
    public bool Maximize { get; init; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        var (minus, plus) = Etas;
        if (!(0 < minus && minus < 1 && 1 < plus && double.IsFinite(plus)))
            throw new ArgumentOutOfRangeException("etas", Etas, string.Create(CultureInfo.InvariantCulture, $"etas must satisfy 0 < etas[0] < 1 < etas[1], got ({minus}, {plus})"));
        var (min, max) = StepSizes;
        if (!(0 <= min && min <= max && double.IsFinite(max)))
            throw new ArgumentOutOfRangeException("stepSizes", StepSizes, string.Create(CultureInfo.InvariantCulture, $"stepSizes must satisfy 0 <= stepSizes[0] <= stepSizes[1], finite, got ({min}, {max})"));
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> ToDictionary() => new Dictionary<string, object>
    {
        ["lr"] = Lr, ["etas"] = new[] { Etas.Item1, Etas.Item2 }, ["step_sizes"] = new[] { StepSizes.Item1, StepSizes.Item2 }, ["maximize"] = Maximize,
    };

    /// <inheritdoc/>
    protected internal override OptimizerOptions WithValues(IReadOnlyDictionary<string, object> values) => this with
    {
        Lr = Number(values, "lr", Lr), Etas = Pair(values, "etas", Etas), StepSizes = Pair(values, "step_sizes", StepSizes),
        Maximize = Flag(values, "maximize", Maximize),
    };
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

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, RpropOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var prev = state.Buffer("prev", parameter);
        var size = state.Buffer("step_size", parameter, options.Lr);
        state.Step++;
        if (parameter.DType == DType.Float32) Run<float>(parameter, grad, prev, size, options);
        else Run<double>(parameter, grad, prev, size, options);
    }

    private static void Run<T>(Tensor p, Tensor g, Tensor prev, Tensor size, RpropOptions o) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var k = new RpropKernel<T>
        {
            P = (T[])p.Storage, POff = p.Offset, G = (T[])g.Storage, GOff = g.Offset,
            Prev = (T[])prev.Storage, PrevOff = prev.Offset, StepSize = (T[])size.Storage, StepSizeOff = size.Offset,
            EtaMinus = T.CreateTruncating(o.Etas.Item1), EtaPlus = T.CreateTruncating(o.Etas.Item2),
            StepMin = T.CreateTruncating(o.StepSizes.Item1), StepMax = T.CreateTruncating(o.StepSizes.Item2), Maximize = o.Maximize,
        };
        OptimParallel.For(ref k, p.NumEl);
    }
}
