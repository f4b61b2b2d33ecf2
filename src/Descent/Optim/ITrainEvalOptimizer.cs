namespace Descent.Optim;

/// <summary>
/// An optimizer whose parameters hold, while it trains, another point than the one to evaluate: schedule-free
/// optimizers train at y and evaluate at x, the average. <see cref="Eval"/> puts the evaluation point in the
/// parameters and <see cref="Train"/> puts the training point back; a step needs training mode. The
/// <see cref="Training.Trainer"/> switches around every evaluation and leaves the evaluation point in the model after
/// <c>Fit</c>.
/// </summary>
public interface ITrainEvalOptimizer
{
    /// <summary>True while the parameters hold the training point (the mode a new optimizer starts in).</summary>
    bool IsTraining { get; }

    /// <summary>Puts the training point in the parameters; nothing when already training.</summary>
    void Train();

    /// <summary>Puts the evaluation point in the parameters; nothing when already evaluating.</summary>
    void Eval();
}
