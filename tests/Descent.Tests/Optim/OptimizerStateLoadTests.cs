using Descent.Optim;
using Descent.Tests.IO;

namespace Descent.Tests.Optim;

/// <summary>
/// Loading an optimizer's state checks every entry before it changes anything: the kind of each hyperparameter, the
/// numbering of the parameters, <c>initial_lr</c>, L-BFGS's flat history. And L-BFGS over several parameters resumes
/// from a file.
/// </summary>
public class OptimizerStateLoadTests
{
    private static readonly Func<Tensor[], Tensor> Loss = ps =>
        (ps[0].Square().Sum() * 3 + (ps[1] - 1).Square().Sum() + (ps[0].Sum() * ps[1].Sum()).Square()) * 0.5;

    private static Tensor[] Parameters() =>
    [
        Tensor.FromArray(new[] { 1.0, -2.0, 0.5, 1.5, -0.5, 2.0 }, [2, 3], requiresGrad: true),
        Tensor.FromArray(new[] { 0.25, -1.0, 3.0 }, requiresGrad: true),
    ];

    private static LBFGS Lbfgs(Tensor[] ps) => new(ps, lr: 0.5, maxIter: 3, historySize: 4);

    private static void Steps(LBFGS o, Tensor[] ps, int count)
    {
        for (int t = 0; t < count; t++)
            o.Step(() =>
            {
                o.ZeroGrad();
                var loss = Loss(ps);
                loss.Backward();
                return loss;
            });
    }

    [Fact]
    public void LbfgsOverSeveralParametersResumesFromAFileBitForBit()
    {
        var whole = Parameters();
        Steps(Lbfgs(whole), whole, 6);

        var resumed = Parameters();
        var first = Lbfgs(resumed);
        Steps(first, resumed, 3);
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "lbfgs.safetensors");
        Descent.Training.Checkpoint.SaveOptimizer(path, first);
        var second = Lbfgs(resumed);
        Descent.Training.Checkpoint.LoadOptimizer(path, second);
        Steps(second, resumed, 3);

        for (int i = 0; i < whole.Length; i++) Assert.Equal(whole[i].ToDoubleArray(), resumed[i].ToDoubleArray());
    }

    public static TheoryData<string, string> LbfgsDamages { get; } = new()
    {
        { "gap in the history", "has old_dirs.1 but no old_stps.1" },
        { "entry past the history", "has ro.5, outside its" },
        { "state on parameter 1", "keeps its state on parameter 0" },
        { "direction of another length", "has shape [4]" },
        { "integer direction", "must be floating-point" },
    };

    [Theory]
    [MemberData(nameof(LbfgsDamages))]
    public void ADamagedLbfgsHistoryIsRefusedAndNothingChanges(string damage, string message)
    {
        var ps = Parameters();
        var o = Lbfgs(ps);
        Steps(o, ps, 3);
        var state = o.StateDict();
        var entry = state.State[0];
        Assert.True(entry.Tensors.ContainsKey("old_dirs.1"), "three steps of three iterations fill two pairs at least");
        switch (damage)
        {
            case "gap in the history": entry.Tensors.Remove("old_stps.1"); break;
            case "entry past the history": entry.Numbers["ro.5"] = 1; break;
            case "state on parameter 1":
                state.State.Remove(0);
                state.State[1] = entry;
                break;
            case "direction of another length": entry.Tensors["d"] = Tensor.Zeros([4], DType.Float64); break;
            case "integer direction": entry.Tensors["d"] = Tensor.Zeros([9], DType.Int64); break;
        }
        var fresh = Lbfgs(ps);
        string before = Descent.Fuzz.CheckpointRig.Fingerprint(fresh);

        var e = Assert.ThrowsAny<ArgumentException>(() => fresh.LoadStateDict(state));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Descent.Fuzz.CheckpointRig.Fingerprint(fresh));
    }

    public static TheoryData<string, object, string> WrongKinds { get; } = new()
    {
        { "lr", "0.01", "hyperparameter lr must be a number, got \"0.01\"" },
        { "lr", true, "hyperparameter lr must be a number, got True" },
        { "amsgrad", 1.0, "hyperparameter amsgrad must be true or false, got 1" },
        { "betas", 0.9, "hyperparameter betas must be 2 numbers" },
        { "initial_lr", -0.5, "initial_lr -0.5; it must be finite and >= 0" },
        { "initial_lr", "0.1", "initial_lr that is not a number" },
    };

    [Theory]
    [MemberData(nameof(WrongKinds))]
    public void AHyperparameterOfTheWrongKindIsRefusedAndNothingChanges(string name, object value, string message)
    {
        var ps = OptimizerTable.Parameters(DType.Float32, [3], [2]);
        var adam = new Adam(ps, lr: 0.01);
        var state = adam.StateDict();
        state.ParamGroups[0].Hyperparameters[name] = value;
        var target = new Adam(ps, lr: 0.02, amsgrad: true);
        target.ParamGroups[0].InitialLr = 0.02;
        string before = Descent.Fuzz.CheckpointRig.Fingerprint(target);

        var e = Assert.ThrowsAny<ArgumentException>(() => target.LoadStateDict(state));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Descent.Fuzz.CheckpointRig.Fingerprint(target));
    }

    [Fact]
    public void ParametersNumberedOutOfOrderAreRefused()
    {
        var ps = OptimizerTable.Parameters(DType.Float32, [3], [2]);
        var sgd = new SGD([new ParamGroupSpec<SGDOptions>([ps[0]]), new ParamGroupSpec<SGDOptions>([ps[1]])], new SGDOptions(0.1));
        var state = sgd.StateDict();
        state.ParamGroups[1].Params[0] = 0;
        var e = Assert.Throws<ArgumentException>(() => new SGD([new ParamGroupSpec<SGDOptions>([ps[0]]), new ParamGroupSpec<SGDOptions>([ps[1]])], new SGDOptions(0.1)).LoadStateDict(state));
        Assert.Contains("parameter group 1 of the state dict lists parameter 0 in place 0", e.Message, StringComparison.Ordinal);
    }
}
