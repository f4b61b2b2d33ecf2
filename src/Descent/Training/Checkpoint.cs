using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Descent.IO;
using Descent.NN;
using Descent.Optim;
using Descent.Optim.Schedulers;

namespace Descent.Training;

/// <summary>
/// Everything needed to resume training exactly: the model's parameters and buffers, the optimizer's state, the
/// scheduler's state, the number of completed epochs the default random generator's state and, when given, that of another generator (a data loader's). Saved as one safetensors file
/// (tensors named <c>model.*</c> and <c>optimizer.state.*</c>; the rest as JSON in the metadata), written atomically so
/// that a process killed mid-save leaves the previous checkpoint loadable.
/// </summary>
public static class Checkpoint
{
    private const string FormatKey = "descent.checkpoint";
    private const string FormatVersion = "1";
    private const string AveragedPrefix = "averaged.";

    /// <summary>
    /// Saves a checkpoint to <paramref name="path"/> (atomically). A weight average is saved as tensors
    /// <c>averaged.module.*</c> and <c>averaged.n_averaged</c>, its schedule as the metadata <c>averaging.scheduler</c>.
    /// </summary>
    public static void Save(string path, Module model, Optimizer optimizer, int epoch, LRScheduler? scheduler = null,
        ReduceLROnPlateau? plateau = null, Generator? generator = null, AveragedModel? averaged = null, LRScheduler? averagingScheduler = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        var (tensors, metadata) = OptimizerParts(optimizer);
        foreach (var (name, t) in model.StateDict()) tensors["model." + name] = t.Detach();
        metadata["epoch"] = epoch.ToString(CultureInfo.InvariantCulture);
        if (scheduler is not null) metadata["scheduler"] = SchedulerToJson(scheduler.StateDict());
        if (plateau is not null) metadata["plateau"] = SchedulerToJson(plateau.StateDict());
        if (averaged is not null)
            foreach (var (name, t) in averaged.StateDict()) tensors[AveragedPrefix + name] = t;
        if (averagingScheduler is not null) metadata["averaging.scheduler"] = SchedulerToJson(averagingScheduler.StateDict());
        if (generator is not null) metadata["generator"] = GeneratorToJson(generator);
        metadata["generator.default"] = GeneratorToJson(Generator.Default);
        SafeTensors.Save(path, tensors, metadata);
    }

    /// <summary>
    /// Saves the optimizer's state alone (its <see cref="Optimizer.StateDict"/>) to <paramref name="path"/>, atomically, in
    /// the checkpoint's format; <see cref="LoadOptimizer"/> reads it back.
    /// </summary>
    public static void SaveOptimizer(string path, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var (tensors, metadata) = OptimizerParts(optimizer);
        SafeTensors.Save(path, tensors, metadata);
    }

    /// <summary>
    /// Loads an optimizer state saved by <see cref="SaveOptimizer"/> (or the optimizer part of a full checkpoint) into
    /// <paramref name="optimizer"/>, which then continues exactly where the saved one was. Nothing changes on failure.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not such a state, or not of this optimizer; the message names the file and the field.</exception>
    public static void LoadOptimizer(string path, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var content = SafeTensors.Load(path);
        var meta = new CheckpointMetadata(path, content.Metadata);
        var optimizerState = ReadOptimizerState(meta, content.Tensors, optimizer);
        Check(meta, "optimizer", () => optimizer.PrepareLoad(optimizerState))();
    }

