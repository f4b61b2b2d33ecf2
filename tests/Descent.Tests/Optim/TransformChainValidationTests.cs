using Descent.Optim;
using T = Descent.Optim.Transforms;

namespace Descent.Tests.Optim;

/// <summary>Chains that stand for no fused update, and transforms with bad arguments, are refused when made, saying why.</summary>
public class TransformChainValidationTests
{
    public static TheoryData<string, string> InvalidChains() => new()
    {
        { "empty", "the chain is empty" },
        { "no learning rate", "applies no learning rate" },
        { "two learning rates", "has 2 learning rates (transforms[1] and transforms[2])" },
        { "learning rate not last", "ScaleByLearningRate must be the chain's last transform, but transforms[1] (ScaleByAdam) comes after it" },
        { "adam twice", "scales by Adam twice (transforms[0] and transforms[1])" },
        { "adam and rms", "two scalings, ScaleByAdam (transforms[0]) and ScaleByRms (transforms[1])" },
        { "sign twice", "takes the sign twice" },
        { "clip after the scaling", "ClipByGlobalNorm must be the chain's first transform (it is transforms[1])" },
        { "clip twice", "clips twice" },
        { "two traces", "has two Traces" },
        { "two decays", "decays the weights twice" },
        { "decay inside the scaling", "transforms[1] (AddDecayedWeights) sits inside the scaling (Trace, ScaleBySign)" },
        { "decoupled sgd", "SGD's weight decay is an L2 penalty" },
        { "decoupled rmsprop", "RMSprop's weight decay is an L2 penalty" },
        { "l2 lion", "Lion's weight decay is decoupled" },
        { "trace with adam", "Trace does not combine with ScaleByAdam" },
        { "trace with lion", "Trace does not combine with ScaleByLion" },
        { "trace before rms", "Trace must come after ScaleByRms" },
        { "nesterov after rms", "RMSprop's momentum, which has no dampening or Nesterov form" },
        { "trace after sign", "Trace must come before ScaleBySign" },
        { "null transform", "transforms[1] is null" },
    };

