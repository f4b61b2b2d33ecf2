using System.Diagnostics;
using Descent.Data;
using Descent.NN;
using Descent.Optim;
using Descent.Optim.Schedulers;

namespace Descent.Training;

/// <summary>
/// The training loop: for each epoch, for each batch — zero the gradients, compute the loss, back-propagate, step the
/// optimizer (and a per-batch scheduler); then evaluate, step a per-epoch scheduler, report and checkpoint. A NaN or
/// infinite loss stops training with a <see cref="TrainingDivergedException"/> naming the epoch and batch.
/// </summary>
public sealed class Trainer
{
    private readonly Func<Tensor, Tensor, Tensor> _loss;
    private readonly List<EpochMetrics> _history = [];

    /// <summary>Creates a trainer.</summary>
    /// <param name="model">The model to train.</param>
    /// <param name="optimizer">The optimizer over the model's parameters.</param>
    /// <param name="loss">The loss of (output, target), e.g. <c>(y, t) =&gt; F.CrossEntropy(y, t)</c>.</param>
    public Trainer(Module model, Optimizer optimizer, Func<Tensor, Tensor, Tensor> loss)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        _loss = loss ?? throw new ArgumentNullException(nameof(loss));
    }

    /// <summary>The model.</summary>
    public Module Model { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>An optional learning-rate schedule, stepped once per epoch (or per batch with <see cref="StepSchedulerPerBatch"/>).</summary>
    public LRScheduler? Scheduler { get; init; }

    /// <summary>Steps <see cref="Scheduler"/> after every batch (as OneCycleLR and CyclicLR expect) instead of every epoch.</summary>
    public bool StepSchedulerPerBatch { get; init; }

    /// <summary>
    /// Zeroes the gradients in place between batches (the default), so that their memory is reused; false sets them to
    /// null as PyTorch's <c>zero_grad()</c> does, which differs only for a parameter that gets no gradient in a batch:
    /// with null the optimizer skips it, with zeros it still applies momentum and weight decay.
    /// </summary>
    public bool ZeroGradInPlace { get; init; } = true;

    /// <summary>An optional plateau schedule, stepped each epoch with the validation loss (or the training loss when there is no validation data).</summary>
    public ReduceLROnPlateau? Plateau { get; init; }

    /// <summary>When set, a checkpoint is written there every <see cref="CheckpointEvery"/> epochs and after the last.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>How many epochs between checkpoints.</summary>
    public int CheckpointEvery { get; init; } = 1;

    /// <summary>The data loader's generator, saved in checkpoints so that a resumed run shuffles as an uninterrupted one.</summary>
    public Generator? DataGenerator { get; init; }

    /// <summary>
    /// An optional running average of the model's weights (<see cref="AveragedModel"/>), updated after every optimizer
    /// step with <see cref="AverageEveryStep"/> (an EMA) or else at the end of every epoch from
    /// <see cref="AverageFromEpoch"/> on (SWA). <see cref="EvaluateAveraged"/> evaluates it.
    /// </summary>
    public AveragedModel? Averaged { get; init; }

    /// <summary>The first epoch (from 1) at whose end <see cref="Averaged"/> is updated, when not every step.</summary>
    public int AverageFromEpoch { get; init; } = 1;

    /// <summary>Updates <see cref="Averaged"/> after every optimizer step (as an EMA is used) instead of every epoch.</summary>
    public bool AverageEveryStep { get; init; }

    /// <summary>
    /// The schedule of the averaging phase (SWA's <see cref="SWALR"/>): it takes over from <see cref="Scheduler"/> so that
    /// epoch <see cref="AverageFromEpoch"/> already trains on its first rate, being stepped at the end of every epoch from
    /// <see cref="AverageFromEpoch"/> − 1 on (<see cref="Scheduler"/> is no longer stepped then). Build it with
    /// <c>annealEpochs</c> &gt;= 1: its construction step then leaves the learning rate unchanged.
    /// </summary>
    public LRScheduler? AveragingScheduler { get; init; }

    /// <summary>Called after every batch.</summary>
    public Action<BatchProgress>? BatchEnded { get; init; }

    /// <summary>Called after every epoch.</summary>
    public Action<EpochMetrics>? EpochEnded { get; init; }

    /// <summary>The number of epochs completed (including those restored from a checkpoint).</summary>
    public int CompletedEpochs { get; private set; }

    /// <summary>The metrics of the epochs run by this trainer.</summary>
    public IReadOnlyList<EpochMetrics> History => _history;

    /// <summary>
    /// Trains until <paramref name="epochs"/> epochs are complete in all (a resumed trainer continues from
    /// <see cref="CompletedEpochs"/>), evaluating on <paramref name="validation"/> after each epoch when given.
    /// </summary>
    public IReadOnlyList<EpochMetrics> Fit(DataLoader train, int epochs, IEnumerable<(Tensor Input, Tensor Target)>? validation = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"epochs must be >= 1, got {epochs}");
        if (CheckpointEvery < 1) throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), CheckpointEvery, $"CheckpointEvery must be >= 1, got {CheckpointEvery}");
        if (AverageFromEpoch < 1) throw new ArgumentOutOfRangeException(nameof(AverageFromEpoch), AverageFromEpoch, $"AverageFromEpoch must be >= 1, got {AverageFromEpoch}");
        if (AveragingScheduler is not null && (Averaged is null || AverageEveryStep))
            throw new InvalidOperationException("AveragingScheduler is the schedule of a per-epoch average: set Averaged, and not AverageEveryStep");
        while (CompletedEpochs < epochs)
        {
            int epoch = CompletedEpochs + 1;
            var (trainLoss, trainAccuracy, seconds) = TrainEpoch(train, epoch);
            (double Loss, double? Accuracy)? eval = validation is null ? null : Evaluate(validation);
            if (Averaged is not null && !AverageEveryStep && epoch >= AverageFromEpoch) Averaged.UpdateParameters(Model);
            if (AveragingPhase(epoch + 1)) AveragingScheduler!.Step();
            else if (Scheduler is not null && !StepSchedulerPerBatch) Scheduler.Step();
            if (!AveragingPhase(epoch + 1)) Plateau?.Step(eval?.Loss ?? trainLoss); // the averaging schedule alone sets the rate then
            CompletedEpochs = epoch;
            var metrics = new EpochMetrics(epoch, trainLoss, trainAccuracy, eval?.Loss, eval?.Accuracy, seconds,
                Optimizer.ParamGroups.Select(g => g.Lr).ToArray());
            _history.Add(metrics);
            if (CheckpointPath is not null && (epoch % CheckpointEvery == 0 || epoch == epochs)) SaveCheckpoint(CheckpointPath);
            EpochEnded?.Invoke(metrics);
        }
        return _history;
    }

    private (double Loss, double? Accuracy, double Seconds) TrainEpoch(DataLoader train, int epoch)
    {
        Model.Train();
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        long samples = 0, correct = 0;
        bool classification = true;
        int batch = 0, batches = train.Count;
        using var batchesOfEpoch = train.GetEnumerator();
        while (true)
        {
            long? hits;
            double value;
            int n;
            // Each batch, from the data loader's copy of its rows to the optimizer step, runs in a scope: its tensors go
            // back to the pool at the end and the next batch reuses them instead of asking for fresh memory.
            using (new TensorScope())
            {
                if (!batchesOfEpoch.MoveNext()) break;
                var (input, target) = batchesOfEpoch.Current;
                batch++;
                Tensor output;
                if (Optimizer is FirstOrderOptimizer firstOrder)
                {
                    Optimizer.ZeroGrad(setToNone: !ZeroGradInPlace);
                    output = Model.Forward(input);
                    var loss = _loss(output, target);
                    value = loss.Item();
                    if (!double.IsFinite(value)) throw new TrainingDivergedException(epoch, batch, value);
                    loss.Backward();
                    firstOrder.Step();
                }
                else
                {
                    // L-BFGS evaluates the batch through the closure, as often as it needs; the first evaluation is the
                    // batch's loss and output, as for the others.
                    Tensor? first = null;
                    value = Optimizer.Step(() =>
                    {
                        Optimizer.ZeroGrad(setToNone: !ZeroGradInPlace);
                        var evaluated = Model.Forward(input);
                        first ??= evaluated;
                        var loss = _loss(evaluated, target);
                        loss.Backward();
                        return loss;
                    }).Item();
                    if (!double.IsFinite(value)) throw new TrainingDivergedException(epoch, batch, value);
                    output = first!;
                }
                hits = CountCorrect(output, target);
                n = input.Size(0);
            }
            if (AverageEveryStep) Averaged?.UpdateParameters(Model);
            if (Scheduler is not null && StepSchedulerPerBatch && !AveragingPhase(epoch)) Scheduler.Step();
            lossSum += value * n;
            samples += n;
            if (hits is null) classification = false;
            else correct += hits.Value;
            BatchEnded?.Invoke(new BatchProgress(epoch, batch, batches, value));
        }
        if (samples == 0) throw new InvalidOperationException("the training data loader produced no batches");
        return (lossSum / samples, classification ? (double)correct / samples : null, clock.Elapsed.TotalSeconds);
    }

    /// <summary>True when <paramref name="epoch"/> trains on <see cref="AveragingScheduler"/>'s rates.</summary>
    private bool AveragingPhase(int epoch) => AveragingScheduler is not null && epoch >= AverageFromEpoch;

    /// <summary>
    /// <see cref="Evaluate"/> with <see cref="Averaged"/>'s weights in the model (its own weights are back afterwards).
    /// <paramref name="prepare"/> runs first, on the model carrying the averaged weights: the place to recompute
    /// BatchNorm's running statistics for them.
    /// </summary>
    public (double Loss, double? Accuracy) EvaluateAveraged(IEnumerable<(Tensor Input, Tensor Target)> data, Action<Module>? prepare = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (Averaged is null) throw new InvalidOperationException("EvaluateAveraged needs Averaged, the running average of the weights");
        using (Averaged.SwapInto(Model))
        {
            prepare?.Invoke(Model);
            return Evaluate(data);
        }
    }

    /// <summary>The mean loss and (for classification with int64 targets) the accuracy on <paramref name="data"/>, in evaluation mode without recording a graph.</summary>
    public (double Loss, double? Accuracy) Evaluate(IEnumerable<(Tensor Input, Tensor Target)> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        bool wasTraining = Model.IsTraining;
        Model.Eval();
        try
        {
            using var _ = Autograd.NoGrad();
            double lossSum = 0;
            long samples = 0, correct = 0;
            bool classification = true;
            // A DataLoader's batches may come from each batch's scope (see DataLoader); any other sequence is read
            // before the scope begins, since it may keep what it yields.
            bool loader = data is DataLoader;
            using var batches = data.GetEnumerator();
            while (true)
            {
                if (!loader && !batches.MoveNext()) break;
                using var scope = new TensorScope();
                if (loader && !batches.MoveNext()) break;
                var (input, target) = batches.Current;
                var output = Model.Forward(input);
                int n = input.Size(0);
                lossSum += _loss(output, target).Item() * n;
                samples += n;
                var hits = CountCorrect(output, target);
                if (hits is null) classification = false;
                else correct += hits.Value;
            }
            if (samples == 0) throw new ArgumentException("the evaluation data is empty", nameof(data));
            return (lossSum / samples, classification ? (double)correct / samples : null);
        }
        finally
        {
            Model.Train(wasTraining);
        }
    }

    /// <summary>Correct predictions for [N, C] scores against int64 class targets [N]; null when that is not the task.</summary>
    private static long? CountCorrect(Tensor output, Tensor target)
    {
        if (target.DType != DType.Int64 || output.Rank != 2 || target.Rank != 1) return null;
        using var _ = Autograd.NoGrad();
        return (long)output.Detach().Argmax(1).Eq(target).Sum().Item();
    }

    /// <summary>Writes a checkpoint of the model, optimizer, schedulers, epoch count and generators.</summary>
    public void SaveCheckpoint(string path) =>
        Checkpoint.Save(path, Model, Optimizer, CompletedEpochs, Scheduler, Plateau, DataGenerator, Averaged, AveragingScheduler);

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>; <see cref="Fit"/> then continues after its epoch.</summary>
    public void ResumeFrom(string path)
    {
        CompletedEpochs = Checkpoint.Load(path, Model, Optimizer, Scheduler, Plateau, DataGenerator, Averaged, AveragingScheduler);
        // Both schedules wrote their last rates into the groups: the one in charge of the next epoch has the last word.
        if (AveragingScheduler is not null && !AveragingPhase(CompletedEpochs + 1) && Scheduler is not null)
            for (int i = 0; i < Optimizer.ParamGroups.Count; i++) Optimizer.ParamGroups[i].Lr = Scheduler.LastLr[i];
    }
}
