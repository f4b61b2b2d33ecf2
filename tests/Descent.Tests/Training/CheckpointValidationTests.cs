using System.Text.Json.Nodes;
using Descent.Fuzz;
using Descent.IO;
using Descent.Tests.IO;
using Descent.Training;

namespace Descent.Tests.Training;

/// <summary>
/// Checkpoints damaged one field at a time, in the metadata's JSON and in the tensors: every load fails with an
/// <see cref="InvalidDataException"/> that names the file and the field, and changes nothing in the objects it was
/// loading into, including when the damaged part is one that loads after others (a schedule after the optimizer).
/// </summary>
[Collection(DefaultGeneratorCollection.Name)]
public sealed class CheckpointValidationTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly SafeTensorsContent _good;
    private readonly string _saved;

    public CheckpointValidationTests()
    {
        // A run of three epochs with every part: its checkpoint is what the damages start from.
        var rig = CheckpointRig.Create();
        rig.Train(3);
        string path = Path.Combine(_dir.Path, "good.safetensors");
        Checkpoint.Save(path, rig.Model, rig.Optimizer, 3, rig.Scheduler, rig.Plateau, rig.Generator, rig.Averaged, rig.AveragingScheduler);
        _saved = rig.Fingerprint();
        _good = SafeTensors.Load(path);
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>A damage's name, the metadata key it edits and the JSON edit (or text), and the field the error must name.</summary>
    public static TheoryData<string, string> Damages { get; } = new()
    {
        { "epoch negative", "epoch" },
        { "epoch fraction", "epoch" },
        { "epoch missing", "epoch" },
        { "groups truncated", "optimizer.groups" },
        { "groups not an array", "optimizer.groups" },
        { "group without params", "optimizer.groups[0]" },
        { "params not numbers", "optimizer.groups[0].params[1]" },
        { "params renumbered", "optimizer" },
        { "lr a string", "optimizer" },
        { "lr negative", "optimizer" },
        { "amsgrad a number", "optimizer" },
        { "betas three", "optimizer" },
        { "unknown hyperparameter", "optimizer" },
        { "initial_lr NaN-like", "optimizer" },
        { "steps duplicate key", "optimizer.steps" },
        { "step negative", "optimizer.steps[\"0\"].step" },
        { "step fraction", "optimizer.steps[\"1\"].step" },
        { "step index out of range", "optimizer" },
        { "step index with a leading zero", "optimizer.steps[\"01\"]" },
        { "state tensor of integers", "optimizer" },
        { "numbers not numbers", "optimizer.steps[\"0\"].numbers[\"x\"]" },
        { "tensor name a number", "optimizer.steps[\"0\"].tensors[0]" },
        { "state tensor missing", "optimizer.steps[\"2\"].tensors[1]" },
        { "state tensor wrong shape", "optimizer" },
        { "model tensor missing", "model" },
        { "model tensor wrong dtype", "model" },
        { "scheduler truncated", "scheduler" },
        { "scheduler entry missing", "scheduler" },
        { "scheduler rate NaN-like", "scheduler[\"last_lr\"][0]" },
        { "plateau rate negative", "plateau" },
        { "plateau counter fraction", "plateau" },
        { "averaging step count missing", "averaging.scheduler" },
        { "averaging rate negative", "averaging.scheduler" },
        { "average count negative", "weight average" },
        { "average missing", "averaged.*" },
        { "generator two words", "generator" },
        { "generator word too large", "generator.default[3]" },
        { "generator all zeros", "generator" },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public void ADamagedFieldIsNamedAndNothingChanges(string damage, string field)
    {
        string path = Write(damage);
        var rig = CheckpointRig.Create();
        rig.Train(1); // what must survive is a run's state, not the defaults a fresh rig would be reset to
        var defaultState = Generator.Default.GetState();
        string before = rig.Fingerprint();

        var e = Assert.Throws<InvalidDataException>(() =>
            Checkpoint.Load(path, rig.Model, rig.Optimizer, rig.Scheduler, rig.Plateau, rig.Generator, rig.Averaged, rig.AveragingScheduler));

        Assert.StartsWith($"{path}: {field}: ", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, rig.Fingerprint());
        Assert.Equal(defaultState, Generator.Default.GetState());
    }

    [Fact]
    public void TheUndamagedCheckpointLoadsEveryPart()
    {
        string path = Path.Combine(_dir.Path, "copy.safetensors");
        SafeTensors.Save(path, _good.Tensors.ToDictionary(), _good.Metadata.ToDictionary());
        var rig = CheckpointRig.Create();
        rig.Train(1);
        var defaultState = Generator.Default.GetState();
        string loaded;
        try
        {
            Assert.Equal(3, Checkpoint.Load(path, rig.Model, rig.Optimizer, rig.Scheduler, rig.Plateau, rig.Generator, rig.Averaged, rig.AveragingScheduler));
            loaded = rig.Fingerprint();
        }
        finally
        {
            Generator.Default.SetState(defaultState);
        }
        Assert.Equal(_saved, loaded);
    }

    [Fact]
    public void AnOptimizerStateFileIsCheckedAsStrictly()
    {
        string path = Write("lr a string");
        var adam = CheckpointRig.NewAdam(CheckpointRig.NewModel());
        string before = CheckpointRig.Fingerprint(adam);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadOptimizer(path, adam));
        Assert.StartsWith($"{path}: optimizer: parameter group 0 of the state dict: hyperparameter lr must be a number", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, CheckpointRig.Fingerprint(adam));
    }

    private string Write(string damage)
    {
        var tensors = _good.Tensors.ToDictionary();
        var meta = _good.Metadata.ToDictionary();
        Damage(damage, tensors, meta);
        string path = Path.Combine(_dir.Path, damage.Replace(' ', '-') + ".safetensors");
        SafeTensors.Save(path, tensors, meta);
        return path;
    }

    private static void Damage(string damage, Dictionary<string, Tensor> tensors, Dictionary<string, string> meta)
    {
        void Edit(string key, Action<JsonNode> edit)
        {
            var node = JsonNode.Parse(meta[key])!;
            edit(node);
            meta[key] = node.ToJsonString();
        }
        JsonObject Group(JsonNode groups) => groups[0]!.AsObject();
        JsonObject Hyper(JsonNode groups) => Group(groups)["hyperparameters"]!.AsObject();
        switch (damage)
        {
            case "epoch negative": meta["epoch"] = "-1"; break;
            case "epoch fraction": meta["epoch"] = "2.5"; break;
            case "epoch missing": meta.Remove("epoch"); break;
            case "groups truncated": meta["optimizer.groups"] = meta["optimizer.groups"][..40]; break;
            case "groups not an array": meta["optimizer.groups"] = "{}"; break;
            case "group without params": Edit("optimizer.groups", g => Group(g).Remove("params")); break;
            case "params not numbers": Edit("optimizer.groups", g => Group(g)["params"]![1] = "one"); break;
            case "params renumbered": Edit("optimizer.groups", g => Group(g)["params"] = new JsonArray(3, 2, 1, 0)); break;
            case "lr a string": Edit("optimizer.groups", g => Hyper(g)["lr"] = "0.01"); break;
            case "lr negative": Edit("optimizer.groups", g => Hyper(g)["lr"] = -0.01); break;
            case "amsgrad a number": Edit("optimizer.groups", g => Hyper(g)["amsgrad"] = 1); break;
            case "betas three": Edit("optimizer.groups", g => Hyper(g)["betas"] = new JsonArray(0.9, 0.99, 0.999)); break;
            case "unknown hyperparameter": Edit("optimizer.groups", g => Hyper(g)["nesterov"] = true); break;
            case "initial_lr NaN-like": Edit("optimizer.groups", g => Hyper(g)["initial_lr"] = "NaN"); break;
            case "steps duplicate key": meta["optimizer.steps"] = meta["optimizer.steps"].Insert(1, "\"3\":{},"); break;
            case "step negative": Edit("optimizer.steps", s => s["0"]!["step"] = -3); break;
            case "step fraction": Edit("optimizer.steps", s => s["1"]!["step"] = 2.5); break;
            case "step index out of range":
                Edit("optimizer.steps", s => s["4"] = JsonNode.Parse("""{"step":1,"numbers":{},"tensors":[]}"""));
                break;
            case "numbers not numbers": Edit("optimizer.steps", s => s["0"]!["numbers"]!["x"] = "1"); break;
            case "step index with a leading zero":
                Edit("optimizer.steps", s =>
                {
                    s["01"] = s["1"]!.DeepClone();
                    s.AsObject().Remove("1");
                });
                break;
            case "state tensor of integers": tensors["optimizer.state.1.exp_avg"] = Tensor.Zeros(tensors["optimizer.state.1.exp_avg"].ShapeArray, DType.Int64); break;
            case "tensor name a number": Edit("optimizer.steps", s => s["0"]!["tensors"]![0] = 0); break;
            case "state tensor missing": tensors.Remove("optimizer.state.2.exp_avg_sq"); break;
            case "state tensor wrong shape": tensors["optimizer.state.1.exp_avg"] = Tensor.Zeros([4]); break;
            case "model tensor missing": tensors.Remove("model.2.bias"); break;
            case "model tensor wrong dtype": tensors["model.2.bias"] = tensors["model.2.bias"].To(DType.Float64); break;
            case "scheduler truncated": meta["scheduler"] = meta["scheduler"][..10]; break;
            case "scheduler entry missing": Edit("scheduler", s => s.AsObject().Remove("base_lrs")); break;
            case "scheduler rate NaN-like": Edit("scheduler", s => s["last_lr"]![0] = "NaN"); break;
            case "plateau rate negative": Edit("plateau", s => s["last_lr"]![0] = -1); break;
            case "plateau counter fraction": Edit("plateau", s => s["num_bad_epochs"]![0] = 0.5); break;
            case "averaging step count missing": Edit("averaging.scheduler", s => s.AsObject().Remove("_step_count")); break;
            case "averaging rate negative": Edit("averaging.scheduler", s => s["last_lr"]![0] = -0.5); break;
            case "average count negative": tensors["averaged.n_averaged"] = Tensor.FromArray(new long[] { -1 }); break;
            case "average missing":
                foreach (var key in tensors.Keys.Where(k => k.StartsWith("averaged.", StringComparison.Ordinal)).ToList()) tensors.Remove(key);
                break;
            case "generator two words": Edit("generator", g => { g.AsArray().RemoveAt(0); g.AsArray().RemoveAt(0); }); break;
            case "generator word too large": Edit("generator.default", g => g[3] = "18446744073709551616"); break;
            case "generator all zeros": meta["generator"] = """["0","0","0","0"]"""; break;
            default: throw new ArgumentOutOfRangeException(nameof(damage), damage, "no such damage");
        }
    }
}

/// <summary>A checkpoint saved before any step: the plateau's best is still infinite.</summary>
[Collection(DefaultGeneratorCollection.Name)]
public sealed class CheckpointBeforeTheFirstStepTests
{
    [Fact]
    public void ACheckpointSavedBeforeAnyStepLoads()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "start.safetensors");
        var rig = CheckpointRig.Create();
        var defaultState = Generator.Default.GetState();
        Checkpoint.Save(path, rig.Model, rig.Optimizer, 0, rig.Scheduler, rig.Plateau, rig.Generator, rig.Averaged, rig.AveragingScheduler);
        var loaded = CheckpointRig.Create();
        try
        {
            Assert.Equal(0, Checkpoint.Load(path, loaded.Model, loaded.Optimizer, loaded.Scheduler, loaded.Plateau, loaded.Generator, loaded.Averaged, loaded.AveragingScheduler));
        }
        finally
        {
            Generator.Default.SetState(defaultState);
        }
        Assert.Equal(double.PositiveInfinity, loaded.Plateau.Best);
        Assert.Equal(rig.Fingerprint(), loaded.Fingerprint());
    }
}