    private static TransformChain Make(string name) => name switch
    {
        "empty" => T.Chain(),
        "no learning rate" => T.Chain(T.ScaleByAdam()),
        "two learning rates" => T.Chain(T.ScaleByAdam(), T.ScaleByLearningRate(1e-3), T.ScaleByLearningRate(1e-3)),
        "learning rate not last" => T.Chain(T.ScaleByLearningRate(1e-3), T.ScaleByAdam()),
        "adam twice" => T.Chain(T.ScaleByAdam(), T.ScaleByAdam(), T.ScaleByLearningRate(1e-3)),
        "adam and rms" => T.Chain(T.ScaleByAdam(), T.ScaleByRms(), T.ScaleByLearningRate(1e-3)),
        "sign twice" => T.Chain(T.ScaleBySign(), T.ScaleBySign(), T.ScaleByLearningRate(1e-3)),
        "clip after the scaling" => T.Chain(T.ScaleByAdam(), T.ClipByGlobalNorm(1), T.ScaleByLearningRate(1e-3)),
        "clip twice" => T.Chain(T.ClipByGlobalNorm(1), T.ClipByGlobalNorm(2), T.ScaleByLearningRate(1e-3)),
        "two traces" => T.Chain(T.Trace(0.9), T.Trace(0.5), T.ScaleByLearningRate(1e-3)),
        "two decays" => T.Chain(T.AddDecayedWeights(0.1), T.ScaleByAdam(), T.AddDecayedWeights(0.1), T.ScaleByLearningRate(1e-3)),
        "decay inside the scaling" => T.Chain(T.Trace(0.9), T.AddDecayedWeights(0.1), T.ScaleBySign(), T.ScaleByLearningRate(1e-3)),
        "decoupled sgd" => T.Chain(T.Trace(0.9), T.AddDecayedWeights(0.1), T.ScaleByLearningRate(1e-3)),
        "decoupled rmsprop" => T.Chain(T.ScaleByRms(), T.AddDecayedWeights(0.1), T.ScaleByLearningRate(1e-3)),
        "l2 lion" => T.Chain(T.AddDecayedWeights(0.1), T.ScaleByLion(), T.ScaleByLearningRate(1e-3)),
        "trace with adam" => T.Chain(T.Trace(0.9), T.ScaleByAdam(), T.ScaleByLearningRate(1e-3)),
        "trace with lion" => T.Chain(T.ScaleByLion(), T.Trace(0.9), T.ScaleByLearningRate(1e-3)),
        "trace before rms" => T.Chain(T.Trace(0.9), T.ScaleByRms(), T.ScaleByLearningRate(1e-3)),
        "nesterov after rms" => T.Chain(T.ScaleByRms(), T.Trace(0.9, nesterov: true), T.ScaleByLearningRate(1e-3)),
        "trace after sign" => T.Chain(T.ScaleBySign(), T.Trace(0.9), T.ScaleByLearningRate(1e-3)),
        "null transform" => T.Chain(T.ScaleByAdam(), null!, T.ScaleByLearningRate(1e-3)),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(InvalidChains))]
    public void InvalidChainIsRefusedWhenMade(string name, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Make(name));
        Assert.Equal("transforms", e.ParamName);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void NestedChainIsRefusedWhereItsPartsWouldBe()
    {
        var e = Assert.Throws<ArgumentException>(() => T.Chain(T.AdamW(), T.ClipByGlobalNorm(1)));
        Assert.Contains("ScaleByLearningRate must be the chain's last transform", e.Message);
        e = Assert.Throws<ArgumentException>(() => T.Chain(T.ScaleByAdam(), T.Adam()));
        Assert.Contains("scales by Adam twice", e.Message);
    }

    public static TheoryData<string, string, string> InvalidArguments() => new()
    {
        { "lr", "lr", "lr must be >= 0 and finite, got -1" },
        { "lr nan", "lr", "NaN" },
        { "maxNorm", "maxNorm", "maxNorm must be >= 0 and finite, got -1" },
        { "weightDecay", "weightDecay", "weightDecay must be >= 0 and finite, got -0.1" },
        { "momentum", "momentum", "momentum must be >= 0 and finite, got -0.9" },
        { "nesterov", "nesterov", "dampening=0.5" },
        { "betas", "betas", "betas[0] must be in [0, 1), got 1" },
        { "eps", "eps", "eps must be >= 0 and finite, got -1E-08" },
        { "alpha", "alpha", "alpha must be in [0, 1], got 1.5" },
        { "lion betas", "betas", "betas[1] must be in [0, 1), got -0.5" },
        { "preset adamw betas", "betas", "betas[1]" },
        { "preset sgd nesterov", "nesterov", "momentum=0" },
    };

    private static void MakeWithBadArgument(string name) => _ = name switch
    {
        "lr" => T.ScaleByLearningRate(-1),
        "lr nan" => T.ScaleByLearningRate(double.NaN),
        "maxNorm" => T.ClipByGlobalNorm(-1),
        "weightDecay" => T.AddDecayedWeights(-0.1),
        "momentum" => T.Trace(-0.9),
        "nesterov" => T.Trace(0.9, dampening: 0.5, nesterov: true),
        "betas" => T.ScaleByAdam(betas: (1.0, 0.999)),
        "eps" => T.ScaleByAdam(eps: -1e-8),
        "alpha" => T.ScaleByRms(alpha: 1.5),
        "lion betas" => T.ScaleByLion((0.9, -0.5)),
        "preset adamw betas" => T.AdamW(betas: (0.9, 1.0)),
        "preset sgd nesterov" => (Transform)T.SGD(0.1, nesterov: true),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(InvalidArguments))]
    public void BadArgumentIsRefusedNamingIt(string name, string parameter, string message)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => MakeWithBadArgument(name));
        Assert.Equal(parameter, e.ParamName);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void GroupsMustHoldTheChainsOptions()
    {
        var p = OptimizerTable.Parameters(DType.Float32, [3], [4]);
        var e = Assert.Throws<ArgumentException>(() => T.AdamW().Create<SGDOptions>([new([p[0]])]));
        Assert.Equal("groups", e.ParamName);
        Assert.Contains("this chain's groups hold AdamWOptions", e.Message);

        // A group whose options turn into another optimizer's record is refused as the group is added.
        var optimizer = T.Adam().Create([p[0]]);
        e = Assert.Throws<ArgumentException>(() => optimizer.AddParamGroup(new([p[1]], _ => new SGDOptions(0.1))));
        Assert.Equal("group", e.ParamName);
        Assert.Contains("the group's options are SGDOptions", e.Message);

        // The AdamW preset's groups keep AdamW's rule: the decay stays decoupled.
        e = Assert.Throws<ArgumentException>(() => T.AdamW().Create<AdamOptions>([new([p[0]], o => o with { DecoupledWeightDecay = false })]));
        Assert.Equal("decoupledWeightDecay", e.ParamName);
    }

    [Fact]
    public void ChainPrintsAsTheCallsThatMakeIt()
    {
        Assert.Equal("Chain(ClipByGlobalNorm(maxNorm: 1), ScaleByAdam(betas: (0.9, 0.999), eps: 1E-08), AddDecayedWeights(0.01), ScaleByLearningRate(0.001))",
            T.Chain(T.ClipByGlobalNorm(1), T.AdamW()).ToString());
        Assert.Equal("Chain(Trace(momentum: 0.9, nesterov: True), ScaleBySign(), ScaleByLearningRate(0.01, maximize: True))",
            T.Chain(T.Trace(0.9, nesterov: true), T.ScaleBySign(), T.ScaleByLearningRate(0.01, maximize: true)).ToString());
    }

    [Fact]
    public void ChainLowersToTheNamedOptimizersOptions()
    {
        Assert.Equal(new AdamWOptions(3e-4) { WeightDecay = 0.1 }, T.Chain(T.ScaleByAdam(), T.AddDecayedWeights(0.1), T.ScaleByLearningRate(3e-4)).Defaults);
        Assert.Equal(new AdamOptions(3e-4) { WeightDecay = 0.1 }, T.Chain(T.AddDecayedWeights(0.1), T.ScaleByAdam(), T.ScaleByLearningRate(3e-4)).Defaults);
        Assert.Equal(new SGDOptions(0.1) { WeightDecay = 0.1 }, T.Chain(T.AddDecayedWeights(0.1), T.ScaleByLearningRate(0.1)).Defaults);
        Assert.Equal(new RMSpropOptions(0.1) { Momentum = 0.5, Centered = true }, T.Chain(T.ScaleByRms(centered: true), T.Trace(0.5), T.ScaleByLearningRate(0.1)).Defaults);
        Assert.Equal(new LionOptions(0.1) { Betas = (0.8, 0.9) }, T.Chain(T.ScaleByLion((0.8, 0.9)), T.ScaleByLearningRate(0.1)).Defaults);
        Assert.Equal(new SignOptions(0.1) { Momentum = 0.9, WeightDecay = 0.01, DecoupledWeightDecay = true },
            T.Chain(T.Trace(0.9), T.ScaleBySign(), T.AddDecayedWeights(0.01), T.ScaleByLearningRate(0.1)).Defaults);
    }
}
