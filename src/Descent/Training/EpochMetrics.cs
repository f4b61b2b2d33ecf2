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

/// <summary>
/// Thrown when training diverges: a batch's loss became NaN or infinite (checked before its step), or at the end of an
/// epoch (after its evaluation, before anything is averaged, scheduled, recorded or checkpointed) the epoch's training or
/// validation loss is not finite, or a parameter or buffer of the model (or of the running average) holds a NaN or an
/// infinity, as the epoch's last step can leave it. The epoch it names is not completed: <see cref="Trainer.History"/>
/// and <see cref="Trainer.CompletedEpochs"/> end before it and no checkpoint of it is written.
/// </summary>
/// <remarks>
/// The messages, one line each:
/// <list type="bullet">
/// <item><c>training diverged: the loss became NaN at epoch 2, batch 5; lower the learning rate or check the inputs</c></item>
/// <item><c>training diverged: the validation loss became Infinity at the end of epoch 2 (after batch 8); lower the
/// learning rate or check the inputs</c> (or <c>the training loss</c>)</item>
/// <item><c>training diverged: parameter '0.weight' (shape [16, 4]) is not finite at the end of epoch 2 (after batch 8):
/// 3 of 64 elements not finite, the first NaN at index 5; lower the learning rate or check the inputs</c></item>
/// </list>
/// </remarks>
public sealed class TrainingDivergedException : InvalidOperationException
{
    private const string Advice = "lower the learning rate or check the inputs";

    /// <summary>A batch's loss became non-finite.</summary>
    /// <param name="epoch">The epoch, from 1.</param>
    /// <param name="batch">The batch within the epoch, from 1.</param>
    /// <param name="loss">The non-finite loss.</param>
    public TrainingDivergedException(int epoch, int batch, double loss)
        : this(epoch, batch, loss, null, $"training diverged: the loss became {Require.Format(loss)} at epoch {epoch}, batch {batch}; {Advice}")
    {
    }

    private TrainingDivergedException(int epoch, int batch, double loss, string? parameter, string message) : base(message)
    {
        Epoch = epoch;
        Batch = batch;
        Loss = loss;
        Parameter = parameter;
    }

    /// <summary>The epoch's training or validation loss (<paramref name="which"/>) is not finite at its end.</summary>
    internal static TrainingDivergedException AtEpochEnd(int epoch, int lastBatch, string which, double loss) =>
        new(epoch, lastBatch, loss, null, $"training diverged: the {which} loss became {Require.Format(loss)} at the end of epoch {epoch} (after batch {lastBatch}); {Advice}");

    /// <summary>A parameter or buffer holds a NaN or an infinity at the end of an epoch (<paramref name="where"/> says more, or is empty).</summary>
    internal static TrainingDivergedException OfParameter(int epoch, int lastBatch, double loss, string name, Tensor value, string where) =>
        new(epoch, lastBatch, loss, name,
            $"training diverged: parameter '{name}' (shape {Shapes.Format(value.ShapeArray)}) is not finite at the end of epoch {epoch} (after batch {lastBatch}){where}: " +
            $"{value.DescribeNonFinite()}; {Advice}");

    /// <summary>The epoch (from 1).</summary>
    public int Epoch { get; }

    /// <summary>The batch within the epoch (from 1) whose loss was not finite; for a check at the end of the epoch, its last batch.</summary>
    public int Batch { get; }

    /// <summary>The non-finite loss; when a parameter is not finite, the epoch's training loss (which may be finite).</summary>
    public double Loss { get; }

    /// <summary>
    /// The state-dict name of the parameter or buffer that is not finite (<c>averaged.</c> before the name for the running
    /// average's, <see cref="Trainer.Averaged"/>), or null when a loss is not finite.
    /// </summary>
    public string? Parameter { get; }
}
