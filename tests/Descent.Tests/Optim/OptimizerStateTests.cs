using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>State dicts, state files and resumption: a run stopped and resumed continues bit for bit.</summary>
public class OptimizerStateTests
{
    public static TheoryData<string> Names => OptimizerTable.Names();

    private static void Steps(FirstOrderOptimizer o, Tensor[] ps, int from, int to)
    {
        for (int t = from; t < to; t++)
        {
            for (int i = 0; i < ps.Length; i++) ps[i].Grad = (t + i) % 4 == 3 ? null : OptimizerTable.Gradient(ps[i], t, i);
            o.Step();
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ResumedFromFileContinuesBitIdentically(string name)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var factory = OptimizerTable.Factories[name];
            var a = OptimizerTable.Parameters(dtype, [4, 3], [5]);
            var b = OptimizerTable.Parameters(dtype, [4, 3], [5]);
            var whole = factory(a);
            Steps(whole, a, 0, 10);

            var first = factory(b);
            Steps(first, b, 0, 4);
            var path = Path.Combine(Path.GetTempPath(), $"descent-optim-{name}-{Guid.NewGuid():N}.bin");
            try
            {
                Descent.Training.Checkpoint.SaveOptimizer(path, first);
                // A fresh process would rebuild the model from its own checkpoint; here the parameters carry over.
                var resumed = factory(b);
                Descent.Training.Checkpoint.LoadOptimizer(path, resumed);
                Steps(resumed, b, 4, 10);
            }
            finally
            {
                File.Delete(path);
            }
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].ToDoubleArray(), b[i].ToDoubleArray());
            Assert.Empty(Directory.GetFiles(Path.GetTempPath(), $"descent-optim-{name}-*.tmp"));
        }
    }

    [Fact]
    public void LbfgsResumedFromStateDictContinuesBitIdentically()
    {
        Tensor Loss(Tensor x) => TestFunctions.Get("rosenbrock")(x);
        Optimizer Make(Tensor x) => new LBFGS([x], maxIter: 3, historySize: 4, lineSearch: LineSearch.StrongWolfe);
        var a = Tensor.FromArray(new[] { -1.5, 2.0 }, requiresGrad: true);
        var b = Tensor.FromArray(new[] { -1.5, 2.0 }, requiresGrad: true);
        var oa = Make(a);
        var ob = Make(b);
        Func<Tensor> Closure(Optimizer o, Tensor x) => () => { o.ZeroGrad(); var l = Loss(x); l.Backward(); return l; };
        for (int t = 0; t < 6; t++) oa.Step(Closure(oa, a));
        for (int t = 0; t < 3; t++) ob.Step(Closure(ob, b));
        var saved = ob.StateDict();
        var resumed = Make(b);
        resumed.LoadStateDict(saved);
        for (int t = 3; t < 6; t++) resumed.Step(Closure(resumed, b));
        Assert.Equal(a.ToDoubleArray(), b.ToDoubleArray());
    }

    [Fact]
    public void StateDictHoldsHyperparametersTensorsAndSteps()
    {
        var ps = OptimizerTable.Parameters(DType.Float32, [2, 2], [3]);
        var adam = new Adam([new ParamGroupSpec<AdamOptions>([ps[0]]), new ParamGroupSpec<AdamOptions>([ps[1]], o => o with { Lr = 0.5 })], amsgrad: true);
        adam.ParamGroups[1].InitialLr = 0.5;
        ps[0].Grad = OptimizerTable.Gradient(ps[0], 0, 0);
        adam.Step();
        adam.Step();
        var dict = adam.StateDict();
        Assert.Equal(2, dict.ParamGroups.Count);
        Assert.Equal(0.001, dict.ParamGroups[0].Hyperparameters["lr"]);
        Assert.Equal(0.5, dict.ParamGroups[1].Hyperparameters["initial_lr"]);
        Assert.Equal([1], dict.ParamGroups[1].Params);
        Assert.Equal([0], dict.State.Keys);
        Assert.Equal(2, dict.State[0].Step);
        Assert.Equal(["exp_avg", "exp_avg_sq", "max_exp_avg_sq"], dict.State[0].Tensors.Keys.Order());
        Assert.Equal(3, dict.NamedTensors().Count());
        // The dict holds copies: stepping again does not change it.
        var before = dict.State[0].Tensors["exp_avg"].ToDoubleArray();
        adam.Step();
        Assert.Equal(before, dict.State[0].Tensors["exp_avg"].ToDoubleArray());
    }

    [Fact]
    public void LoadingRestoresHyperparametersChangedByASchedule()
    {
        var ps = OptimizerTable.Parameters(DType.Float64, [3]);
        var sgd = new SGD(ps, lr: 0.1, momentum: 0.9);
        sgd.ParamGroups[0].Lr = 0.025;
        sgd.ParamGroups[0].Momentum = 0.8;
        var other = new SGD(ps, lr: 0.1, momentum: 0.9);
        other.LoadStateDict(sgd.StateDict());
        Assert.Equal(0.025, other.ParamGroups[0].Lr);
        Assert.Equal(0.8, other.ParamGroups[0].Momentum);
    }

    [Fact]
    public void LoadingAMismatchedStateDictThrows()
    {
        var ps = OptimizerTable.Parameters(DType.Float64, [3], [2]);
        var two = new SGD([new ParamGroupSpec<SGDOptions>([ps[0]]), new ParamGroupSpec<SGDOptions>([ps[1]])], lr: 0.1);
        var one = new SGD(ps, lr: 0.1);
        Assert.Contains("2 parameter groups", Assert.Throws<ArgumentException>(() => one.LoadStateDict(two.StateDict())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadingATruncatedFileThrowsInvalidData()
    {
        var ps = OptimizerTable.Parameters(DType.Float64, [3]);
        var adam = new Adam(ps);
        ps[0].Grad = OptimizerTable.Gradient(ps[0], 0, 0);
        adam.Step();
        var path = Path.GetTempFileName();
        try
        {
            Descent.Training.Checkpoint.SaveOptimizer(path, adam);
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..^5]);
            Assert.Throws<InvalidDataException>(() => Descent.Training.Checkpoint.LoadOptimizer(path, adam));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ParameterWithoutGradientIsSkipped(string name)
    {
        var ps = OptimizerTable.Parameters(DType.Float32, [3], [2]);
        var o = OptimizerTable.Factories[name](ps);
        var before = ps[1].ToDoubleArray();
        ps[0].Grad = OptimizerTable.Gradient(ps[0], 0, 0);
        o.Step();
        Assert.Equal(before, ps[1].ToDoubleArray());
        Assert.Null(o.StateOf(ps[1]));
        Assert.NotNull(o.StateOf(ps[0]));
    }

    [Fact]
    public void ZeroGradSetsToNoneOrZeros()
    {
        var ps = OptimizerTable.Parameters(DType.Float32, [3]);
        var sgd = new SGD(ps, lr: 0.1);
        ps[0].Grad = OptimizerTable.Gradient(ps[0], 0, 0);
        sgd.ZeroGrad(setToNone: false);
        Assert.Equal(new double[3], ps[0].Grad!.ToDoubleArray());
        sgd.ZeroGrad();
        Assert.Null(ps[0].Grad);
    }

    [Fact]
    public void StepWithClosureReturnsTheClosuresLoss()
    {
        var x = Tensor.FromArray(new[] { 2.0 }, requiresGrad: true);
        var sgd = new SGD([x], lr: 0.1);
        var loss = sgd.Step(() => { sgd.ZeroGrad(); var l = (x * x).Sum(); l.Backward(); return l; });
        Assert.Equal(4.0, loss.Item());
        Assert.Equal(1.6, x.Item(), 15);
    }
}
