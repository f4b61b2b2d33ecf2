using System.CommandLine;
using System.Globalization;
using Descent.Cli.Catalog;
using Descent.Data;
using Descent.NN;
using Descent.Optim;
using Descent.Optim.Schedulers;
using Descent.Parallel;
using Descent.Training;
using Spectre.Console;
using F = Descent.NN.Functional;

namespace Descent.Cli.Commands;

/// <summary><c>descent train</c>: trains a model on a data set and reports loss and accuracy per epoch.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = $"data set: {string.Join(", ", DataCatalog.Names)}, or a PATH.csv (its first line names the columns unless it is all numbers; see --label)", DefaultValueFactory = _ => "mnist" };
        var label = new Option<string?>("--label") { Description = "CSV only: the label column's name (default: the last column)" };
        var model = new Option<string>("--model") { Description = "model: linear, mlp or cnn", DefaultValueFactory = _ => "mlp" };
        var optimizer = new Option<string>("--optimizer") { Description = "optimizer (see 'descent optimizers')", DefaultValueFactory = _ => "adam" };
        var batchSize = new Option<int>("--batch-size") { Description = "samples per batch, one step each (see --accumulate): N = batch, 1 = stochastic, k = mini-batch", DefaultValueFactory = _ => 128 };
        var accumulate = new Option<int>("--accumulate") { Description = "batches per optimizer step (gradient accumulation): K batches of the batch size step as one batch of their total size", DefaultValueFactory = _ => 1 };
        var epochs = new Option<int>("--epochs") { Description = "passes over the training data", DefaultValueFactory = _ => 3 };
        var schedule = new Option<string>("--schedule") { Description = "learning-rate schedule: none, step, cosine, warmup-cosine, onecycle", DefaultValueFactory = _ => "none" };
        var seed = new Option<long>("--seed") { Description = "seed for initialisation, shuffling and splits", DefaultValueFactory = _ => 0 };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "folder for a checkpoint written after every epoch (DIR/checkpoint.safetensors)" };
        var resume = new Option<bool>("--resume") { Description = "continue from the checkpoint in --checkpoint" };
        var json = new Option<bool>("--json") { Description = "print the results as JSON only" };
        var swaStart = new Option<int?>("--swa-start") { Description = "stochastic weight averaging from epoch E on: the rate goes to --swa-lr and the weights are averaged at the end of each epoch" };
        var swaLr = new Option<double?>("--swa-lr") { Description = "the learning rate of the averaging epochs (with --swa-start)" };
        var skipNonFinite = new Option<int?>("--skip-nonfinite") { Description = "skip an optimizer step whose gradients hold NaN or infinity (parameters and state untouched), and stop after N such steps in a row" };
        var shards = new Option<int?>("--shards") { Description = "cut every batch into S shards whose gradients are summed in one fixed order (default: 1, or one per rank with --distributed); the same S gives the same weights on every number of ranks that divides it" };
        var timeout = new Option<double>("--timeout") { Description = "with --distributed: seconds a rank waits for the others in one exchange before it ends the job (a rank died or hangs)", DefaultValueFactory = _ => 60 };
        var distributed = new Option<bool>("--distributed") { Description = "data-parallel over the ranks of an MPI job: run under mpirun -np N (N dividing --shards); rank 0 prints and writes checkpoints" };
        var exportOnnx = new Option<string?>("--export-onnx") { Description = "after training, export the final model to this ONNX file (opset 17; the batch size is free)" };
        var ema = new Option<double?>("--ema") { Description = "keep an exponential moving average of the weights with this decay, in (0, 1), updated after each step (e.g. 0.999)" };
        var hyper = new HyperparameterOptions();
        var command = new Command("train", "Train a model on a data set (MNIST, the classic tables, or a CSV file)")
        {
            dataset, label, model, optimizer, batchSize, accumulate, epochs, schedule, seed, checkpoint, resume, json, swaStart, swaLr, ema, skipNonFinite,
            shards, distributed, timeout, exportOnnx,
        };
        hyper.AddTo(command);
        command.SetAction(r => Cli.Run(() => Run(new Settings(
            r.GetValue(dataset)!, r.GetValue(label), r.GetValue(model)!, r.GetValue(optimizer)!, hyper.Given(r),
            r.GetValue(batchSize), r.GetValue(accumulate), r.GetValue(epochs), r.GetValue(schedule)!, r.GetValue(seed), r.GetValue(checkpoint),
            r.GetValue(resume), r.GetValue(json), new Averaging(r.GetValue(swaStart), r.GetValue(swaLr), r.GetValue(ema)), r.GetValue(skipNonFinite),
            r.GetValue(shards), r.GetValue(distributed), r.GetValue(timeout), r.GetValue(exportOnnx)))));
        return command;
    }

    internal sealed record Settings(string Dataset, string? Label, string Model, string Optimizer, Dictionary<string, double> Hyper,
        int BatchSize, int Accumulate, int Epochs, string Schedule, long Seed, string? Checkpoint, bool Resume, bool Json, Averaging Averaging,
        int? SkipNonFinite = null, int? Shards = null, bool Distributed = false, double Timeout = 60, string? ExportOnnx = null);

    /// <summary>The weight averaging asked for: SWA from an epoch at a rate, or an EMA with a decay, or none.</summary>
    internal sealed record Averaging(int? SwaStart, double? SwaLr, double? Ema)
    {
        public string Label => Ema is double decay ? $"EMA {decay.ToString(CultureInfo.InvariantCulture)}" : $"SWA from epoch {SwaStart}";

        public void Validate(int epochs)
        {
            if (Ema is not null && (SwaStart is not null || SwaLr is not null))
                throw new UsageException("--ema and --swa-start/--swa-lr are two kinds of weight averaging; give one");
            if (Ema is double decay && !(decay > 0 && decay < 1)) throw new UsageException($"--ema must be in (0, 1), got {Show(decay)}");
            if (SwaLr is not null && SwaStart is null) throw new UsageException("--swa-lr needs --swa-start E, the first epoch of averaging");
            if (SwaStart is int start && (start < 1 || start > epochs)) throw new UsageException($"--swa-start must be in [1, {epochs}] (--epochs), got {start}");
            if (SwaStart is not null && SwaLr is null) throw new UsageException("--swa-start needs --swa-lr X, the learning rate of the averaging epochs");
            if (SwaLr is double lr && !(lr > 0 && double.IsFinite(lr))) throw new UsageException($"--swa-lr must be > 0, got {Show(lr)}");
        }

        private static string Show(double v) => v.ToString(CultureInfo.InvariantCulture);
    }

    internal static int Run(Settings s)
    {
        if (s.Shards is < 1) throw new UsageException($"--shards must be >= 1, got {s.Shards}");
        if (!(s.Timeout > 0 && s.Timeout <= TimeSpan.MaxValue.TotalSeconds)) throw new UsageException($"--timeout must be a positive number of seconds, got {s.Timeout.ToString(CultureInfo.InvariantCulture)}");
        if (!s.Distributed) return Train(s, Communicator.Single);
        using var communicator = DistributedLaunch.Connect();
        communicator.Timeout = TimeSpan.FromSeconds(s.Timeout);
        try
        {
            return Train(s, communicator);
        }
        catch (Exception e)
        {
            // One rank failing alone would leave the others waiting in a collective: end the whole job, saying which rank
            // (with the stack trace of an internal error when DESCENT_DEBUG asks for it).
            int? code = Cli.ExitCodeOf(e);
            communicator.Abort(AbortMessage(communicator, e, withStackTrace: code is null && Cli.Debug), code ?? Cli.RunError);
            throw;
        }
    }

    /// <summary>
    /// The line a failing rank prints before it ends the job: the error, naming the rank once (a collective's own message
    /// already names it), and the stack trace when asked.
    /// </summary>
    internal static string AbortMessage(Communicator communicator, Exception e, bool withStackTrace = false)
    {
        string rank = $"rank {communicator.Rank} of {communicator.Size}";
        string text = withStackTrace ? e.ToString() : Cli.Describe(e);
        return text.StartsWith(rank + ":", StringComparison.Ordinal) ? $"error: {text}" : $"error: {rank}: {text}";
    }

    private static int Train(Settings s, Communicator communicator)
    {
        if (s.BatchSize < 1) throw new UsageException($"--batch-size must be >= 1, got {s.BatchSize}");
        if (s.Accumulate < 1) throw new UsageException($"--accumulate must be >= 1, got {s.Accumulate}");
        if (s.Epochs < 1) throw new UsageException($"--epochs must be >= 1, got {s.Epochs}");
        if (s.Resume && s.Checkpoint is null) throw new UsageException("--resume needs --checkpoint DIR");
        if (s.SkipNonFinite is < 0) throw new UsageException($"--skip-nonfinite must be >= 0 (the most steps skipped in a row), got {s.SkipNonFinite}");
        if (s.Checkpoint is not null && File.Exists(s.Checkpoint))
            throw new UsageException($"--checkpoint names the folder to write checkpoint.safetensors into, and '{s.Checkpoint}' is a file");
        CheckExportPath(s.ExportOnnx);
        var averaging = s.Averaging;
        averaging.Validate(s.Epochs);
        int shards = s.Shards ?? communicator.Size;
        if (shards % communicator.Size != 0)
            throw new UsageException($"--shards {shards} must be a multiple of the {communicator.Size} ranks of the job: every rank computes the same number of shards");
        if (s.BatchSize % shards != 0)
            throw new UsageException($"--batch-size {s.BatchSize} must be a multiple of --shards {shards}: every shard takes batch-size / shards samples of a batch");
        var entry = OptimizerCatalog.Find(s.Optimizer);
        var data = DataCatalog.Load(s.Dataset, s.Seed, s.Label);
        Tensor.ManualSeed(s.Seed);
        var model = ModelCatalog.Build(s.Model, data);
        var optimizer = entry.Build(model.Parameters(), s.Hyper);
        if (s.SkipNonFinite is int maxSkips)
            optimizer = optimizer is FirstOrderOptimizer firstOrder ? new SkipNonFinite(firstOrder, maxSkips)
                : throw new UsageException($"--skip-nonfinite needs a first-order optimizer: {entry.Name} re-evaluates the loss through a closure");
        if (s.Accumulate > 1 && optimizer is not FirstOrderOptimizer)
            throw new UsageException($"--accumulate {s.Accumulate} needs a first-order optimizer: {entry.Name} re-evaluates the loss through a closure, one batch at a time");
        if (shards > 1 && optimizer is not FirstOrderOptimizer)
            throw new UsageException($"--shards {shards} needs a first-order optimizer: {entry.Name} re-evaluates the loss through a closure, one batch at a time");
        // The loader draws one permutation of all the training samples per epoch and cuts it into batches, so the order
        // of the samples does not depend on the batch size: --batch-size 30 --accumulate 4 sees the samples of
        // --batch-size 120 in the same order, and steps as it does.
        var shuffle = new Generator(s.Seed + 1);
        var loader = new DataLoader(new TensorDataset(data.Train.Features, data.Train.Labels), s.BatchSize, shuffle: true, generator: shuffle);
        var test = new DataLoader(new TensorDataset(data.Test.Features, data.Test.Labels), batchSize: 1000);
        int stepsPerEpoch = Trainer.StepsPerEpoch(loader, s.Accumulate, shards); // the last step of an epoch may have fewer batches
        var (scheduler, perBatch) = BuildSchedule(s.Schedule, optimizer, s.Epochs, stepsPerEpoch);
        string? path = null;
        if (s.Checkpoint is not null)
        {
            try { Directory.CreateDirectory(s.Checkpoint); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--checkpoint: cannot create the folder '{s.Checkpoint}': {Cli.OneLine(e)}");
            }
            path = Path.Combine(s.Checkpoint, "checkpoint.safetensors");
            if (s.Resume && !File.Exists(path)) throw new UsageException($"--resume: no checkpoint at {path}");
        }
        bool speaks = communicator.IsRoot; // in a job, rank 0 alone prints
        using var parallel = new DistributedDataParallel(model, communicator, shards, average: false, seed: s.Seed + 2);
        var progress = s.Json || !speaks ? null : new EpochProgress(Trainer.StepsPerEpoch(loader, 1, shards));
        var (averaged, swaScheduler) = BuildAveraging(averaging, model, optimizer);
        var trainer = new Trainer(model, optimizer, (y, t) => F.CrossEntropy(y, t))
        {
            Scheduler = scheduler,
            StepSchedulerPerBatch = perBatch,
            AccumulationSteps = s.Accumulate,
            CheckpointPath = path,
            DataGenerator = shuffle,
            BatchEnded = progress is null ? null : progress.OnBatch,
            EpochEnded = progress is null ? null : progress.OnEpoch,
            Averaged = averaged,
            AverageEveryStep = averaging.Ema is not null,
            AverageFromEpoch = averaging.SwaStart ?? 1,
            AveragingScheduler = swaScheduler,
            Parallel = parallel,
        };
        // A checkpoint that is corrupt, or not of this model and optimizer, is a bad input file: one line naming it, exit 2.
        if (s.Resume) Cli.ReadFile("--resume", path!, () => trainer.ResumeFrom(path!));
        if (!s.Json && speaks)
            AnsiConsole.MarkupLine($"Training [bold]{s.Model}[/] ({model.ParameterCount():N0} parameters) on [bold]{data.Name}[/] ({data.Train.Count:N0} train, {data.Test.Count:N0} test) with [bold]{entry.Name}[/], batch {s.BatchSize}{(s.Accumulate > 1 ? $" × {s.Accumulate} accumulated" : "")}{(shards > 1 ? $" in {shards} shards" : "")}{(communicator.Size > 1 ? $" on {communicator.Size} ranks" : "")}, {s.Epochs} epochs" + (trainer.CompletedEpochs > 0 ? $", resuming after epoch {trainer.CompletedEpochs}" : ""));
        var history = trainer.CompletedEpochs >= s.Epochs ? [] : trainer.Fit(loader, s.Epochs, test);
        var (testLoss, testAccuracy) = trainer.Evaluate(test);
        // The averaged weights never ran through the BatchNorm layers: recompute their running statistics over the training
        // data before evaluating (the one place for it; a no-op for models without BatchNorm). The model's own statistics
        // come back with its weights afterwards.
        (double Loss, double? Accuracy)? averagedTest = averaged is null ? null
            : trainer.EvaluateAveraged(test, prepare: m => SwaUtils.UpdateBn(loader, m));
        double secondsPerEpoch = history.Count == 0 ? 0 : history.Average(h => h.Seconds);
        // The results are printed even so (NaN and all), then the run fails: a diverged model is not a trained one.
        string? diverged = Divergence(model, trainer.CompletedEpochs, history, testLoss, averagedTest?.Loss, skipping: optimizer is SkipNonFinite);
        if (!speaks) return diverged is null ? 0 : Cli.RunError; // rank 0 says why
        // A diverged model is not exported: the run fails below.
        string? onnx = diverged is null && s.ExportOnnx is { } target ? ExportOnnx(model, data, target) : null;
        if (s.Json)
        {
            Console.WriteLine(Cli.Json(new Dictionary<string, object?>
            {
                ["dataset"] = data.Name,
                ["model"] = s.Model,
                ["optimizer"] = entry.Name,
                ["epochs"] = s.Epochs,
                ["batch_size"] = s.BatchSize,
                ["accumulate"] = s.Accumulate,
                ["shards"] = shards,
                ["ranks"] = communicator.Size,
                ["weights_sha256"] = WeightsSha256(model),
                ["final_train_loss"] = history.Count == 0 ? null : history[^1].TrainLoss,
                ["skipped_steps"] = (optimizer as SkipNonFinite)?.SkippedSteps,
                ["test_loss"] = testLoss,
                ["test_accuracy"] = testAccuracy,
                ["averaging"] = averaging.Ema is not null ? "ema" : averaging.SwaStart is not null ? "swa" : null,
                ["averaged_test_loss"] = averagedTest?.Loss,
                ["averaged_test_accuracy"] = averagedTest?.Accuracy,
                ["seconds_per_epoch"] = secondsPerEpoch,
                ["onnx"] = onnx,
                ["history"] = history.Select(h => new { epoch = h.Epoch, train_loss = h.TrainLoss, train_accuracy = h.TrainAccuracy, test_loss = h.ValidationLoss, test_accuracy = h.ValidationAccuracy, seconds = h.Seconds, lr = h.LearningRates[0] }),
            }));
        }
        else
        {
            var table = new Table().AddColumns("epoch", "train loss", "train acc", "test loss", "test acc", "lr", "seconds");
            foreach (var h in history)
                table.AddRow(h.Epoch.ToString(CultureInfo.InvariantCulture), F4(h.TrainLoss), Pct(h.TrainAccuracy), F4(h.ValidationLoss), Pct(h.ValidationAccuracy),
                    h.LearningRates[0].ToString("G4", CultureInfo.InvariantCulture), h.Seconds.ToString("F1", CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"Test accuracy [bold]{Pct(testAccuracy)}[/], loss {F4(testLoss)}, {secondsPerEpoch:F1} s per epoch");
            if (averagedTest is { } a)
                AnsiConsole.MarkupLine($"Averaged weights ({averaging.Label}, {averaged!.NAveraged} updates): test accuracy [bold]{Pct(a.Accuracy)}[/], loss {F4(a.Loss)}");
            // Plain text, never wrapped: a script may read the path back.
            if (onnx is not null) Console.WriteLine($"Exported the model to ONNX: {onnx}");
        }
        return diverged is null ? 0 : throw new RunException(diverged);
    }

    /// <summary>
    /// Fails before training when --export-onnx cannot name a file to write: a folder, or a file in a folder that does
    /// not exist (a training run should not end in an error it could have said at the start).
    /// </summary>
    private static void CheckExportPath(string? path)
    {
        if (path is null) return;
        if (path.Length == 0 || path.IndexOfAny(Path.GetInvalidPathChars()) >= 0) throw new UsageException($"--export-onnx needs a file name, got '{path}'");
        if (Directory.Exists(path)) throw new UsageException($"--export-onnx names the ONNX file to write, and '{path}' is a folder");
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && !Directory.Exists(folder)) throw new UsageException($"--export-onnx: the folder '{folder}' does not exist");
    }

    /// <summary>Exports the trained model (traced on one training sample) and returns the file's full path.</summary>
    private static string ExportOnnx(Module model, PreparedData data, string path)
    {
        var example = data.Train.Features.Narrow(0, 0, 1);
        try
        {
            Descent.IO.Onnx.Export(model, example, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--export-onnx: cannot write '{path}': {Cli.OneLine(e)}");
        }
        return Path.GetFullPath(path);
    }

    /// <summary>
    /// Why the run diverged, or null: a weight that is NaN or infinite, or a final loss that is (the training loss of the
    /// last epoch, unless --skip-nonfinite skipped its non-finite batches; the test loss; the averaged weights' test loss).
    /// </summary>
    internal static string? Divergence(Module model, int epoch, IReadOnlyList<EpochMetrics> history, double testLoss, double? averagedTestLoss, bool skipping)
    {
        const string advice = "lower --lr, or check the data";
        foreach (var (name, p) in model.NamedParameters())
            if (!AllFinite(p)) return $"training diverged: the weights hold NaN or infinity ({name}) after epoch {epoch}; {advice}";
        if (history.Count > 0 && !skipping && !double.IsFinite(history[^1].TrainLoss))
            return $"training diverged: the training loss of epoch {history[^1].Epoch} is {Show(history[^1].TrainLoss)}; {advice}";
        if (!double.IsFinite(testLoss)) return $"training diverged: the test loss after epoch {epoch} is {Show(testLoss)}; {advice}";
        if (averagedTestLoss is double a && !double.IsFinite(a)) return $"training diverged: the averaged weights' test loss is {Show(a)}; {advice}";
        return null;
    }

    private static bool AllFinite(Tensor t)
    {
        t = t.Contiguous();
        return t.DType == DType.Float64 ? System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<double>(t.AsSpan<double>())
            : System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(t.AsSpan<float>());
    }

    private static string Show(double v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>SHA-256 of every parameter's bytes, little-endian, in NamedParameters order: one line that tells two runs' weights apart.</summary>
    internal static string WeightsSha256(Module model)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var (_, p) in model.NamedParameters())
        {
            var t = p.Contiguous();
            var bytes = t.DType == DType.Float64 ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.AsSpan<double>()) : System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.AsSpan<float>());
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("weights_sha256 is defined on little-endian machines");
            sha.AppendData(bytes);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static string F4(double? v) => v is double d ? d.ToString("F4", CultureInfo.InvariantCulture) : "-";

    private static string Pct(double? v) => v is double d ? (100 * d).ToString("F2", CultureInfo.InvariantCulture) + "%" : "-";

    /// <summary>The running average and, for SWA, the schedule of its epochs (SWALR, to --swa-lr).</summary>
    private static (AveragedModel? Averaged, LRScheduler? Scheduler) BuildAveraging(Averaging averaging, Module model, Optimizer optimizer)
    {
        if (averaging.Ema is double decay) return (AveragedModel.Ema(model, decay), null);
        if (averaging.SwaStart is not int start) return (null, null);
        // The rate reaches swa_lr in one step, taken at the end of epoch start − 1, so that the averaged epochs all train
        // on it; from epoch 1 on there is no such step, and annealEpochs 0 sets the rate at construction.
        var swa = new SWALR(optimizer, averaging.SwaLr!.Value, annealEpochs: start == 1 ? 0 : 1);
        return (AveragedModel.Swa(model), swa);
    }

    /// <summary>The learning-rate schedule by name; the per-step ones span <paramref name="epochs"/> × <paramref name="stepsPerEpoch"/> optimizer steps.</summary>
    internal static (LRScheduler? Scheduler, bool PerBatch) BuildSchedule(string name, Optimizer optimizer, int epochs, int stepsPerEpoch)
    {
        var known = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["none"] = "none", ["step"] = "step", ["cosine"] = "cosine", ["warmup-cosine"] = "warmup-cosine", ["onecycle"] = "onecycle",
        };
        double lr = optimizer.ParamGroups[0].Lr;
        string resolved = Names.Resolve("schedule", name, known);
        if (resolved == "onecycle" && !(lr > 0))
            throw new UsageException($"--schedule onecycle cycles the learning rate up to --lr and down: it needs --lr > 0, got {Show(lr)}");
        try
        {
            return Schedule(resolved, optimizer, epochs, stepsPerEpoch, lr);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--schedule {resolved}: {Cli.OneLine(e)}");
        }
    }

    private static (LRScheduler? Scheduler, bool PerBatch) Schedule(string resolved, Optimizer optimizer, int epochs, int stepsPerEpoch, double lr) =>
        resolved switch
        {
            "none" => (null, false),
            // Divide the rate by 10 at a third and at two thirds of training.
            "step" => (new StepLR(optimizer, stepSize: Math.Max(1, epochs / 3), gamma: 0.1), false),
            "cosine" => (new CosineAnnealingLR(optimizer, tMax: epochs * stepsPerEpoch), true),
            // Linear warm-up over the first tenth of the steps, then cosine decay: the everyday recipe.
            "warmup-cosine" => WarmupCosine(optimizer, epochs * stepsPerEpoch),
            _ => (new OneCycleLR(optimizer, maxLr: lr, totalSteps: epochs * stepsPerEpoch), true),
        };

    private static (LRScheduler, bool) WarmupCosine(Optimizer optimizer, int totalSteps)
    {
        int warmup = Math.Max(1, totalSteps / 10);
        var schedulers = new LRScheduler[]
        {
            new LinearLR(optimizer, startFactor: 0.1, endFactor: 1.0, totalIters: warmup),
            new CosineAnnealingLR(optimizer, tMax: Math.Max(1, totalSteps - warmup)),
        };
        return (new SequentialLR(optimizer, schedulers, [warmup]), true);
    }

    /// <summary>A progress line per epoch on the terminal: batches done, batches/s and the running loss.</summary>
    private sealed class EpochProgress(int batches)
    {
        private readonly System.Diagnostics.Stopwatch _clock = new();
        private double _lossSum;
        private readonly bool _live = !Console.IsOutputRedirected;

        public void OnBatch(BatchProgress p)
        {
            if (p.Batch == 1) { _clock.Restart(); _lossSum = 0; }
            _lossSum += p.Loss;
            if (!_live || (p.Batch % 20 != 0 && p.Batch != batches)) return;
            int width = 30, filled = width * p.Batch / batches;
            double rate = p.Batch / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
            Console.Write($"\repoch {p.Epoch} [{new string('#', filled)}{new string('.', width - filled)}] {p.Batch}/{batches}  {rate:F0} batches/s  loss {_lossSum / p.Batch:F4}   ");
        }

        public void OnEpoch(EpochMetrics m)
        {
            if (_live) Console.Write("\r" + new string(' ', 100) + "\r");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {m.Epoch}: train loss {m.TrainLoss:F4}, test accuracy {100 * (m.ValidationAccuracy ?? 0):F2}%, {m.Seconds:F1} s"));
        }
    }
}
