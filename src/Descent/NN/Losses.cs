namespace Descent.NN;

/// <summary>A loss as a module: <see cref="Forward(Tensor, Tensor)"/> takes predictions and targets.</summary>
public abstract class Loss
{
    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>.</summary>
    public abstract Tensor Forward(Tensor input, Tensor target);
}

/// <summary>Mean squared error.</summary>
public sealed class MSELoss(Reduction reduction = Reduction.Mean) : Loss
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input, Tensor target) => Functional.MseLoss(input, target, reduction);
}

/// <summary>Mean absolute error.</summary>
public sealed class L1Loss(Reduction reduction = Reduction.Mean) : Loss
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input, Tensor target) => Functional.L1Loss(input, target, reduction);
}

/// <summary>Huber loss: quadratic within <c>delta</c>, linear beyond.</summary>
public sealed class HuberLoss(Reduction reduction = Reduction.Mean, double delta = 1.0) : Loss
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input, Tensor target) => Functional.HuberLoss(input, target, reduction, delta);
}

/// <summary>Cross entropy of logits against class indices (or probabilities), with class weights and label smoothing.</summary>
public sealed class CrossEntropyLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0) : Loss
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input, Tensor target) => Functional.CrossEntropy(input, target, weight, ignoreIndex, reduction, labelSmoothing);
}

/// <summary>Negative log-likelihood of log-probabilities at class indices.</summary>
public sealed class NLLLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean) : Loss
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input, Tensor target) => Functional.NllLoss(input, target, weight, ignoreIndex, reduction);
}

/// <summary>Binary cross entropy of logits, computed stably.</summary>
public sealed class BCEWithLogitsLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? posWeight = null) : Loss
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropyWithLogits(input, target, weight, reduction, posWeight);
}