    /// <summary>The optimizer's tensors (<c>optimizer.state.*</c>) and metadata, the part every checkpoint holds.</summary>
    private static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) OptimizerParts(Optimizer optimizer)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var state = optimizer.StateDict();
        foreach (var (name, t) in state.NamedTensors()) tensors["optimizer." + name] = t;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = FormatVersion,
            ["optimizer.type"] = optimizer.GetType().Name,
            ["optimizer.groups"] = GroupsToJson(state).ToJsonString(),
            ["optimizer.steps"] = StepsToJson(state).ToJsonString(),
        };
        return (tensors, metadata);
    }

    /// <summary>
    /// Loads a checkpoint into <paramref name="model"/>, <paramref name="optimizer"/> and (when given) the scheduler,
    /// generator and weight average, and returns the number of completed epochs. Every part is read and checked before
    /// any is applied: on failure nothing changes.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of these objects; the message names the file and the field.</exception>
    public static int Load(string path, Module model, Optimizer optimizer, LRScheduler? scheduler = null,
        ReduceLROnPlateau? plateau = null, Generator? generator = null, AveragedModel? averaged = null, LRScheduler? averagingScheduler = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var content = SafeTensors.Load(path);
        var meta = new CheckpointMetadata(path, content.Metadata);
        var optimizerState = ReadOptimizerState(meta, content.Tensors, optimizer);
        int epoch = meta.Count("epoch");
        var modelState = Prefixed(content.Tensors, "model.");
        var schedulerState = scheduler is null ? null : meta.SchedulerState("scheduler");
        var plateauState = plateau is null ? null : meta.SchedulerState("plateau");
        var averagingSchedulerState = averagingScheduler is null ? null : meta.SchedulerState("averaging.scheduler");
        var generatorState = generator is null ? null : meta.GeneratorState("generator");
        var defaultState = meta.GeneratorState("generator.default");
        var averagedState = averaged is null ? null : Prefixed(content.Tensors, AveragedPrefix);

        // Check the parts whose loading cannot be undone cheaply (the tensors), changing nothing.
        var loadOptimizer = Check(meta, "optimizer", () => optimizer.PrepareLoad(optimizerState));
        Check(meta, "model", () => model.CheckStateDict(modelState));
        if (averagedState is not null)
        {
            if (averagedState.Count == 0) throw meta.Error(AveragedPrefix + "*", "the checkpoint holds no weight average; it was saved without one");
            Check(meta, "weight average", () => averaged!.Check(averagedState));
        }

        // The optimizer and the schedules, which set the groups' rates in turn: a schedule's state is checked as it
        // loads, and if one fails, what loaded before it is put back.
        var undo = new Stack<Action>();
        undo.Push(optimizer.Memento());
        try
        {
            loadOptimizer();
            LoadSchedule(meta, "scheduler", scheduler, schedulerState, undo);
            if (plateau is not null)
            {
                var before = plateau.StateDict();
                undo.Push(() => plateau.LoadStateDict(before));
                Check(meta, "plateau", () => plateau.LoadStateDict(plateauState!));
            }
            LoadSchedule(meta, "averaging.scheduler", averagingScheduler, averagingSchedulerState, undo);
        }
        catch
        {
            // Whatever failed (a refusal, or a hook's own exception), nothing of this checkpoint stays loaded.
            while (undo.TryPop(out var restore)) restore();
            throw;
        }

        // The parts checked above, whose loading cannot fail.
        model.LoadStateDict(modelState);
        averaged?.LoadStateDict(averagedState!);
        generator?.SetState(generatorState!);
        Generator.Default.SetState(defaultState);
        return epoch;
    }

    /// <summary>Loads a schedule's state, after pushing what puts its present state back.</summary>
    private static void LoadSchedule(CheckpointMetadata meta, string key, LRScheduler? scheduler, Dictionary<string, double[]>? state, Stack<Action> undo)
    {
        if (scheduler is null) return;
        var before = scheduler.StateDict();
        undo.Push(() => scheduler.LoadStateDict(before));
        Check(meta, key, () => scheduler.LoadStateDict(state!));
    }

    /// <summary>Runs a check (or a load that checks first), turning its <see cref="ArgumentException"/> into the file's error about <paramref name="part"/>.</summary>
    private static void Check(CheckpointMetadata meta, string part, Action check) => Check(meta, part, () =>
    {
        check();
        return 0;
    });

    private static T Check<T>(CheckpointMetadata meta, string part, Func<T> check)
    {
        try
        {
            return check();
        }
        catch (ArgumentException e)
        {
            throw meta.Error(part, Require.MessageOf(e), e);
        }
        catch (InvalidOperationException e)
        {
            throw meta.Error(part, e.Message, e);
        }
    }

    private static Dictionary<string, Tensor> Prefixed(IReadOnlyDictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);

    private static string SchedulerToJson(Dictionary<string, double[]> state) =>
        JsonSerializer.Serialize(state, CheckpointJsonContext.Default.DictionaryStringDoubleArray);

    private static string GeneratorToJson(Generator g) =>
        JsonSerializer.Serialize([.. g.GetState().Select(w => w.ToString(CultureInfo.InvariantCulture))], CheckpointJsonContext.Default.StringArray);

    private static JsonArray GroupsToJson(OptimizerStateDict state)
    {
        var groups = new JsonArray();
        foreach (var g in state.ParamGroups)
        {
            var hyper = new JsonObject();
            foreach (var (name, value) in g.Hyperparameters)
            {
                hyper[name] = value switch
                {
                    double d => JsonValue.Create(d),
                    bool b => JsonValue.Create(b),
                    long l => JsonValue.Create(l),
                    int i => JsonValue.Create(i),
                    string s => JsonValue.Create(s),
                    double[] a => new JsonArray(a.Select(x => (JsonNode)JsonValue.Create(x)).ToArray()),
                    double?[] a => new JsonArray(a.Select(x => x is null ? null : (JsonNode)JsonValue.Create(x.Value)).ToArray()), // (None, 1e-3)
                    (double a, double b) => new JsonArray(JsonValue.Create(a), JsonValue.Create(b)),
                    _ => throw new InvalidOperationException($"hyperparameter {name} has a value of type {value.GetType().Name} that a checkpoint cannot hold"),
                };
            }
            groups.Add((JsonNode)new JsonObject { ["params"] = new JsonArray(g.Params.Select(p => (JsonNode)JsonValue.Create(p)).ToArray()), ["hyperparameters"] = hyper });
        }
        return groups;
    }

    private static JsonObject StepsToJson(OptimizerStateDict state)
    {
        var steps = new JsonObject();
        foreach (var (index, s) in state.State)
        {
            var numbers = new JsonObject();
            foreach (var (name, v) in s.Numbers) numbers[name] = v;
            steps[index.ToString(CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["step"] = s.Step,
                ["numbers"] = numbers,
                ["tensors"] = new JsonArray(s.Tensors.Keys.Select(k => (JsonNode)JsonValue.Create(k)).ToArray()),
            };
        }
        return steps;
    }

    /// <summary>
    /// Checks the format and the optimizer's type, then reads the optimizer's state dict: every group's parameter indices
    /// and hyperparameters, every parameter's step, numbers and tensors (which the file must hold).
    /// </summary>
    private static OptimizerStateDict ReadOptimizerState(CheckpointMetadata meta, IReadOnlyDictionary<string, Tensor> tensors, Optimizer optimizer)
    {
        if (!meta.Has(FormatKey) || meta.Text(FormatKey) != FormatVersion)
            throw new InvalidDataException($"{meta.Path} is not a Descent checkpoint (metadata '{FormatKey}' is missing or not {FormatVersion})");
        string type = meta.Text("optimizer.type");
        if (type != optimizer.GetType().Name)
            throw meta.Error("optimizer.type", $"the file holds the state of a {CheckpointMetadata.Quote(type)} optimizer, not of {optimizer.GetType().Name}");
        var dict = new OptimizerStateDict();
        foreach (var node in meta.Json("optimizer.groups").Elements())
        {
            var g = new ParamGroupState();
            foreach (var p in node.Property("params").Elements()) g.Params.Add(p.Int32());
            foreach (var (name, value) in node.Property("hyperparameters").Properties()) g.Hyperparameters[name] = Hyperparameter(value);
            dict.ParamGroups.Add(g);
        }
        foreach (var (key, node) in meta.Json("optimizer.steps").Properties())
        {
            // The index as the writer spells it: "01" would name parameter 1 beside "1".
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index.ToString(CultureInfo.InvariantCulture) != key)
                throw node.Error($"names a parameter by {CheckpointMetadata.Quote(key)}, not by its index");
            var step = node.Property("step");
            var s = new ParamState { Step = step.Int64() >= 0 ? step.Int64() : throw step.Error($"must be 0 or more, got {step.Int64()}") };
            foreach (var (name, v) in node.Property("numbers").Properties()) s.Numbers[name] = v.Double();
            foreach (var t in node.Property("tensors").Elements())
            {
                string name = t.String();
                string tensorKey = $"optimizer.state.{index}.{name}";
                s.Tensors[name] = tensors.TryGetValue(tensorKey, out var tensor) ? tensor
                    : throw t.Error($"names the tensor '{tensorKey}', which the file does not hold");
            }
            dict.State[index] = s;
        }
        return dict;
    }

    /// <summary>A hyperparameter as <see cref="ParamGroupState.Hyperparameters"/> holds it: a number, a flag, a name, or numbers (a null among them is PyTorch's None).</summary>
    private static object Hyperparameter(JsonField value) => value.Value.ValueKind switch
    {
        JsonValueKind.Array when value.Value.EnumerateArray().Any(x => x.ValueKind == JsonValueKind.Null) =>
            value.Elements().Select(x => x.Value.ValueKind == JsonValueKind.Null ? (double?)null : x.Double()).ToArray(),
        JsonValueKind.Array => value.Elements().Select(x => x.Double()).ToArray(),
        JsonValueKind.String => value.String(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => value.Double(),
        _ => throw value.Error("must be a number, a flag, a name or an array of numbers"),
    };
}
