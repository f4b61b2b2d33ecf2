using System.Globalization;
using System.Text;
using Descent.Data;
using Descent.IO;
using Descent.NN;
using Descent.Optim;
using Descent.Optim.Schedulers;
using Descent.Training;

namespace Descent.Fuzz;

/// <summary>
/// The fuzz targets: each writes its input to a file in <see cref="WorkFolder"/>, runs Descent's readers on it, and
/// returns one <see cref="ReaderCall"/> per reader. The contract (docs/reliability.md): every reader either loads or
/// throws <see cref="InvalidDataException"/> whose message names the file, allocates within
/// <see cref="AllocationBound"/>, and a failed load changes nothing. The afl-fuzz harness crashes on a broken contract;
/// the corpus replay test asserts it for every committed input.
/// </summary>
internal static class FuzzTargets
{
    /// <summary>Every target's name, as given to <c>Descent.Fuzz fuzz|seed|replay</c> and used as its corpus folder.</summary>
    public static IReadOnlyList<string> Names { get; } = ["safetensors", "idx-images", "idx-labels", "idx-gzip", "csv", "checkpoint", "optimizer-state"];

    /// <summary>Runs the target named <paramref name="target"/> on <paramref name="input"/>.</summary>
    public static IReadOnlyList<ReaderCall> Run(string target, byte[] input) => target switch
    {
        "safetensors" => SafeTensorsFile(input),
        "idx-images" => IdxImages(input),
        "idx-labels" => IdxLabels(input),
        "idx-gzip" => IdxGzip(input),
        "csv" => CsvFile(input),
        "checkpoint" => CheckpointFile(input),
        "optimizer-state" => OptimizerStateFile(input),
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, $"unknown fuzz target; the targets are {string.Join(", ", Names)}"),
    };

    /// <summary>
    /// What a committed corpus file's name promises and the readers broke, or null: an <c>ok-</c> file is loaded by at
    /// least one of its target's readers, a <c>bad-</c> file is refused by every one; other names promise nothing more
    /// than the contract (<see cref="ReaderCall.Violation"/>).
    /// </summary>
    public static string? ExpectationFailure(string fileName, IReadOnlyList<ReaderCall> calls)
    {
        ArgumentNullException.ThrowIfNull(calls);
        if (fileName.StartsWith("ok-", StringComparison.Ordinal) && calls.All(c => c.Error is not null))
            return $"{fileName} is a valid file (ok-), but every reader refused it; {calls[0].Reader}: {calls[0].Error!.GetType().Name}: {calls[0].Error!.Message}";
        if (fileName.StartsWith("bad-", StringComparison.Ordinal) && calls.FirstOrDefault(c => c.Error is null) is { } loaded)
            return $"{fileName} is a damaged file (bad-), but {loaded.Reader} loaded it";
        return null;
    }

    /// <summary>
    /// <see cref="SafeTensors.Load(string)"/> on the input as a file, then the in-memory readers (bytes, stream), whose
    /// errors name no file; all three must agree on whether the input is valid.
    /// </summary>
    public static IReadOnlyList<ReaderCall> SafeTensorsFile(byte[] input)
    {
        string path = WorkFolder.Write("input.safetensors", input);
        var calls = new List<ReaderCall>
        {
            Call("safetensors", "SafeTensors.Load(path)", path, input.Length, () => SafeTensors.Load(path)),
            Call("safetensors", "SafeTensors.Load(bytes)", null, input.Length, () => SafeTensors.Load(input)),
            Call("safetensors", "SafeTensors.Load(stream)", null, input.Length, () =>
            {
                using var stream = new MemoryStream(input, writable: false);
                SafeTensors.Load(stream);
            }),
        };
        if (calls.Any(c => c.Error is null) && calls.Any(c => c.Error is not null))
            calls[^1] = calls[^1] with { Broken = "the file, bytes and stream readers disagree: " + string.Join("; ", calls.Select(c => $"{c.Reader} {(c.Error is null ? "loaded" : "threw")}")) };
        return calls;
    }

    /// <summary><see cref="Mnist.ReadImages"/> on the input as a file, as images [N, 1, rows, cols] and flattened [N, rows·cols].</summary>
    public static IReadOnlyList<ReaderCall> IdxImages(byte[] input)
    {
        string path = WorkFolder.Write("input-images-idx3-ubyte", input);
        long bytes = AllocationBound.InputBytes(input, gunzips: true);
        return
        [
            Call("idx-images", "Mnist.ReadImages(path)", path, bytes, () => Mnist.ReadImages(path)),
            Call("idx-images", "Mnist.ReadImages(path, flatten: true)", path, bytes, () => Mnist.ReadImages(path, flatten: true)),
        ];
    }

    /// <summary><see cref="Mnist.ReadLabels"/> on the input as a file.</summary>
    public static IReadOnlyList<ReaderCall> IdxLabels(byte[] input)
    {
        string path = WorkFolder.Write("input-labels-idx1-ubyte", input);
        return [Call("idx-labels", "Mnist.ReadLabels(path)", path, AllocationBound.InputBytes(input, gunzips: true), () => Mnist.ReadLabels(path))];
    }

    /// <summary>
    /// Both IDX readers on the input as a <c>.gz</c> file: the input is the compressed bytes themselves, so the readers
    /// meet damaged gzip streams as well as hostile headers inside intact ones.
    /// </summary>
    public static IReadOnlyList<ReaderCall> IdxGzip(byte[] input)
    {
        string path = WorkFolder.Write("input-idx-ubyte.gz", input);
        long bytes = AllocationBound.InputBytes(input, gunzips: true);
        return
        [
            Call("idx-gzip", "Mnist.ReadImages(path)", path, bytes, () => Mnist.ReadImages(path)),
            Call("idx-gzip", "Mnist.ReadLabels(path)", path, bytes, () => Mnist.ReadLabels(path)),
        ];
    }

    /// <summary>
    /// <see cref="Csv.Read(string, bool?, string?, int, bool, DType, char)"/> on the input as a file (gzipped when it starts
    /// with the gzip magic): with the defaults (header detected, last column a class index), and as headerless float64
    /// regression data.
    /// </summary>
    public static IReadOnlyList<ReaderCall> CsvFile(byte[] input)
    {
        string path = WorkFolder.Write("input.csv", input);
        long bytes = AllocationBound.InputBytes(input, gunzips: true);
        return
        [
            Call("csv", "Csv.Read(path)", path, bytes, () => Csv.Read(path)),
            Call("csv", "Csv.Read(path, hasHeader: false, classification: false, dtype: Float64)", path, bytes,
                () => Csv.Read(path, hasHeader: false, classification: false, dtype: DType.Float64)),
        ];
    }

    /// <summary>
    /// <see cref="Training.Checkpoint.Load"/> on the input as a file, into a fresh <see cref="CheckpointRig"/> with every
    /// part: scheduler, plateau, generator, weight average and its schedule. The process's default generator, which a
    /// load sets, is restored afterwards.
    /// </summary>
    public static IReadOnlyList<ReaderCall> CheckpointFile(byte[] input)
    {
        string path = WorkFolder.Write("input.checkpoint.safetensors", input);
        var defaultState = Generator.Default.GetState();
        try
        {
            var rig = CheckpointRig.Create();
            return
            [
                Call("checkpoint", "Checkpoint.Load(path, model, optimizer, scheduler, plateau, generator, averaged, averagingScheduler)", path, input.Length,
                    () =>
                    {
                        Training.Checkpoint.Load(path, rig.Model, rig.Optimizer, rig.Scheduler, rig.Plateau, rig.Generator, rig.Averaged, rig.AveragingScheduler);
                        rig.Train(1); // what loads must also train: a state that only fails at the next step is a reader's bug
                    },
                    rig.Fingerprint),
            ];
        }
        finally
        {
            Generator.Default.SetState(defaultState);
        }
    }

    /// <summary>
    /// <see cref="Training.Checkpoint.LoadOptimizer"/> on the input as a file, into an <see cref="Adam"/> with AMSGrad and
    /// into an <see cref="LBFGS"/> (the two with the richest state), each over a fresh <see cref="CheckpointRig.NewModel"/>.
    /// </summary>
    public static IReadOnlyList<ReaderCall> OptimizerStateFile(byte[] input)
    {
        string path = WorkFolder.Write("input.optimizer.safetensors", input);
        var (adamModel, lbfgsModel) = (CheckpointRig.NewModel(), CheckpointRig.NewModel());
        var adam = CheckpointRig.NewAdam(adamModel);
        var lbfgs = CheckpointRig.NewLbfgs(lbfgsModel);
        // After a load that succeeds, one step: a state that only fails there is the reader's bug.
        return
        [
            Call("optimizer-state", "Checkpoint.LoadOptimizer(path, adam)", path, input.Length,
                () => { Training.Checkpoint.LoadOptimizer(path, adam); CheckpointRig.Step(adamModel, adam); }, () => CheckpointRig.Fingerprint(adam)),
            Call("optimizer-state", "Checkpoint.LoadOptimizer(path, lbfgs)", path, input.Length,
                () => { Training.Checkpoint.LoadOptimizer(path, lbfgs); CheckpointRig.Step(lbfgsModel, lbfgs); }, () => CheckpointRig.Fingerprint(lbfgs)),
        ];
    }

    /// <summary>
    /// Runs <paramref name="read"/> and measures what it allocates on this thread. A call a little over its bound (by at
    /// most <see cref="OneTimeCosts"/>) runs once more and counts the second time: a first call's one-time costs
    /// (compiling, caches) are not the reader's. When
    /// <paramref name="state"/> is given, a failed call must leave it unchanged.
    /// </summary>
    /// <summary>The most that a reader's first call may allocate once only (type loading, serializer caches).</summary>
    private const long OneTimeCosts = 4 << 20;

    private static ReaderCall Call(string target, string reader, string? path, long inputBytes, Action read, Func<string>? state = null)
    {
        long bound = AllocationBound.For(target, inputBytes);
        string? before = state?.Invoke();
        var (error, allocated) = Measure(read);
        if (allocated > bound && allocated <= bound + OneTimeCosts) (error, allocated) = Measure(read);
        string? broken = error is not null && state is not null && state() != before ? $"{reader} failed and changed the objects it was loading into" : null;
        return new ReaderCall(target, reader, path, error, inputBytes, allocated, bound, broken);
    }

    private static (Exception? Error, long Allocated) Measure(Action read)
    {
        long start = GC.GetAllocatedBytesForCurrentThread();
        Exception? error = null;
        try
        {
            read();
        }
#pragma warning disable CA1031 // every exception is an outcome to report, not to handle
        catch (Exception e)
#pragma warning restore CA1031
        {
            error = e;
        }
        return (error, GC.GetAllocatedBytesForCurrentThread() - start);
    }
}

