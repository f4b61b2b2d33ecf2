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
        { "gap in the history", "has old_dirs.1 but no tensor old_stps.1" },
        { "step pair saved as a number", "has old_dirs.1 but no tensor old_stps.1" },
        { "curvature saved as a tensor", "has old_dirs.1 but no number ro.1" },
        { "entry past the history", "has ro.5, outside its" },
        { "state on parameter 1", "keeps its state on parameter 0" },
        { "direction of another length", "has shape [4]" },
        { "integer direction", "d of parameter 0 has dtype int64; optimizer state must be float32 or float64" },
        { "no direction", "has taken a step but has no tensor d" },
        { "no previous gradient", "has taken a step but has no tensor prev_flat_grad" },
        { "NaN step length", "so t must be a finite number, got NaN" },
        { "no H_diag", "so H_diag must be a finite number, got none" },
        { "fractional n_iter", "n_iter is 1.5; it must be a whole number >= 0" },
        { "negative func_evals", "func_evals is -3; it must be a whole number >= 0" },
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
            case "step pair saved as a number":
                entry.Tensors.Remove("old_stps.1");
                entry.Numbers["old_stps.1"] = 1;
                break;
            case "curvature saved as a tensor":
                entry.Numbers.Remove("ro.1");
                entry.Tensors["ro.1"] = Tensor.Zeros([9], DType.Float64);
                break;
            case "no direction": entry.Tensors.Remove("d"); break;
            case "no previous gradient": entry.Tensors.Remove("prev_flat_grad"); break;
            case "NaN step length": entry.Numbers["t"] = double.NaN; break;
            case "no H_diag": entry.Numbers.Remove("H_diag"); break;
            case "fractional n_iter": entry.Numbers["n_iter"] = 1.5; break;
            case "negative func_evals": entry.Numbers["func_evals"] = -3; break;
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

    /// <summary>Two parameters and the state dict of an Adam that has taken one step over them.</summary>
    private static (Tensor[] Parameters, OptimizerStateDict State) SteppedAdam(bool amsgrad)
    {
        var ps = OptimizerTable.Parameters(DType.Float32, [3], [2]);
        var adam = new Adam(ps, lr: 0.01, amsgrad: amsgrad);
        ps[0].Grad = Tensor.Ones([3]);
        ps[1].Grad = Tensor.Ones([2]);
        adam.Step();
        return (ps, adam.StateDict());
    }

    [Fact]
    public void AnIntegerStateTensorIsRefusedBeforeItReachesAStep()
    {
        var (ps, state) = SteppedAdam(amsgrad: false);
        state.State[1].Tensors["exp_avg"] = Tensor.Zeros([2], DType.Int64);
        var target = new Adam(ps, lr: 0.01);
        string before = Descent.Fuzz.CheckpointRig.Fingerprint(target);

        var e = Assert.Throws<ArgumentException>(() => target.LoadStateDict(state));

        Assert.Contains("exp_avg of parameter 1 has dtype int64", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Descent.Fuzz.CheckpointRig.Fingerprint(target));
    }

    [Theory]
    [InlineData("exp_avg", double.NaN, "exp_avg of parameter 1 has 1 of 2 elements not finite, the first NaN at index 1")]
    [InlineData("exp_avg_sq", double.PositiveInfinity, "exp_avg_sq of parameter 1 has 1 of 2 elements not finite, the first Infinity at index 1")]
    [InlineData("exp_avg_sq", -0.25, "exp_avg_sq of parameter 1 has -0.25 at index 1; it is never negative")]
    [InlineData("max_exp_avg_sq", -1e-30, "max_exp_avg_sq of parameter 1 has -1E-30 at index 1; it is never negative")]
    public void AStateTensorNoStepCouldWriteIsRefused(string name, double value, string message)
    {
        var (ps, state) = SteppedAdam(amsgrad: true);
        state.State[1].Tensors[name] = Tensor.FromArray(new[] { 0.5, value });
        var target = new Adam(ps, lr: 0.01, amsgrad: true);
        string before = Descent.Fuzz.CheckpointRig.Fingerprint(target);

        var e = Assert.Throws<ArgumentException>(() => target.LoadStateDict(state));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Descent.Fuzz.CheckpointRig.Fingerprint(target));
    }

    [Fact]
    public void AFloat32SumOfSquaresIsCheckedInPlaceAndMinusZeroIsNotNegative()
    {
        var ps = OptimizerTable.Parameters(DType.Float32, [4]);
        var adam = new Adam(ps, lr: 0.01);
        ps[0].Grad = Tensor.Ones([4]);
        adam.Step();
        var state = adam.StateDict();
        state.State[0].Tensors["exp_avg_sq"] = Tensor.FromArray(new[] { 0f, -0f, -2.5f, -1f });

        var e = Assert.Throws<ArgumentException>(() => new Adam(ps, lr: 0.01).LoadStateDict(state));

        Assert.Contains("exp_avg_sq of parameter 0 has -2.5 at index 2; it is never negative", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnExpAvgMayBeNegative()
    {
        var (ps, state) = SteppedAdam(amsgrad: false);
        state.State[1].Tensors["exp_avg"] = Tensor.FromArray(new[] { -0.5f, -2f });
        var target = new Adam(ps, lr: 0.01);
        target.LoadStateDict(state);
        Assert.Equal(new[] { -0.5f, -2f }, target.StateDict().State[1].Tensors["exp_avg"].ToArray<float>());
    }

    public static TheoryData<string, object, string> WrongCounters { get; } = new()
    {
        { "lookahead_step", "3", "counter 'lookahead_step' must be a whole number >= 0, got \"3\"" },
        { "lookahead_step", -1.0, "counter 'lookahead_step' must be a whole number >= 0, got -1" },
        { "notfinite_count", 0.5, "counter 'notfinite_count' must be a whole number >= 0, got 0.5" },
        { "total_notfinite", double.PositiveInfinity, "counter 'total_notfinite' must be a whole number >= 0, got Infinity" },
        { "total_notfinite", true, "counter 'total_notfinite' must be a whole number >= 0, got True" },
    };

    [Theory]
    [MemberData(nameof(WrongCounters))]
    public void AWrappersCounterThatIsNotACountIsRefusedAndNamesTheGroup(string name, object value, string message)
    {
        var ps = OptimizerTable.Parameters(DType.Float32, [3], [2]);
        var saved = new Lookahead(new SkipNonFinite(new Adam(ps, lr: 0.01), maxConsecutiveSkips: 3), k: 2);
        var state = saved.StateDict();
        Assert.True(state.ParamGroups[0].Hyperparameters.ContainsKey(name), $"the wrapped Adam's group keeps {name}");
        state.ParamGroups[0].Hyperparameters[name] = value;
        var target = new Lookahead(new SkipNonFinite(new Adam(ps, lr: 0.01), maxConsecutiveSkips: 3), k: 2);
        string before = Descent.Fuzz.CheckpointRig.Fingerprint(target);

        var e = Assert.Throws<ArgumentException>(() => target.LoadStateDict(state));

        Assert.StartsWith("parameter group 0 of the state dict: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Descent.Fuzz.CheckpointRig.Fingerprint(target));
    }

    [Fact]
    public void WithValuesTakesAChoiceItselfAsWellAsItsName()
    {
        var options = (MuonOptions)new MuonOptions().WithValues(new Dictionary<string, object> { ["adjust_lr_fn"] = MuonLrAdjustment.MatchRmsAdamw });
        Assert.Equal(MuonLrAdjustment.MatchRmsAdamw, options.AdjustLrFn);
        var e = Assert.Throws<ArgumentException>(() => new MuonOptions().WithValues(new Dictionary<string, object> { ["adjust_lr_fn"] = DayOfWeek.Monday }));
        Assert.Contains("hyperparameter adjust_lr_fn must be a name, got Monday", e.Message, StringComparison.Ordinal);
    }
}
