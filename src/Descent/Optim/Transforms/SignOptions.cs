namespace Descent.Optim;

/// <summary>
/// The hyperparameters of a chain whose scaling is <see cref="Transforms.ScaleBySign"/> (signSGD, and Signum with a
/// <see cref="Transforms.Trace"/> before the sign): what <see cref="SGDOptions"/> holds for the momentum, and the Adam
/// family's weight decay, an L2 penalty or a decoupled decay.
/// </summary>
public sealed record SignOptions : OptimizerOptions
{
    /// <summary>Creates sign options with the learning rate <paramref name="lr"/>: each coordinate moves by it per step.</summary>
    public SignOptions(double lr) => Lr = lr;

    /// <summary>The momentum factor μ of the buffer whose sign is taken (0 = the sign of the gradient itself).</summary>
    [Hyperparameter("momentum", Range = HyperparameterRange.NonNegative, Cycled = true)]
    public double Momentum { get; init; }

    /// <summary>The dampening τ of the momentum's new gradient term: b ← μb + (1 − τ)g.</summary>
    [Hyperparameter("dampening", Range = HyperparameterRange.Finite)]
    public double Dampening { get; init; }

    /// <summary>The weight decay λ: an L2 penalty added to the gradient, or with <see cref="DecoupledWeightDecay"/> θ ← θ(1 − γλ).</summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; }

    /// <summary>Take the sign of g + μb instead of b (Nesterov).</summary>
    [Hyperparameter("nesterov")]
    public bool Nesterov { get; init; }

    /// <summary>Maximise the objective instead of minimising it.</summary>
    [Hyperparameter("maximize")]
    public bool Maximize { get; init; }

    /// <summary>Decay the weights directly, θ ← θ(1 − γλ), before the step, instead of adding λθ to the gradient.</summary>
    [Hyperparameter("decoupled_weight_decay")]
    public bool DecoupledWeightDecay { get; init; }

    /// <inheritdoc/>
    protected override void ValidateTogether()
    {
        Require.NesterovMomentum(Nesterov, Momentum, Dampening);
    }
}