/// <summary>
/// The objects a checkpoint is loaded into, the same for the seed files and the targets: a 2-layer perceptron
/// (4 → 3, ReLU, 3 → 2), Adam with AMSGrad, a step schedule, a plateau schedule, a data generator, and a weight average
/// with its SWA schedule.
/// </summary>
internal sealed class CheckpointRig
{
    private CheckpointRig(Sequential model)
    {
        Model = model;
        Optimizer = NewAdam(model);
        Scheduler = new StepLR(Optimizer, stepSize: 2, gamma: 0.5);
        Plateau = new ReduceLROnPlateau(Optimizer, patience: 1);
        Generator = new Generator(2);
        Averaged = AveragedModel.Swa(model);
        AveragingScheduler = new SWALR(Optimizer, swaLr: 0.005, annealEpochs: 3);
    }

    /// <summary>The model.</summary>
    public Sequential Model { get; }

    /// <summary>The optimizer.</summary>
    public Adam Optimizer { get; }

    /// <summary>The learning-rate schedule.</summary>
    public StepLR Scheduler { get; }

    /// <summary>The plateau schedule.</summary>
    public ReduceLROnPlateau Plateau { get; }

    /// <summary>A data loader's generator.</summary>
    public Generator Generator { get; }

    /// <summary>The weight average.</summary>
    public AveragedModel Averaged { get; }

