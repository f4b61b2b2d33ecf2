using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>Every out-of-range hyperparameter and every misuse throws, naming the argument and its value.</summary>
public class OptimizerValidationTests
{
    private static Tensor[] P() => [Tensor.Zeros([3], requiresGrad: true)];

    /// <summary>Rule name → construction that must throw, the argument it must name and text the message must hold.</summary>
    public static TheoryData<string, Action, string, string> InvalidHyperparameters => new()
    {
        { "SGD negative lr", () => _ = new SGD(P(), lr: -1), "lr", "-1" },
        { "SGD NaN lr", () => _ = new SGD(P(), lr: double.NaN), "lr", "NaN" },
        { "SGD negative momentum", () => _ = new SGD(P(), lr: 0.1, momentum: -0.5), "momentum", "-0.5" },
        { "SGD negative weight decay", () => _ = new SGD(P(), lr: 0.1, weightDecay: -1e-4), "weightDecay", "-0.0001" },
        { "SGD Nesterov without momentum", () => _ = new SGD(P(), lr: 0.1, nesterov: true), "nesterov", "momentum=0" },
        { "SGD Nesterov with dampening", () => _ = new SGD(P(), lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true), "nesterov", "dampening=0.1" },
        { "Momentum zero momentum", () => _ = new Momentum(P(), lr: 0.1, momentum: 0), "momentum", "0" },
        { "Nesterov negative momentum", () => _ = new Nesterov(P(), lr: 0.1, momentum: -1), "momentum", "-1" },
        { "Adagrad negative lr decay", () => _ = new Adagrad(P(), lrDecay: -1), "lrDecay", "-1" },
        { "Adagrad negative initial accumulator", () => _ = new Adagrad(P(), initialAccumulatorValue: -0.1), "initialAccumulatorValue", "-0.1" },
        { "Adagrad negative eps", () => _ = new Adagrad(P(), eps: -1e-10), "eps", "-1E-10" },
        { "Adadelta rho = 1", () => _ = new Adadelta(P(), rho: 1), "rho", "1" },
        { "Adadelta negative rho", () => _ = new Adadelta(P(), rho: -0.1), "rho", "-0.1" },
        { "Adadelta negative weight decay", () => _ = new Adadelta(P(), weightDecay: -2), "weightDecay", "-2" },
        { "RMSprop alpha above 1", () => _ = new RMSprop(P(), alpha: 1.5), "alpha", "1.5" },
        { "RMSprop negative momentum", () => _ = new RMSprop(P(), momentum: -0.9), "momentum", "-0.9" },
        { "RMSprop negative eps", () => _ = new RMSprop(P(), eps: -1), "eps", "-1" },
        { "Adam negative lr", () => _ = new Adam(P(), lr: -0.001), "lr", "-0.001" },
        { "Adam beta1 = 1", () => _ = new Adam(P(), betas: (1.0, 0.999)), "betas", "betas[0]" },
        { "Adam negative beta2", () => _ = new Adam(P(), betas: (0.9, -0.1)), "betas", "betas[1]" },
        { "Adam negative eps", () => _ = new Adam(P(), eps: -1e-8), "eps", "-1E-08" },
        { "Adam negative weight decay", () => _ = new Adam(P(), weightDecay: -0.01), "weightDecay", "-0.01" },
        { "AdamW beta2 = 1", () => _ = new AdamW(P(), betas: (0.9, 1.0)), "betas", "betas[1]" },
        { "Adamax beta1 above 1", () => _ = new Adamax(P(), betas: (1.1, 0.999)), "betas", "1.1" },
        { "NAdam negative momentum decay", () => _ = new NAdam(P(), momentumDecay: -0.004), "momentumDecay", "-0.004" },
        { "RAdam negative eps", () => _ = new RAdam(P(), eps: -1), "eps", "-1" },
        { "Rprop eta minus above 1", () => _ = new Rprop(P(), etas: (1.5, 1.2)), "etas", "1.5" },
        { "Rprop eta plus below 1", () => _ = new Rprop(P(), etas: (0.5, 0.9)), "etas", "0.9" },
        { "Rprop step sizes reversed", () => _ = new Rprop(P(), stepSizes: (1, 0.1)), "stepSizes", "0.1" },
        { "LBFGS zero max iterations", () => _ = new LBFGS(P(), maxIter: 0), "maxIter", "0" },
        { "LBFGS zero history", () => _ = new LBFGS(P(), historySize: 0), "historySize", "0" },
        { "LBFGS unknown line search", () => _ = new LBFGS(P(), lineSearchFn: "backtracking"), "lineSearchFn", "backtracking" },
        { "LBFGS negative tolerance", () => _ = new LBFGS(P(), toleranceGrad: -1), "toleranceGrad", "-1" },
        { "group override out of range", () => _ = new SGD([new ParamGroupSpec<SGDOptions>(P(), o => o with { WeightDecay = -1 })], lr: 0.1), "weightDecay", "-1" },
    };

    [Theory]
    [MemberData(nameof(InvalidHyperparameters))]
    public void OutOfRangeHyperparameterThrowsNamingIt(string rule, Action construct, string argument, string valueText)
    {
        var e = Assert.ThrowsAny<ArgumentException>(construct);
        Assert.True(e.ParamName == argument, $"{rule}: named {e.ParamName}, expected {argument}");
        Assert.Contains(valueText, e.Message, StringComparison.Ordinal);
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
    public void LbfgsNeedsAClosure()
    {
        var lbfgs = new LBFGS([Tensor.Zeros([2], requiresGrad: true)]);
        Assert.Throws<InvalidOperationException>(lbfgs.Step);
    }

    [Fact]
    public void SchedulerMomentumMapsToEachOptimizersCoefficient()
    {
        var sgd = new SGD(P(), lr: 0.1, momentum: 0.9);
        sgd.ParamGroups[0].Options.Momentum = 0.5;
        Assert.Equal(0.5, ((SGDOptions)sgd.ParamGroups[0].Options).Momentum);
        var adam = new Adam(P());
        adam.ParamGroups[0].Options.Momentum = 0.8;
        Assert.Equal((0.8, 0.999), ((AdamOptions)adam.ParamGroups[0].Options).Betas);
        Assert.Null(new Adagrad(P()).ParamGroups[0].Options.Momentum);
        Assert.Throws<InvalidOperationException>(() => new Adagrad(P()).ParamGroups[0].Options.Momentum = 0.9);
    }
}
