using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>
/// The wrapper mechanism: a chain of wrappers shares its rule's groups and state, each adds one options record to every
/// group (the outermost is <see cref="ParamGroup.Options"/>) and its counters, and the state dict, schedulers and loading
/// see one optimizer whose names are those of every link.
/// </summary>
public class OptimizerWrapperTests
{
    private static Tensor[] Ps() => OptimizerTable.Parameters(DType.Float64, [3], [2]);

    [Fact]
    public void AChainSharesOneSetOfGroupsWithALayerPerOptimizer()
    {
        var ps = Ps();
        var adam = new Adam(ps, lr: 0.01);
        var lookahead = new Lookahead(adam, k: 2);
        var sam = new SAM(lookahead, rho: 0.1);
        var group = sam.ParamGroups[0];
        Assert.Same(adam.ParamGroups[0], group);
        Assert.Equal([typeof(AdamOptions), typeof(LookaheadOptions), typeof(SAMOptions)], group.Layers.Select(l => l.GetType()));
        Assert.IsType<SAMOptions>(group.Options);

        group.Lr = 0.02;
        Assert.All(group.Layers, l => Assert.Equal(0.02, l.Lr));
        Assert.Equal(0.9, group.Momentum); // Adam's β₁: the wrappers have none
        group.Momentum = 0.85;
        Assert.Equal((0.85, 0.999), ((AdamOptions)group.Layers[0]).Betas);

        var names = sam.StateDict().ParamGroups[0].Hyperparameters.Keys.Order(StringComparer.Ordinal);
        Assert.Equal(["amsgrad", "betas", "decoupled_weight_decay", "eps", "lookahead_alpha", "lookahead_base", "lookahead_k", "lookahead_step", "lr",
            "maximize", "sam_adaptive", "sam_base", "sam_rho", "weight_decay"], names);
        Assert.Equal("lookahead", sam.StateDict().ParamGroups[0].Hyperparameters["sam_base"]);
    }

    [Fact]
    public void AChainResumesFromItsStateDictBitForBit()
    {
        Optimizer Make(Tensor[] ps) => new SAM(new Lookahead(new SkipNonFinite(new Adam(ps, lr: 0.05), maxConsecutiveSkips: 3), k: 3), rho: 0.05);
        Func<Tensor> Closure(Optimizer o, Tensor[] ps) => () =>
        {
            o.ZeroGrad();
            var loss = (ps[0] * ps[0] * ps[0]).Sum() + (ps[1] * ps[1]).Sum();
            loss.Backward();
            return loss;
        };
        var a = Ps();
        var b = Ps();
        var whole = Make(a);
        for (int t = 0; t < 8; t++) whole.Step(Closure(whole, a));
        var first = Make(b);
        for (int t = 0; t < 4; t++) first.Step(Closure(first, b));
        var resumed = Make(b);
        resumed.LoadStateDict(first.StateDict());
        for (int t = 4; t < 8; t++) resumed.Step(Closure(resumed, b));
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].ToDoubleArray(), b[i].ToDoubleArray());
    }

    [Fact]
    public void LoadingRefusesANameNoLinkHasAndChangesNothing()
    {
        var lookahead = new Lookahead(new Adam(Ps()), k: 4);
        var dict = lookahead.StateDict();
        dict.ParamGroups[0].Hyperparameters["lookahead_k"] = 2.0;
        dict.ParamGroups[0].Hyperparameters["rho"] = 0.5;
        var e = Assert.Throws<ArgumentException>(() => lookahead.LoadStateDict(dict));
        Assert.Contains("LookaheadOptions (over AdamOptions) has no hyperparameter or counter 'rho'", e.Message, StringComparison.Ordinal);
        Assert.Equal(4, ((LookaheadOptions)lookahead.ParamGroups[0].Options).K);
    }

    [Fact]
    public void AStateDictOfTheInnerOptimizerAloneLoadsKeepingTheWrappersValues()
    {
        var ps = Ps();
        var adam = new Adam(ps, lr: 0.03);
        var lookahead = new Lookahead(new Adam(Ps()), k: 4, alpha: 0.25);
        lookahead.LoadStateDict(adam.StateDict());
        Assert.Equal(new LookaheadOptions(0.03) { K = 4, Alpha = 0.25, Base = "adam" }, lookahead.ParamGroups[0].Options);
        Assert.Equal(0.03, lookahead.ParamGroups[0].Layers[0].Lr);
    }

    [Fact]
    public void GroupsCannotBeAddedToAWrappedOptimizer()
    {
        var ps = Ps();
        var adam = new Adam([ps[0]]);
        _ = new Lookahead(adam);
        var e = Assert.Throws<InvalidOperationException>(() => adam.AddParamGroup(new ParamGroupSpec<AdamOptions>([ps[1]])));
        Assert.Contains("add its groups before wrapping it", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANameHyperparameterIsOptionalCheckedAndHasItsOwnCommandLineName()
    {
        var declared = new LookaheadOptions().Hyperparameters().Single(h => h.Name == "base");
        Assert.True(declared.IsName);
        Assert.Equal(["base"], declared.CommandLineNames);
        Assert.Equal([], declared.NumbersIn(new LookaheadOptions()));
        Assert.False((new LookaheadOptions() with { Base = null }).ToDictionary().ContainsKey("lookahead_base")); // none is absent, as a choice's
        Assert.Null(((LookaheadOptions)new LookaheadOptions().FromStateValues(new Dictionary<string, object> { ["lr"] = 0.1 })).Base);
        Assert.Equal("sgd", ((LookaheadOptions)new LookaheadOptions().WithValues(new Dictionary<string, object> { ["lookahead_base"] = "sgd" })).Base);
        var e = Assert.Throws<ArgumentException>(() => (new LookaheadOptions() with { Base = "sgd" }).Validate());
        Assert.Equal("base", e.ParamName);
        Assert.Contains("base must name an optimizer (gd, momentum,", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRegistryBuildsTheBaseAtEachGroupsRateAndRefusesMixedBases()
    {
        var ps = Ps();
        var info = OptimizerRegistry.Find("lookahead")!;
        var built = (Lookahead)info.Create([([ps[0]], null), ([ps[1]], new Dictionary<string, object> { ["lr"] = 0.5, ["lookahead_k"] = 2L })],
            new LookaheadOptions(0.2) { Base = "momentum" });
        Assert.IsType<Momentum>(built.Inner);
        Assert.Equal(new SGDOptions(0.5) { Momentum = 0.9 }, built.ParamGroups[1].Layers[0]);
        Assert.Equal(new LookaheadOptions(0.5) { Base = "momentum", K = 2 }, built.ParamGroups[1].Options);
        var e = Assert.Throws<ArgumentException>(() => info.Create([([ps[0]], null), ([ps[1]], new Dictionary<string, object> { ["lookahead_base"] = "adam" })],
            new LookaheadOptions() { Base = "momentum" }));
        Assert.Equal("base", e.ParamName);
        Assert.IsNotAssignableFrom<FirstOrderOptimizer>(info.Create([Tensor.Zeros([2], requiresGrad: true)], new LookaheadOptions(1) { Base = "lbfgs" }));
    }
}
