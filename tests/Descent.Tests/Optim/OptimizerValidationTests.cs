using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>Every out-of-range hyperparameter and every misuse throws, naming the argument and its value.</summary>
public class OptimizerValidationTests
{
    private static Tensor[] P() => [Tensor.Zeros([3], requiresGrad: true)];

    /// <summary>Every invalid configuration of every registry entry, by entry and index.</summary>
    public static TheoryData<string, int> RegistryInvalidConfigurations()
    {
        var data = new TheoryData<string, int>();
        foreach (var info in OptimizerRegistry.All)
            for (int k = 0; k < info.InvalidConfigurations.Count; k++) data.Add(info.Name, k);
        return data;
    }

    [Theory]
    [MemberData(nameof(RegistryInvalidConfigurations))]
    public void RegistryInvalidConfigurationThrowsNamingIt(string name, int index)
    {
        var info = OptimizerRegistry.Find(name)!;
        var invalid = info.InvalidConfigurations[index];
        var e = Assert.ThrowsAny<ArgumentException>(() => info.Create(P(), invalid.Options));
        Assert.True(e.ParamName == invalid.Argument, $"{name} #{index}: named {e.ParamName}, expected {invalid.Argument} ({e.Message})");
        Assert.Contains(invalid.Message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryEntryDeclaresInvalidConfigurations()
    {
        foreach (var info in OptimizerRegistry.All) Assert.True(info.InvalidConfigurations.Count > 0, $"{info.Name} lists no invalid configuration");
    }

    /// <summary>The constructors' named arguments, the convenience classes and group overrides check the same declarations.</summary>
    public static TheoryData<string, Action, string, string> InvalidHyperparameters => new()
    {
        { "SGD negative lr", () => _ = new SGD(P(), lr: -1), "lr", "-1" },
        { "Momentum zero momentum", () => _ = new Momentum(P(), lr: 0.1, momentum: 0), "momentum", "0" },
        { "Nesterov negative momentum", () => _ = new Nesterov(P(), lr: 0.1, momentum: -1), "momentum", "-1" },
        { "Adam beta1 = 1", () => _ = new Adam(P(), betas: (1.0, 0.999)), "betas", "betas[0]" },
        { "LBFGS zero max iterations", () => _ = new LBFGS(P(), maxIter: 0), "maxIter", "0" },
        { "LBFGS zero max evaluations", () => _ = new LBFGS(P(), maxEval: 0), "maxEval", "0" },
        { "group override out of range", () => _ = new SGD([new ParamGroupSpec<SGDOptions>(P(), o => o with { WeightDecay = -1 })], lr: 0.1), "weightDecay", "-1" },
        { "scheduler-set lr out of range", () => new SGD(P(), lr: 0.1).ParamGroups[0].Lr = double.NaN, "lr", "NaN" },
        { "scheduler-set momentum out of range", () => new SGD(P(), lr: 0.1, momentum: 0.9).ParamGroups[0].Momentum = -1, "momentum", "-1" },
        { "scheduler-set beta1 out of range", () => new Adam(P()).ParamGroups[0].Momentum = 1, "betas", "betas[0]" },
    };

    [Theory]
    [MemberData(nameof(InvalidHyperparameters))]
    public void OutOfRangeHyperparameterThrowsNamingIt(string rule, Action construct, string argument, string valueText)
    {
        var e = Assert.ThrowsAny<ArgumentException>(construct);
        Assert.True(e.ParamName == argument, $"{rule}: named {e.ParamName}, expected {argument}");
        Assert.Contains(valueText, e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> RegistryNames()
    {
        var data = new TheoryData<string>();
        foreach (var info in OptimizerRegistry.All) data.Add(info.Name);
        return data;
    }

    /// <summary>
    /// The group's public setters check what the constructors check, for every optimizer and each of its valid
    /// configurations (wrappers' groups, with several layers, included): NaN, −1 and ∞ are refused naming the argument and
    /// the value, the group unchanged; a rate of 0 (a schedule's end) is accepted.
    /// </summary>
    [Theory]
    [MemberData(nameof(RegistryNames))]
    public void EveryGroupSetterChecksAsTheConstructorsDo(string name)
    {
        var info = OptimizerRegistry.Find(name)!;
        foreach (var configuration in info.ValidConfigurations)
        {
            var group = info.Create([Tensor.Zeros([4, 4], DType.Float64, requiresGrad: true)], configuration).ParamGroups[0];
            var layers = group.Layers.ToArray();
            var cycled = group.Options.Hyperparameters().Concat(group.Layers[0].Hyperparameters()).FirstOrDefault(h => h.Cycled);
            foreach (double bad in new[] { double.NaN, -1, double.PositiveInfinity })
            {
                string value = Require.Format(bad);
                var lr = Assert.ThrowsAny<ArgumentException>(() => group.Lr = bad);
                Assert.True(lr.ParamName == "lr" && lr.Message.Contains(value, StringComparison.Ordinal), $"{name}: lr = {value} gave {lr.ParamName}: {lr.Message}");
                var initial = Assert.ThrowsAny<ArgumentException>(() => group.InitialLr = bad);
                Assert.Equal("initialLr", initial.ParamName);
                if (group.Momentum is not null)
                {
                    var m = Assert.ThrowsAny<ArgumentException>(() => group.Momentum = bad);
                    Assert.True(m.ParamName == cycled!.Name && m.Message.Contains(value, StringComparison.Ordinal), $"{name}: momentum = {value} gave {m.ParamName}: {m.Message}");
                }
                Assert.Equal(layers, group.Layers);
                Assert.Null(group.InitialLr);
            }
            group.Lr = 0;
            Assert.All(group.Layers, l => Assert.Equal(0, l.Lr));
        }
    }

    [Fact]
    public void AFailedSchedulerSetLeavesTheGroupUnchanged()
    {
        var adam = new Adam(P(), lr: 0.01, betas: (0.8, 0.99));
        Assert.ThrowsAny<ArgumentException>(() => adam.ParamGroups[0].Lr = -1);
        Assert.ThrowsAny<ArgumentException>(() => adam.ParamGroups[0].Momentum = 2);
        Assert.Equal(new AdamOptions(0.01) { Betas = (0.8, 0.99) }, adam.ParamGroups[0].Options);
    }

    /// <summary>Misuse of the parameter list: each must throw an argument exception with a message saying why.</summary>
    public static TheoryData<string, Action, string> InvalidParameterLists
    {
        get
        {
            var p = Tensor.Zeros([2], requiresGrad: true);
            var q = Tensor.Zeros([2], requiresGrad: true);
            return new()
            {
                { "empty parameter list", () => _ = new SGD(Array.Empty<Tensor>(), lr: 0.1), "empty parameter list" },
                { "parameter given twice", () => _ = new Adam([p, p]), "more than once" },
                { "parameter in two groups", () => _ = new Adam([new ParamGroupSpec<AdamOptions>([p]), new ParamGroupSpec<AdamOptions>([q, p])]), "more than once" },
                { "no groups", () => _ = new Adam(Array.Empty<ParamGroupSpec<AdamOptions>>()), "empty list of parameter groups" },
                { "non-leaf parameter", () => _ = new SGD([p * 2.0], lr: 0.1), "not a leaf" },
                { "integer parameter", () => _ = new SGD([Tensor.Zeros([2], DType.Int64)], lr: 0.1), "int64" },
            };
        }
    }

    [Theory]
    [MemberData(nameof(InvalidParameterLists))]
    public void InvalidParameterListThrows(string rule, Action construct, string messagePart)
    {
        var e = Assert.ThrowsAny<ArgumentException>(construct);
        Assert.True(e.Message.Contains(messagePart, StringComparison.Ordinal), $"{rule}: {e.Message}");
    }

    [Fact]
    public void AddParamGroupRejectsAParameterAlreadyPresent()
    {
        var p = Tensor.Zeros([2], requiresGrad: true);
        var sgd = new SGD([p], lr: 0.1);
        var e = Assert.Throws<ArgumentException>(() => sgd.AddParamGroup(new ParamGroupSpec<SGDOptions>([p])));
        Assert.Contains("more than once", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GradientOfWrongShapeThrowsOnStep()
    {
        var p = Tensor.Zeros([3], requiresGrad: true);
        var sgd = new SGD([p], lr: 0.1);
        p.Grad = Tensor.Zeros([4]);
        var e = Assert.Throws<InvalidOperationException>(sgd.Step);
        Assert.Contains("[4]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABadGradientLeavesTheWholeStepUndone()
    {
        var a = Tensor.FromArray(new[] { 1.0, 2.0 }, requiresGrad: true);
        var b = Tensor.FromArray(new[] { 3.0 }, requiresGrad: true);
        var adam = new Adam([a, b], lr: 0.1);
        a.Grad = Tensor.FromArray(new[] { 1.0, 1.0 });
        b.Grad = Tensor.FromArray(new[] { 1.0, 1.0 }); // the wrong shape, after a good one
        Assert.Throws<InvalidOperationException>(adam.Step);
        Assert.Equal([1.0, 2.0], a.ToDoubleArray());
        Assert.Null(adam.StateOf(a));
        b.Grad = Tensor.FromArray(new[] { 1.0 });
        adam.Step(); // and the next step is a first step, with nothing queued from the failed one
        Assert.Equal(1, adam.StateOf(a)!.Step);
        Assert.Equal(1.0 - 0.1 / (1 + 1e-8), a.ToDoubleArray()[0], 14); // Adam's first step: γ·g/(|g| + ε)
    }

    [Fact]
    public void AStateTensorOfTheWrongShapeIsRefusedOnLoad()
    {
        var p = Tensor.Zeros([3], DType.Float64, requiresGrad: true);
        var adam = new Adam([p]);
        p.Grad = Tensor.Ones([3], DType.Float64);
        adam.Step();
        var dict = adam.StateDict();
        dict.State[0].Tensors["exp_avg"] = Tensor.Zeros([4], DType.Float64);
        var fresh = new Adam([p]);
        var e = Assert.Throws<ArgumentException>(() => fresh.LoadStateDict(dict));
        Assert.Contains("exp_avg of parameter 0 has shape [4], the parameter [3]", e.Message, StringComparison.Ordinal);
        Assert.Null(fresh.StateOf(p));
    }

    [Fact]
    public void LbfgsHasNoStepWithoutAClosure()
    {
        // L-BFGS re-evaluates the model during a step, so it derives from Optimizer, not FirstOrderOptimizer: there is
        // no Step() to call by mistake and no AddParamGroup for a second group it could not use.
        Assert.False(typeof(FirstOrderOptimizer).IsAssignableFrom(typeof(LBFGS)));
        Assert.Null(typeof(LBFGS).GetMethod("Step", Type.EmptyTypes));
        Assert.Null(typeof(LBFGS).GetMethod("AddParamGroup"));
    }

    [Fact]
    public void SchedulerMomentumMapsToEachOptimizersCoefficient()
    {
        var sgd = new SGD(P(), lr: 0.1, momentum: 0.9);
        sgd.ParamGroups[0].Momentum = 0.5;
        Assert.Equal(0.5, ((SGDOptions)sgd.ParamGroups[0].Options).Momentum);
        var adam = new Adam(P());
        adam.ParamGroups[0].Momentum = 0.8;
        Assert.Equal((0.8, 0.999), ((AdamOptions)adam.ParamGroups[0].Options).Betas);
        var rmsprop = new RMSprop(P());
        rmsprop.ParamGroups[0].Momentum = 0.3;
        Assert.Equal(0.3, ((RMSpropOptions)rmsprop.ParamGroups[0].Options).Momentum);
        Assert.Null(new Adagrad(P()).ParamGroups[0].Momentum);
        Assert.Throws<InvalidOperationException>(() => new Adagrad(P()).ParamGroups[0].Momentum = 0.9);
    }
}