    /// <summary>The weight average's schedule.</summary>
    public SWALR AveragingScheduler { get; }

    /// <summary>Epochs of every part: one optimizer step, each schedule's step, one averaging.</summary>
    public void Train(int epochs)
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 8).Select(i => (float)Math.Sin(i)).ToArray(), [2, 4]);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            Optimizer.ZeroGrad();
            Model.Forward(x).Square().Mean().Backward();
            Optimizer.Step();
            Scheduler.Step();
            Plateau.Step(1.0 / (epoch + 1));
            Averaged.UpdateParameters(Model);
            AveragingScheduler.Step();
        }
    }

    /// <summary>One step of <paramref name="optimizer"/> over <paramref name="model"/> (a closure's for L-BFGS).</summary>
    public static void Step(Module model, Optimizer optimizer)
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 8).Select(i => (float)Math.Cos(i)).ToArray(), [2, 4]);
        Tensor Loss()
        {
            optimizer.ZeroGrad();
            var loss = model.Forward(x).Square().Mean();
            loss.Backward();
            return loss;
        }
        if (optimizer is LBFGS lbfgs) lbfgs.Step(Loss);
        else
        {
            Loss();
            ((FirstOrderOptimizer)optimizer).Step();
        }
    }

    /// <summary>A fresh rig; its weights are the same every time (drawn from a generator of its own).</summary>
    public static CheckpointRig Create() => new(NewModel());

    /// <summary>The perceptron, initialised from a generator seeded with 1.</summary>
    public static Sequential NewModel()
    {
        var g = new Generator(1);
        return new Sequential(new Linear(4, 3, generator: g), new ReLU(), new Linear(3, 2, generator: g));
    }

    /// <summary>Adam with AMSGrad (three state tensors per parameter) over <paramref name="model"/>.</summary>
    public static Adam NewAdam(Module model) => new(model.Parameters(), lr: 0.01, amsgrad: true);

    /// <summary>L-BFGS with a short history over <paramref name="model"/>.</summary>
    public static LBFGS NewLbfgs(Module model) => new(model.Parameters(), lr: 0.5, maxIter: 2, historySize: 3);

    /// <summary>Everything a load may change, as text: two equal fingerprints mean nothing changed.</summary>
    public string Fingerprint()
    {
        var s = new StringBuilder();
        Append(s, "model", Model.StateDict());
        s.Append(Fingerprint(Optimizer));
        Append(s, "scheduler", Scheduler.StateDict());
        Append(s, "plateau", Plateau.StateDict());
        Append(s, "averaged", Averaged.StateDict());
        Append(s, "averagingScheduler", AveragingScheduler.StateDict());
        s.Append("generator ").AppendJoin(' ', Generator.GetState()).Append('\n');
        s.Append("default generator ").AppendJoin(' ', Descent.Generator.Default.GetState()).Append('\n');
        return s.ToString();
    }

    /// <summary>An optimizer's hyperparameters and state, as text.</summary>
    public static string Fingerprint(Optimizer optimizer)
    {
        var s = new StringBuilder();
        var dict = optimizer.StateDict();
        foreach (var g in dict.ParamGroups)
        {
            s.Append("group ").AppendJoin(',', g.Params).Append('\n');
            foreach (var (name, value) in g.Hyperparameters.OrderBy(kv => kv.Key, StringComparer.Ordinal)) s.Append(name).Append('=').Append(Format(value)).Append('\n');
        }
        foreach (var (index, state) in dict.State)
        {
            s.Append("state ").Append(index).Append(" step ").Append(state.Step).Append('\n');
            foreach (var (name, v) in state.Numbers.OrderBy(kv => kv.Key, StringComparer.Ordinal)) s.Append(name).Append('=').Append(v.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            Append(s, "tensors", state.Tensors);
        }
        return s.ToString();
    }

    private static void Append(StringBuilder s, string part, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        foreach (var (name, t) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            s.Append(part).Append(' ').Append(name).Append(" [").AppendJoin(',', t.Shape).Append("] ").AppendJoin(',', t.ToDoubleArray().Select(Format)).Append('\n');
    }

    private static void Append(StringBuilder s, string part, IEnumerable<KeyValuePair<string, double[]>> values)
    {
        foreach (var (name, v) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            s.Append(part).Append(' ').Append(name).Append(' ').AppendJoin(',', v.Select(Format)).Append('\n');
    }

    private static string Format(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    private static string Format(object? value) => value switch
    {
        null => "null",
        double d => Format(d),
        double[] a => "[" + string.Join(",", a.Select(Format)) + "]",
        double?[] a => "[" + string.Join(",", a.Select(x => x is double d ? Format(d) : "null")) + "]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
