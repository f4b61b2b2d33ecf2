using System.Diagnostics;
using Descent.Data;
using Descent.NN;
using Descent.Optim;
using Descent.Optim.Schedulers;

namespace Descent.Training;

/// <summary>
/// The training loop: for each epoch, for each batch — zero the gradients, compute the loss, back-propagate, step the
/// optimizer (and a per-batch scheduler); then evaluate, step a per-epoch scheduler, report and checkpoint. With
/// <see cref="AccumulationSteps"/> K &gt; 1 the gradients of K batches add up before one step. A NaN or infinite loss
/// stops training with a <see cref="TrainingDivergedException"/> naming the epoch and batch, unless the optimizer is or
/// wraps a <see cref="SkipNonFinite"/>: that one skips the step instead (and fails after its limit of skips in a row), and the
/// epoch's train loss is the mean over the finite batches. The end of every epoch checks too, so that a last step that
/// diverges does not go unnoticed: a parameter or buffer of the model (or of <see cref="Averaged"/>) that holds a NaN or
/// an infinity throws the same exception, naming the epoch and the parameter, with any optimizer (no skipped step can
/// mend it); so does a non-finite training or validation loss, unless the optimizer skips non-finite steps (its
/// training loss is NaN when it skipped every batch of the epoch). That check comes before the epoch is averaged,
/// scheduled, recorded in <see cref="History"/>, checkpointed or reported, so a checkpoint never holds non-finite
/// weights; the end of the run checks the evaluation point of an <see cref="ITrainEvalOptimizer"/> once more. An optimizer that evaluates
/// elsewhere than it trains (<see cref="ITrainEvalOptimizer"/>, the schedule-free ones) is switched to its evaluation
/// point around every evaluation and left there when <see cref="Fit"/> returns.
/// </summary>
public sealed partial class Trainer
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

    /// <summary>
    /// Steps <see cref="Scheduler"/> after every optimizer step (as OneCycleLR and CyclicLR expect) instead of every epoch:
    /// after every batch, or every <see cref="AccumulationSteps"/> batches.
    /// </summary>
    public bool StepSchedulerPerBatch { get; init; }

    /// <summary>
    /// Zeroes the gradients in place between batches (the default), so that their memory is reused; false sets them to
    /// null as PyTorch's <c>zero_grad()</c> does, which differs only for a parameter that gets no gradient in a batch:
    /// with null the optimizer skips it, with zeros it still applies momentum and weight decay.
    /// </summary>
    public bool ZeroGradInPlace { get; init; } = true;

    /// <summary>
    /// How many batches of the data loader make one optimizer step (gradient accumulation; 1, the default, steps after
    /// every batch). The gradients of the window's K batches add up, each batch's loss weighted by its share
    /// n_i / N of the window's N samples, so that the step is the one a single batch of all N samples would take: also
    /// when the batches differ in size and for the last window of an epoch, which has fewer than K batches when K does
    /// not divide the data loader's count (an epoch then makes ⌈batches / K⌉ steps). Weighting by 1/K instead, as some
    /// libraries did, would overweight a short batch. The loss function must return the mean over its batch's samples.
    /// <see cref="Scheduler"/> (per batch) and <see cref="Averaged"/> (every step) follow the optimizer steps;
    /// <see cref="BatchEnded"/> and the divergence check follow the batches.
    /// </summary>
    /// <remarks>
    /// Equal to the big batch only when the model treats samples independently: BatchNorm in training mode normalises
    /// each batch with its own statistics (and updates its running statistics once per batch), so accumulated batches
    /// are not one batch of the window's size there. Only a <see cref="FirstOrderOptimizer"/> can accumulate; an
    /// optimizer that re-evaluates the loss through a closure (L-BFGS) steps on one batch at a time.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    /// <exception cref="ArgumentException">More than 1 with an optimizer that is not a <see cref="FirstOrderOptimizer"/>.</exception>
    public int AccumulationSteps
    {
        get;
        init
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(AccumulationSteps), value, $"AccumulationSteps must be >= 1, got {value}");
            if (value > 1 && Optimizer is not FirstOrderOptimizer)
                throw new ArgumentException($"AccumulationSteps {value} needs a first-order optimizer: {Optimizer.GetType().Name} re-evaluates the loss through a closure, which cannot add up several batches' gradients", nameof(AccumulationSteps));
            field = value;
        }
    } = 1;

    /// <summary>An optional plateau schedule, stepped each epoch with the validation loss (or the training loss when there is no validation data).</summary>
    public ReduceLROnPlateau? Plateau { get; init; }

    /// <summary>
    /// When set, a checkpoint is written there every <see cref="CheckpointEvery"/> epochs and after the last (after the
    /// epoch's evaluation and its check for divergence, so that no checkpoint holds NaN or infinite weights: a diverged
    /// epoch throws before its checkpoint; an <see cref="ITrainEvalOptimizer"/>'s model weights are saved at the training
    /// point, see <see cref="SaveCheckpoint"/>).
    /// </summary>
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

    /// <summary>
    /// Called after every batch of the data loader with that batch's loss: with <see cref="AccumulationSteps"/> K &gt; 1,
    /// after each of the K batches of a step (the optimizer has stepped when the window's last batch is reported).
    /// </summary>
    public Action<BatchProgress>? BatchEnded { get; init; }

    /// <summary>Called after every epoch.</summary>
    public Action<EpochMetrics>? EpochEnded { get; init; }

    /// <summary>The number of epochs completed (including those restored from a checkpoint).</summary>
    public int CompletedEpochs { get; private set; }

    /// <summary>The metrics of the epochs run by this trainer.</summary>
    public IReadOnlyList<EpochMetrics> History => _history;

    /// <summary>
    /// Trains until <paramref name="epochs"/> epochs are complete in all (a resumed trainer continues from
    /// <see cref="CompletedEpochs"/>), evaluating on <paramref name="validation"/> after each epoch when given. An
    /// <see cref="ITrainEvalOptimizer"/> trains each epoch at its training point and is left at its evaluation point (the
    /// weights to use) when this returns; a second call switches it back to training.
    /// </summary>
    /// <exception cref="TrainingDivergedException">A batch's loss, the epoch's loss or a parameter became NaN or infinite (see the class's remarks).</exception>
    public IReadOnlyList<EpochMetrics> Fit(DataLoader train, int epochs, IEnumerable<(Tensor Input, Tensor Target)>? validation = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"epochs must be >= 1, got {epochs}");
        if (CheckpointEvery < 1) throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), CheckpointEvery, $"CheckpointEvery must be >= 1, got {CheckpointEvery}");
        if (AverageFromEpoch < 1) throw new ArgumentOutOfRangeException(nameof(AverageFromEpoch), AverageFromEpoch, $"AverageFromEpoch must be >= 1, got {AverageFromEpoch}");
        if (AveragingScheduler is not null && (Averaged is null || AverageEveryStep))
            throw new InvalidOperationException("AveragingScheduler is the schedule of a per-epoch average: set Averaged, and not AverageEveryStep");
        if (Sharded) CheckSharding(train);
        int lastBatches = 0;
        while (CompletedEpochs < epochs)
        {
            int epoch = CompletedEpochs + 1;
            var (trainLoss, trainAccuracy, seconds, batches) = Sharded ? TrainShardedEpoch(train, epoch) : TrainEpoch(train, epoch);
            (double Loss, double? Accuracy)? eval = validation is null ? null : Evaluate(validation);
            CheckFinite(epoch, batches, trainLoss, eval?.Loss);
            if (Averaged is not null && !AverageEveryStep && epoch >= AverageFromEpoch) Averaged.UpdateParameters(Model);
            if (Averaged is not null) CheckFinite(Averaged.Weights, "averaged.", epoch, batches, trainLoss, "");
            if (AveragingPhase(epoch + 1)) AveragingScheduler!.Step();
            else if (Scheduler is not null && !StepSchedulerPerBatch) Scheduler.Step();
            if (!AveragingPhase(epoch + 1)) Plateau?.Step(eval?.Loss ?? trainLoss); // the averaging schedule alone sets the rate then
            CompletedEpochs = epoch;
            var metrics = new EpochMetrics(epoch, trainLoss, trainAccuracy, eval?.Loss, eval?.Accuracy, seconds,
                Optimizer.ParamGroups.Select(g => g.Lr).ToArray());
            _history.Add(metrics);
            if (CheckpointPath is not null && (epoch % CheckpointEvery == 0 || epoch == epochs)) SaveCheckpoint(CheckpointPath);
            EpochEnded?.Invoke(metrics);
            lastBatches = batches;
        }
        if (Optimizer is ITrainEvalOptimizer switchable)
        {
            switchable.Eval();
            if (lastBatches > 0) CheckFinite(Model.StateDict(), "", CompletedEpochs, lastBatches, _history[^1].TrainLoss, ", at the optimizer's evaluation point");
        }
        return _history;
    }

    /// <summary>
    /// The end of an epoch's check for divergence (the batches' own losses were checked before their steps): the model's
    /// parameters and buffers always, first, since a non-finite weight is the cause of a non-finite loss; then the
    /// epoch's losses, unless the optimizer skips non-finite steps.
    /// </summary>
    private void CheckFinite(int epoch, int batches, double trainLoss, double? validationLoss)
    {
        CheckFinite(Model.StateDict(), "", epoch, batches, trainLoss, "");
        if (Optimizer.SkipsNonFiniteSteps) return;
        if (!double.IsFinite(trainLoss)) throw TrainingDivergedException.AtEpochEnd(epoch, batches, "training", trainLoss);
        if (validationLoss is double v && !double.IsFinite(v)) throw TrainingDivergedException.AtEpochEnd(epoch, batches, "validation", v);
    }

    /// <summary>Throws for the first tensor of <paramref name="state"/> (by name) that holds a NaN or an infinity.</summary>
    private static void CheckFinite(IReadOnlyDictionary<string, Tensor> state, string prefix, int epoch, int batches, double trainLoss, string where)
    {
        foreach (var (name, t) in state)
            if (!t.IsAllFinite()) throw TrainingDivergedException.OfParameter(epoch, batches, trainLoss, prefix + name, t, where);
    }

    /// <summary>One epoch on this process: the mean loss and accuracy over the finite batches, the seconds, and the batches.</summary>
    private (double Loss, double? Accuracy, double Seconds, int Batches) TrainEpoch(DataLoader train, int epoch)
    {
        Model.Train();
        (Optimizer as ITrainEvalOptimizer)?.Train();
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        long samples = 0, correct = 0;
        bool classification = true;
        int batch = 0, batches = train.Count, skippedBatches = 0;
        AccumulationWindow window = default; // ends before batch 1
        using var batchesOfEpoch = train.GetEnumerator();
        while (true)
        {
            long? hits;
            double value;
            int n;
            // Each batch, from the data loader's copy of its rows to the optimizer step, runs in a scope: its tensors go
            // back to the pool at the end and the next batch reuses them instead of asking for fresh memory. An
            // accumulated batch leaves only its gradient behind (added into the parameters' Grad, which outlives scopes).
            using (new TensorScope())
            {
                if (!batchesOfEpoch.MoveNext()) break;
                var (input, target) = batchesOfEpoch.Current;
                batch++;
                if (batch > window.Last) window = AccumulationWindow.Starting(train, batch, AccumulationSteps);
                n = input.Size(0);
                Tensor output;
                if (Optimizer is FirstOrderOptimizer firstOrder) (output, value) = FirstOrderBatch(firstOrder, input, target, window, epoch, batch);
                else (output, value) = ClosureBatch(input, target, epoch, batch);
                hits = CountCorrect(output, target);
            }
            if (batch == window.Last) AfterStep(epoch);
            if (double.IsFinite(value)) // a batch SkipNonFinite skipped counts neither in the loss nor in the accuracy
            {
                lossSum += value * n;
                samples += n;
                if (hits is null) classification = false;
                else correct += hits.Value;
            }
            else skippedBatches++;
            BatchEnded?.Invoke(new BatchProgress(epoch, batch, batches, value));
        }
        if (samples == 0 && skippedBatches == 0) throw new InvalidOperationException("the training data loader produced no batches");
        if (samples == 0) return (double.NaN, null, clock.Elapsed.TotalSeconds, batch); // every batch was skipped
        return (lossSum / samples, classification ? (double)correct / samples : null, clock.Elapsed.TotalSeconds, batch);
    }

    /// <summary>
    /// One batch of a first-order step: the gradients are zeroed at the window's first batch, this batch's gradient is
    /// added with the weight n / N of its samples among the window's, and the optimizer steps after the window's last.
    /// Returns the output and the batch's own (unweighted) mean loss.
    /// </summary>
    private (Tensor Output, double Loss) FirstOrderBatch(FirstOrderOptimizer optimizer, Tensor input, Tensor target, AccumulationWindow window, int epoch, int batch)
    {
        if (batch == window.First) Optimizer.ZeroGrad(setToNone: !ZeroGradInPlace);
        var output = Model.Forward(input);
        var loss = _loss(output, target);
        double value = loss.Item();
        if (!double.IsFinite(value) && !optimizer.SkipsNonFiniteSteps) throw new TrainingDivergedException(epoch, batch, value);
        if (window.Batches > 1) loss *= window.WeightOf(input.Size(0), batch);
        loss.Backward();
        if (batch == window.Last) optimizer.Step();
        return (output, value);
    }

    /// <summary>
    /// One batch stepped through the optimizer's closure: L-BFGS evaluates the batch as often as it needs; the first
    /// evaluation is the batch's loss and output, as for the others.
    /// </summary>
    private (Tensor Output, double Loss) ClosureBatch(Tensor input, Tensor target, int epoch, int batch)
    {
        Tensor? first = null;
        double value = Optimizer.Step(() =>
        {
            Optimizer.ZeroGrad(setToNone: !ZeroGradInPlace);
            var evaluated = Model.Forward(input);
            first ??= evaluated;
            var loss = _loss(evaluated, target);
            loss.Backward();
            return loss;
        }).Item();
        if (!double.IsFinite(value) && !Optimizer.SkipsNonFiniteSteps) throw new TrainingDivergedException(epoch, batch, value);
        return (first!, value);
    }

    /// <summary>What follows every optimizer step: the average of every step (an EMA) and a per-step schedule.</summary>
    private void AfterStep(int epoch)
    {
        if (AverageEveryStep) Averaged?.UpdateParameters(Model);
        if (Scheduler is not null && StepSchedulerPerBatch && !AveragingPhase(epoch)) Scheduler.Step();
    }

    /// <summary>True when <paramref name="epoch"/> trains on <see cref="AveragingScheduler"/>'s rates.</summary>
    private bool AveragingPhase(int epoch) => AveragingScheduler is not null && epoch >= AverageFromEpoch;

    /// <summary>
    /// Writes a checkpoint of the model, optimizer, schedulers, epoch count and generators. An
    /// <see cref="ITrainEvalOptimizer"/> is at its training point while it is written (and back where it was after), so
    /// that the model's weights in the file are those a new optimizer, which starts training, expects with the saved
    /// state: <see cref="ResumeFrom"/> continues training from them, and the evaluation point follows from the
    /// optimizer's state (the next <see cref="Fit"/> or evaluation puts it in the model). In data-parallel training only
    /// rank 0 writes (every rank holds the same state). It writes the weights as they are: <see cref="Fit"/> checks them
    /// for NaN and infinity before each of its checkpoints (a diverged epoch throws first), a call of your own does not.
    /// </summary>
    public void SaveCheckpoint(string path)
    {
        if (Parallel is { Communicator.IsRoot: false }) return;
        using var trainingPoint = new OptimizerPoint(Optimizer, training: true);
        Checkpoint.Save(path, Model, Optimizer, CompletedEpochs, Scheduler, Plateau, DataGenerator, Averaged, AveragingScheduler);
    }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>; <see cref="Fit"/> then continues after its epoch.</summary>
    public void ResumeFrom(string path)
    {
        CompletedEpochs = Checkpoint.Load(path, Model, Optimizer, Scheduler, Plateau, DataGenerator, Averaged, AveragingScheduler);
        // Both schedules wrote their last rates into the groups: the one in charge of the next epoch has the last word.
        if (AveragingScheduler is not null && !AveragingPhase(CompletedEpochs + 1) && Scheduler is not null)
            for (int i = 0; i < Optimizer.ParamGroups.Count; i++) Optimizer.ParamGroups[i].Lr = Scheduler.LastLr[i];
    }

    /// <summary>
    /// The batches <see cref="First"/> to <see cref="Last"/> of an epoch that make one optimizer step, and the samples they
    /// hold, known from the data loader before any of them is read: every batch has <see cref="BatchSize"/> samples but
    /// the epoch's last, which holds what remains.
    /// </summary>
    private readonly record struct AccumulationWindow(int First, int Batches, int BatchSize, int Samples)
    {
        public int Last => First + Batches - 1;

        /// <summary>The window of up to <paramref name="steps"/> batches from batch <paramref name="first"/> (from 1) on.</summary>
        public static AccumulationWindow Starting(DataLoader loader, int first, int steps) =>
            Starting(loader.Count, loader.BatchSize, loader.Dataset.Count, first, steps);

        /// <summary>The window of up to <paramref name="steps"/> batches from batch <paramref name="first"/> on, of <paramref name="batches"/> batches of <paramref name="batchSize"/> over <paramref name="samples"/> samples.</summary>
        public static AccumulationWindow Starting(int batches, int batchSize, int samples, int first, int steps)
        {
            int count = Math.Min(steps, batches - first + 1);
            long start = (long)(first - 1) * batchSize;
            long end = Math.Min(start + (long)count * batchSize, samples);
            return new AccumulationWindow(first, count, batchSize, (int)(end - start));
        }

        /// <summary>The weight n / N of batch <paramref name="batch"/>'s loss, which must hold the samples its place gives it.</summary>
        public double WeightOf(int samples, int batch)
        {
            int expected = Math.Min(BatchSize, Samples - (batch - First) * BatchSize);
            if (samples != expected)
                throw new InvalidOperationException($"batch {batch} has {samples} samples where the data loader's batch size {BatchSize} gives {expected}: accumulation weights each batch by its share of the step's samples, counted from the batch size");
            return (double)samples / Samples;
        }
    }
}
