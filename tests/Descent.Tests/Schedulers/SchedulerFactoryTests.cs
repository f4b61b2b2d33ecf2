using System.Text.Json.Nodes;
using Descent.Optim.Schedulers;

namespace Descent.Tests.Schedulers;

/// <summary>Every PyTorch argument of every scheduler reaches the C# constructor (unseen reference cases may use any).</summary>
public class SchedulerFactoryTests
{
    [Theory]
    [InlineData("StepLR", """{"step_size": 3, "gamma": 0.5, "last_epoch": -1, "verbose": false}""")]
    [InlineData("MultiStepLR", """{"milestones": [2, 5, 5], "gamma": 0.3}""")]
    [InlineData("ConstantLR", """{"factor": 0.5, "total_iters": 4}""")]
    [InlineData("LinearLR", """{"start_factor": 0.2, "end_factor": 0.9, "total_iters": 6}""")]
    [InlineData("ExponentialLR", """{"gamma": 0.9}""")]
    [InlineData("PolynomialLR", """{"total_iters": 8, "power": 2.0}""")]
    [InlineData("CosineAnnealingLR", """{"T_max": 7.0, "eta_min": 0.001}""")]
    [InlineData("CosineAnnealingWarmRestarts", """{"T_0": 3, "T_mult": 2, "eta_min": 0.0001}""")]
    [InlineData("CyclicLR", """{"base_lr": [0.001, 0.0001], "max_lr": [0.1, 0.01], "step_size_up": 4, "step_size_down": 6, "mode": "triangular2", "gamma": 1.0, "scale_fn": null, "scale_mode": "cycle", "cycle_momentum": true, "base_momentum": [0.8, 0.7], "max_momentum": 0.95}""")]
    [InlineData("CyclicLR", """{"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 5, "mode": "exp_range", "gamma": 0.99, "cycle_momentum": false}""")]
    [InlineData("OneCycleLR", """{"max_lr": [0.1, 0.05], "epochs": 4, "steps_per_epoch": 5, "pct_start": 0.4, "anneal_strategy": "linear", "cycle_momentum": true, "base_momentum": 0.8, "max_momentum": [0.9, 0.95], "div_factor": 10.0, "final_div_factor": 100.0, "three_phase": true}""")]
    [InlineData("OneCycleLR", """{"max_lr": 0.1, "total_steps": 30, "epochs": null, "steps_per_epoch": null, "cycle_momentum": false}""")]
    [InlineData("SequentialLR", """{"schedulers": [{"scheduler": "ConstantLR", "arguments": {"factor": 0.5, "total_iters": 3}}, {"scheduler": "ExponentialLR", "arguments": {"gamma": 0.9}}, {"scheduler": "StepLR", "arguments": {"step_size": 2}}], "milestones": [3, 8]}""")]
    [InlineData("ChainedScheduler", """{"schedulers": [{"scheduler": "LinearLR", "arguments": {}}, {"scheduler": "MultiStepLR", "arguments": {"milestones": [4]}}, {"scheduler": "ExponentialLR", "arguments": {"gamma": 0.95}}]}""")]
    public void BuildsAndStepsFromPyTorchArguments(string name, string arguments)
    {
        var o = ConformanceOptimizers.Create("SGD", JsonNode.Parse("""{"lr": 0.1, "momentum": 0.9}""")!.AsObject(), [0.1, 0.01]);
        var s = SchedulerFactory.Create(name, JsonNode.Parse(arguments)!.AsObject(), o);
        var seen = new HashSet<double>();
        for (int i = 0; i < 19; i++)
        {
            s.Step();
            Assert.All(o.ParamGroups, g => Assert.True(double.IsFinite(g.Lr) && g.Lr >= 0, $"lr {g.Lr} at step {i + 1}"));
            seen.Add(o.ParamGroups[0].Lr);
        }
        Assert.True(seen.Count > 1, "the schedule should move");
    }

    [Fact]
    public void PlateauTakesEveryArgument()
    {
        var o = ConformanceOptimizers.Create("RMSprop", JsonNode.Parse("""{"lr": 0.01, "momentum": 0.5}""")!.AsObject(), [0.1, 0.01]);
        var s = SchedulerFactory.CreatePlateau(JsonNode.Parse("""{"mode": "max", "factor": 0.5, "patience": 0, "threshold": 0.1, "threshold_mode": "abs", "cooldown": 1, "min_lr": [0.02, 0.0], "eps": 1e-9, "verbose": false}""")!.AsObject(), o);
        foreach (double m in new[] { 1.0, 1.05, 1.0, 1.0, 1.0 }) s.Step(m);
        Assert.Equal([0.025, 0.0025], s.LastLr);
        Assert.Equal((PlateauMode.Max, ThresholdMode.Abs, 1), (s.Mode, s.ThresholdMode, s.Cooldown));
    }

    [Fact]
    public void UnknownArgumentsAreReported()
    {
        var o = FakeOptimizer.Create([0.1, 0.01]);
        var e = Assert.Throws<NotSupportedException>(() => SchedulerFactory.Create("StepLR", JsonNode.Parse("""{"step_size": 3, "gama": 0.5}""")!.AsObject(), o));
        Assert.Contains("gama", e.Message, StringComparison.Ordinal);
    }
}
