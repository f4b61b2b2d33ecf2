using Descent.Optim;
using Descent.Optim.Schedulers;

namespace Descent.Tests.Schedulers;

/// <summary>
/// A scheduler's state that does not fit is refused whole: the scheduler, and the rates and momenta of every group,
/// stay as they were, even when the state loads in parts (a chain's schedulers, then its own) or fails on a later group.
/// </summary>
public class SchedulerLoadTests
{
    private static FakeOptimizer Two() => FakeOptimizer.Create([0.1, 0.01]);

    private static string Snapshot(Optimizer optimizer, Dictionary<string, double[]> state) =>
        string.Join(";", optimizer.ParamGroups.Select(g => $"{g.Lr:R}/{g.Momentum:R}")) + "|" +
        string.Join(";", state.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + string.Join(",", kv.Value.Select(v => v.ToString("R")))));

    [Fact]
    public void AChainWhoseLastPartFailsLeavesItsFirstPartsAsTheyWere()
    {
        var optimizer = Two();
        var chain = new ChainedScheduler([new StepLR(optimizer, 2, 0.5), new ExponentialLR(optimizer, 0.9)]);
        chain.Step();
        var state = chain.StateDict();
        chain.Step();
        chain.Step();
        string before = Snapshot(optimizer, chain.StateDict());
        state["schedulers.0.last_epoch"] = [1]; // the first part loads…
        state.Remove("last_lr");                // …the chain's own entry is missing

        var e = Assert.Throws<ArgumentException>(() => chain.LoadStateDict(state));

        Assert.Contains("'last_lr'", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(optimizer, chain.StateDict()));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-1.0)]
    [InlineData(double.PositiveInfinity)]
    public void ARateOutOfRangeOnTheSecondGroupLeavesTheFirstUnchanged(double rate)
    {
        var optimizer = Two();
        var scheduler = new StepLR(optimizer, 2, 0.5);
        scheduler.Step();
        var state = scheduler.StateDict();
        state["last_lr"] = [0.5, rate];
        string before = Snapshot(optimizer, scheduler.StateDict());

        Assert.ThrowsAny<ArgumentException>(() => scheduler.LoadStateDict(state));

        Assert.Equal(before, Snapshot(optimizer, scheduler.StateDict()));
    }

    [Fact]
    public void ABaseRateOutOfRangeIsRefused()
    {
        var optimizer = Two();
        var scheduler = new ExponentialLR(optimizer, 0.9);
        var state = scheduler.StateDict();
        state["base_lrs"] = [0.1, double.NaN];
        var e = Assert.Throws<ArgumentException>(() => scheduler.LoadStateDict(state));
        Assert.Contains("'base_lrs' must be finite and >= 0, got NaN", e.Message, StringComparison.Ordinal);
        Assert.Equal(0.1, optimizer.ParamGroups[0].Lr);
    }

    [Theory]
    [InlineData("last_lr", double.NaN)]
    [InlineData("best", double.NaN)]
    [InlineData("num_bad_epochs", -1.0)]
    [InlineData("cooldown_counter", -2.0)]
    public void APlateauStateOutOfRangeLeavesEveryGroupUnchanged(string entry, double value)
    {
        var optimizer = Two();
        var plateau = new ReduceLROnPlateau(optimizer, patience: 0);
        plateau.Step(1);
        var state = plateau.StateDict();
        if (entry == "last_lr") state[entry] = [0.05, value];
        else state[entry] = [value];
        optimizer.ParamGroups[0].Lr = 0.07;
        string before = Snapshot(optimizer, plateau.StateDict());

        Assert.ThrowsAny<ArgumentException>(() => plateau.LoadStateDict(state));

        Assert.Equal(before, Snapshot(optimizer, plateau.StateDict()));
    }

    [Theory]
    [InlineData("T_i", 0.0, "'T_i' must be finite and >= 1, got 0")]
    [InlineData("T_i", double.PositiveInfinity, "'T_i' must be finite and >= 1, got Infinity")]
    [InlineData("T_cur", -0.5, "'T_cur' must be finite and >= 0, got -0.5")]
    [InlineData("T_cur", double.NaN, "'T_cur' must be finite and >= 0, got NaN")]
    public void AWarmRestartPeriodOutOfRangeIsRefused(string entry, double value, string message)
    {
        var optimizer = Two();
        var scheduler = new CosineAnnealingWarmRestarts(optimizer, 3, 2);
        scheduler.Step();
        var state = scheduler.StateDict();
        state[entry] = [value];
        scheduler.Step();
        string before = Snapshot(optimizer, scheduler.StateDict());

        var e = Assert.Throws<ArgumentException>(() => scheduler.LoadStateDict(state));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(optimizer, scheduler.StateDict()));
    }
}
