using System.Text.Json.Nodes;
using Descent.Optim.Schedulers;

namespace Descent.Tests.Schedulers;

/// <summary>The conformance suite builds every optimizer a case may name; cyclic schedules drive its momentum or beta1.</summary>
public class ConformanceOptimizerTests
{
    [Theory]
    [InlineData("SGD", """{"lr": 0.1, "momentum": 0.9, "weight_decay": 0.0001, "nesterov": true}""", 0.9)]
    [InlineData("RMSprop", """{"lr": 0.01, "alpha": 0.9, "centered": true}""", 0.0)]
    [InlineData("Adam", """{"lr": 0.001, "betas": [0.8, 0.99], "amsgrad": true}""", 0.8)]
    [InlineData("AdamW", """{"lr": 0.001}""", 0.9)]
    [InlineData("Adamax", """{"lr": 0.002}""", 0.9)]
    [InlineData("NAdam", """{"lr": 0.002, "momentum_decay": 0.004}""", 0.9)]
    [InlineData("RAdam", """{"lr": 0.001}""", 0.9)]
    public void OptimizersWithMomentumCycleIt(string name, string hyperparameters, double momentum)
    {
        var o = ConformanceOptimizers.Create(name, JsonNode.Parse(hyperparameters)!.AsObject(), [0.1, 0.01]);
        Assert.Equal(name, o.GetType().Name);
        Assert.Equal([0.1, 0.01], o.ParamGroups.Select(g => g.Lr));
        Assert.Equal([momentum, momentum], ConformanceOptimizers.Momenta(o));
        var s = new OneCycleLR(o, maxLr: 0.1, totalSteps: 10);
        Assert.Equal([0.95, 0.95], ConformanceOptimizers.Momenta(o));
        for (int i = 0; i < 2; i++)
        {
            o.Step();
            s.Step();
        }
        Assert.All(ConformanceOptimizers.Momenta(o), m => Assert.InRange(m, 0.85, 0.949));
    }

    [Theory]
    [InlineData("Adagrad", """{"lr": 0.01, "lr_decay": 0.001, "initial_accumulator_value": 0.1}""")]
    [InlineData("Adadelta", """{"lr": 1.0, "rho": 0.9}""")]
    [InlineData("Rprop", """{"lr": 0.01, "etas": [0.5, 1.2], "step_sizes": [1e-6, 50]}""")]
    public void OptimizersWithoutMomentumRejectCycling(string name, string hyperparameters)
    {
        var o = ConformanceOptimizers.Create(name, JsonNode.Parse(hyperparameters)!.AsObject(), [0.1, 0.01]);
        Assert.Equal(name, o.GetType().Name);
        Assert.All(ConformanceOptimizers.Momenta(o), m => Assert.True(double.IsNaN(m)));
        var e = Assert.Throws<ArgumentException>(() => new CyclicLR(o, 0.01, 0.1));
        Assert.Equal("cycleMomentum", e.ParamName);
        var s = new CyclicLR(o, 0.01, 0.1, stepSizeUp: 4, cycleMomentum: false);
        s.Step();
        Assert.Equal(0.01 + 0.09 / 4, o.ParamGroups[0].Lr, 15);
    }

    [Fact]
    public void UnknownHyperparametersAreReported()
    {
        var e = Assert.Throws<ArgumentException>(() => ConformanceOptimizers.Create("SGD", JsonNode.Parse("""{"lr": 0.1, "warp": 2}""")!.AsObject(), [0.1, 0.01]));
        Assert.Contains("warp", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOptimizerTheRegistryLacksFailsTheCase()
    {
        // No do-nothing stand-in: a case that names an optimizer the registry cannot build must fail, not pass vacuously.
        var e = Assert.Throws<NotSupportedException>(() => ConformanceOptimizers.Create("Yogi", JsonNode.Parse("""{"lr": 0.1}""")!.AsObject(), [0.1, 0.01]));
        Assert.Contains("Yogi", e.Message, StringComparison.Ordinal);
    }
}
