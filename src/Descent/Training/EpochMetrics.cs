namespace Descent.Training;

/// <summary>What one epoch of training measured.</summary>
/// <param name="Epoch">The epoch number, from 1.</param>
/// <param name="TrainLoss">The mean training loss over the epoch's samples.</param>
/// <param name="TrainAccuracy">The fraction of training samples classified correctly, or null for regression.</param>
/// <param name="ValidationLoss">The mean loss on the evaluation data, or null when there is none.</param>
/// <param name="ValidationAccuracy">The accuracy on the evaluation data, or null.</param>
/// <param name="Seconds">Wall-clock seconds the epoch's training took (evaluation excluded).</param>
/// <param name="LearningRates">Each parameter group's learning rate at the end of the epoch.</param>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double? TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double Seconds,
    IReadOnlyList<double> LearningRates);

/// <summary>Progress within an epoch, reported after every batch.</summary>
/// <param name="Epoch">The epoch number, from 1.</param>
/// <param name="Batch">The batch number within the epoch, from 1.</param>
/// <param name="Batches">The number of batches in the epoch.</param>
/// <param name="Loss">This batch's loss.</param>
public readonly record struct BatchProgress(int Epoch, int Batch, int Batches, double Loss);

/// <summary>Thrown when the loss becomes NaN or infinite; names the epoch and batch where it happened.</summary>
public sealed class TrainingDivergedException(int epoch, int batch, double loss)
    : InvalidOperationException($"training diverged: the loss became {loss} at epoch {epoch}, batch {batch}; lower the learning rate or check the inputs")
{
    /// <summary>The epoch (from 1).</summary>
    public int Epoch { get; } = epoch;

    /// <summary>The batch within the epoch (from 1).</summary>
    public int Batch { get; } = batch;

    /// <summary>The non-finite loss value.</summary>
    public double Loss { get; } = loss;
}
