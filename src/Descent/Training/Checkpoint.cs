using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
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
        if (scheduler is not null) metadata["scheduler"] = JsonSerializer.Serialize(scheduler.StateDict());
        if (plateau is not null) metadata["plateau"] = JsonSerializer.Serialize(plateau.StateDict());
        if (averaged is not null)
            foreach (var (name, t) in averaged.StateDict()) tensors[AveragedPrefix + name] = t;
        if (averagingScheduler is not null) metadata["averaging.scheduler"] = JsonSerializer.Serialize(averagingScheduler.StateDict());
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
    public static void LoadOptimizer(string path, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var content = SafeTensors.Load(path);
        optimizer.LoadStateDict(ReadOptimizerState(path, content, optimizer));
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

    /// <summary>Checks the format and the optimizer's type, then reads the optimizer's state dict.</summary>
    private static OptimizerStateDict ReadOptimizerState(string path, SafeTensorsContent content, Optimizer optimizer)
    {
        var meta = content.Metadata;
        if (!meta.TryGetValue(FormatKey, out var version) || version != FormatVersion)
            throw new InvalidDataException($"{path} is not a Descent checkpoint (metadata '{FormatKey}' is missing or not {FormatVersion})");
        string Required(string key) => meta.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{path}: checkpoint metadata lacks '{key}'");
        if (Required("optimizer.type") != optimizer.GetType().Name)
            throw new InvalidDataException($"{path} holds the state of a {meta["optimizer.type"]} optimizer, not of {optimizer.GetType().Name}");
        return ReadOptimizerState(content.Tensors, Required("optimizer.groups"), Required("optimizer.steps"));
    }

    /// <summary>
    /// Loads a checkpoint into <paramref name="model"/>, <paramref name="optimizer"/> and (when given) the scheduler,
    /// generator and weight average, and returns the number of completed epochs. The parts are read and parsed before
    /// any is applied.
    /// </summary>
    public static int Load(string path, Module model, Optimizer optimizer, LRScheduler? scheduler = null,
        ReduceLROnPlateau? plateau = null, Generator? generator = null, AveragedModel? averaged = null, LRScheduler? averagingScheduler = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var content = SafeTensors.Load(path);
        var meta = content.Metadata;
        var optimizerState = ReadOptimizerState(path, content, optimizer);
        string Required(string key) => meta.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{path}: checkpoint metadata lacks '{key}'");
        int epoch = int.Parse(Required("epoch"), CultureInfo.InvariantCulture);

        var modelState = content.Tensors.Where(kv => kv.Key.StartsWith("model.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["model.".Length..], kv => kv.Value, StringComparer.Ordinal);
        var schedulerState = scheduler is null ? null : JsonSerializer.Deserialize<Dictionary<string, double[]>>(Required("scheduler"));
        var plateauState = plateau is null ? null : JsonSerializer.Deserialize<Dictionary<string, double[]>>(Required("plateau"));
        var generatorState = generator is null ? null : GeneratorFromJson(Required("generator"));
        var defaultState = GeneratorFromJson(Required("generator.default"));
        var averagedState = averaged is null ? null : content.Tensors.Where(kv => kv.Key.StartsWith(AveragedPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[AveragedPrefix.Length..], kv => kv.Value, StringComparer.Ordinal);
        var averagingSchedulerState = averagingScheduler is null ? null
            : JsonSerializer.Deserialize<Dictionary<string, double[]>>(Required("averaging.scheduler"));

        if (averagedState is not null)
        {
            // Checked here, before the model changes: a checkpoint written without averaging cannot resume an average.
            if (averagedState.Count == 0) throw new InvalidDataException($"{path}: the checkpoint holds no weight average ({AveragedPrefix}*); it was saved without one");
            try { averaged!.Check(averagedState); }
            catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        }

        // Every part was read and parsed; now apply them (each Load validates before changing its object).
        model.LoadStateDict(modelState);
        optimizer.LoadStateDict(optimizerState);
        if (schedulerState is not null) scheduler!.LoadStateDict(schedulerState);
        if (plateauState is not null) plateau!.LoadStateDict(plateauState);
        if (averagedState is not null) averaged!.LoadStateDict(averagedState);
        if (averagingSchedulerState is not null) averagingScheduler!.LoadStateDict(averagingSchedulerState);
        if (generatorState is not null) generator!.SetState(generatorState);
        Generator.Default.SetState(defaultState);
        return epoch;
    }

    private static string GeneratorToJson(Generator g) => JsonSerializer.Serialize(g.GetState().Select(w => w.ToString(CultureInfo.InvariantCulture)));

    private static ulong[] GeneratorFromJson(string json) =>
        JsonSerializer.Deserialize<string[]>(json)!.Select(s => ulong.Parse(s, CultureInfo.InvariantCulture)).ToArray();

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
            groups.Add(new JsonObject { ["params"] = new JsonArray(g.Params.Select(p => (JsonNode)JsonValue.Create(p)).ToArray()), ["hyperparameters"] = hyper });
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

    private static OptimizerStateDict ReadOptimizerState(IReadOnlyDictionary<string, Tensor> tensors, string groupsJson, string stepsJson)
    {
        var dict = new OptimizerStateDict();
        foreach (var node in JsonNode.Parse(groupsJson)!.AsArray())
        {
            var g = new ParamGroupState();
            foreach (var p in node!["params"]!.AsArray()) g.Params.Add(p!.GetValue<int>());
            foreach (var (name, value) in node["hyperparameters"]!.AsObject()) g.Hyperparameters[name] = FromJson(name, value);
            dict.ParamGroups.Add(g);
        }
        foreach (var (key, node) in JsonNode.Parse(stepsJson)!.AsObject())
        {
            int index = int.Parse(key, CultureInfo.InvariantCulture);
            var s = new ParamState { Step = node!["step"]!.GetValue<long>() };
            foreach (var (name, v) in node["numbers"]!.AsObject()) s.Numbers[name] = v!.GetValue<double>();
            foreach (var t in node["tensors"]!.AsArray())
            {
                string name = t!.GetValue<string>();
                string tensorKey = $"optimizer.state.{index}.{name}";
                s.Tensors[name] = tensors.TryGetValue(tensorKey, out var tensor) ? tensor
                    : throw new InvalidDataException($"checkpoint lacks the optimizer tensor '{tensorKey}'");
            }
            dict.State[index] = s;
        }
        return dict;
    }

    private static object FromJson(string name, JsonNode? value) => value switch
    {
        JsonArray a when a.Any(x => x is null) => a.Select(x => x?.GetValue<double>()).ToArray(),
        JsonArray a => a.Select(x => x!.GetValue<double>()).ToArray(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
        _ => throw new InvalidDataException($"checkpoint hyperparameter '{name}' has an unreadable value"),
    };
}
