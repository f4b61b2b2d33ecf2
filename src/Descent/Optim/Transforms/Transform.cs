using System.Globalization;

namespace Descent.Optim;

/// <summary>
/// One link of an optimizer built as a chain of gradient transformations, in Optax's way: made by
/// <see cref="Transforms"/> (<see cref="Transforms.ScaleByAdam"/>, <see cref="Transforms.AddDecayedWeights"/>, …) and
/// joined by <see cref="Transforms.Chain"/>. A transform is a description: the chain lowers the whole sequence onto one
/// fused update (see <see cref="TransformChain"/>).
/// </summary>
public abstract class Transform
{
    private protected Transform()
    {
    }

    /// <summary>The short name the chain's messages use (<c>ScaleByAdam</c>).</summary>
    internal abstract string Name { get; }

    /// <summary>The transform as the call that makes it, e.g. <c>ScaleByAdam(betas: (0.9, 0.999), eps: 1E-08, amsgrad: False)</c>.</summary>
    public override string ToString() => $"{Name}({Arguments})";

    /// <summary>The arguments inside <see cref="ToString"/>'s parentheses.</summary>
    private protected abstract string Arguments { get; }

    private protected static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private protected static string F((double, double) pair) => $"({F(pair.Item1)}, {F(pair.Item2)})";
}

/// <summary>Scales every gradient by min(1, maxNorm / (‖g‖ + 1e-6)), ‖g‖ the 2-norm of all of them together.</summary>
internal sealed class ClipByGlobalNormTransform(double maxNorm, bool errorIfNonfinite) : Transform
{
    public double MaxNorm { get; } = maxNorm;

    public bool ErrorIfNonfinite { get; } = errorIfNonfinite;

    internal override string Name => "ClipByGlobalNorm";

    private protected override string Arguments => $"maxNorm: {F(MaxNorm)}" + (ErrorIfNonfinite ? ", errorIfNonfinite: True" : "");
}

/// <summary>Adds λθ: before the scaling an L2 penalty on the gradient, after it a decoupled weight decay.</summary>
internal sealed class AddDecayedWeightsTransform(double weightDecay) : Transform
{
    public double WeightDecay { get; } = weightDecay;

    internal override string Name => "AddDecayedWeights";

    private protected override string Arguments => F(WeightDecay);
}

/// <summary>A momentum buffer: b ← g at the first step, then b ← μb + (1 − τ)g; the update is b, or g + μb (Nesterov).</summary>
internal sealed class TraceTransform(double momentum, double dampening, bool nesterov) : Transform
{
    public double Momentum { get; } = momentum;

    public double Dampening { get; } = dampening;

    public bool Nesterov { get; } = nesterov;

    internal override string Name => "Trace";

    private protected override string Arguments =>
        $"momentum: {F(Momentum)}" + (Dampening != 0 ? $", dampening: {F(Dampening)}" : "") + (Nesterov ? ", nesterov: True" : "");
}

/// <summary>Adam's bias-corrected first moment over the root of its second.</summary>
internal sealed class ScaleByAdamTransform((double, double) betas, double eps, bool amsgrad) : Transform
{
    public (double, double) Betas { get; } = betas;

    public double Eps { get; } = eps;

    public bool AmsGrad { get; } = amsgrad;

    internal override string Name => "ScaleByAdam";

    private protected override string Arguments => $"betas: {F(Betas)}, eps: {F(Eps)}" + (AmsGrad ? ", amsgrad: True" : "");
}

/// <summary>The gradient over the root of a running average of its square (RMSprop's).</summary>
internal sealed class ScaleByRmsTransform(double alpha, double eps, bool centered) : Transform
{
    public double Alpha { get; } = alpha;

    public double Eps { get; } = eps;

    public bool Centered { get; } = centered;

    internal override string Name => "ScaleByRms";

    private protected override string Arguments => $"alpha: {F(Alpha)}, eps: {F(Eps)}" + (Centered ? ", centered: True" : "");
}

/// <summary>Lion's sign of an interpolation between its momentum and the gradient.</summary>
internal sealed class ScaleByLionTransform((double, double) betas) : Transform
{
    public (double, double) Betas { get; } = betas;

    internal override string Name => "ScaleByLion";

    private protected override string Arguments => $"betas: {F(Betas)}";
}

/// <summary>The sign of the update (1, −1, or 0 for 0).</summary>
internal sealed class ScaleBySignTransform : Transform
{
    internal override string Name => "ScaleBySign";

    private protected override string Arguments => "";
}

/// <summary>Multiplies by −γ (descent), or ascends when maximizing: the gradient is negated as it enters the chain.</summary>
internal sealed class ScaleByLearningRateTransform(double lr, bool maximize) : Transform
{
    public double Lr { get; } = lr;

    public bool Maximize { get; } = maximize;

    internal override string Name => "ScaleByLearningRate";

    private protected override string Arguments => F(Lr) + (Maximize ? ", maximize: True" : "");
}
