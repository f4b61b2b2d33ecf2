using Descent.Optim;
using Descent.Optim.Schedulers;

namespace Descent.Tests.Schedulers;

/// <summary>Schedules checked against their closed forms and PyTorch's documented behaviour, beyond the reference cases.</summary>
public class SchedulerBehaviourTests
{
    private static readonly double[] Lrs = [0.1, 0.01];

    private static double[] Group0(Func<Optimizer, LRScheduler> make, int epochs, double[]? lrs = null) =>
        LrSchedule.Preview(lrs ?? Lrs, make, epochs).LrOfGroup(0);

    private static void Close(double expected, double actual, double rtol = 1e-12) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-15 + rtol * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");

    public static TheoryData<string> ClosedForms => ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR"];

    [Theory, MemberData(nameof(ClosedForms))]
    public void ChainableFormFollowsTheClosedForm(string name)
    {
        (Func<Optimizer, LRScheduler> make, Func<int, double> factor) = name switch
        {
            "StepLR" => ((Func<Optimizer, LRScheduler>)(o => new StepLR(o, 4, gamma: 0.7)), (Func<int, double>)(e => Math.Pow(0.7, e / 4))),
            "MultiStepLR" => (o => new MultiStepLR(o, [3, 9, 9, 20], gamma: 0.5), e => Math.Pow(0.5, new[] { 3, 9, 9, 20 }.Count(m => m <= e))),
            "ConstantLR" => (o => new ConstantLR(o, factor: 0.2, totalIters: 7), e => e < 7 ? 0.2 : 1.0),
            "LinearLR" => (o => new LinearLR(o, startFactor: 0.25, endFactor: 0.75, totalIters: 12), e => 0.25 + 0.5 * Math.Min(e, 12) / 12.0),
            "ExponentialLR" => (o => new ExponentialLR(o, 0.9), e => Math.Pow(0.9, e)),
            "PolynomialLR" => (o => new PolynomialLR(o, totalIters: 15, power: 3), e => Math.Pow(1 - Math.Min(e, 15) / 15.0, 3)),
            _ => (o => new CosineAnnealingLR(o, tMax: 8), e => (1 + Math.Cos(Math.PI * e / 8)) / 2),
        };
        var lrs = Group0(make, 40);
        for (int e = 0; e <= 40; e++) Close(0.1 * factor(e), lrs[e], 1e-10);
    }

    [Fact]
    public void CosineAnnealingUsesTheRecursiveFormNotTheClosedOne()
    {
        var lrs = Group0(o => new CosineAnnealingLR(o, tMax: 30), 60);
        int differ = Enumerable.Range(0, 61).Count(e => lrs[e] != 0.1 * (1 + Math.Cos(Math.PI * e / 30)) / 2);
        Assert.True(differ > 0, "PyTorch 1.13's chainable form drifts from the closed form in the last digits");
        double drift = Enumerable.Range(0, 61).Max(e => Math.Abs(lrs[e] - 0.1 * (1 + Math.Cos(Math.PI * e / 30)) / 2));
        Assert.InRange(drift, 1e-18, 1e-12); // in the last digits only
    }

    [Fact]
    public void SwalrAnnealsAlongItsCurveToSwaLrThenHoldsIt()
    {
        var lrs = Group0(o => new SWALR(o, swaLr: 0.02, annealEpochs: 8), 20);
        // Recovering the curve's start from the current rate each step reproduces the closed form.
        for (int e = 0; e <= 8; e++) Close(0.02 + (0.1 - 0.02) * (1 + Math.Cos(Math.PI * e / 8)) / 2, lrs[e], 1e-10);
        for (int e = 8; e <= 20; e++) Assert.Equal(0.02, lrs[e], 15);
    }

    [Fact]
    public void SwalrFirstInSequentialLRRestartsItsStepCount()
    {
        // SequentialLR's initial step restarts the first scheduler's count, so the curve does not begin one step ahead.
        var alone = Group0(o => new SWALR(o, swaLr: 0.02, annealEpochs: 8, annealStrategy: AnnealStrategy.Linear), 12);
        var first = Group0(o => new SequentialLR(o, [new SWALR(o, 0.02, annealEpochs: 8, annealStrategy: AnnealStrategy.Linear), new StepLR(o, 5)], [12]), 11);
        Assert.Equal(alone[..12], first);
        Assert.Equal(0.1, first[0], 15);
    }

    [Fact]
    public void WarmRestartsRestartAfterGrowingPeriods()
    {
        var lrs = Group0(o => new CosineAnnealingWarmRestarts(o, t0: 5, tMult: 2, etaMin: 0.001), 40);
        foreach (int restart in new[] { 0, 5, 15, 35 }) Assert.Equal(0.1, lrs[restart], 15);
        Close(0.001 + 0.099 * (1 + Math.Cos(Math.PI * 7 / 10)) / 2, lrs[12]); // second period: T_i = 10, T_cur = 7
    }

    [Theory]
    [InlineData(1, 2.5, 2.5, 5)]
    [InlineData(1, 13.75, 3.75, 5)]
    [InlineData(2, 4.5, 4.5, 5)]
    [InlineData(2, 12.25, 7.25, 10)]
    [InlineData(3, 27.5, 7.5, 45)]
    public void WarmRestartsTakeFractionalEpochs(int tMult, double epoch, double tCur, double tI)
    {
        var o = FakeOptimizer.Create(Lrs);
        var s = new CosineAnnealingWarmRestarts(o, t0: 5, tMult: tMult);
        s.Step(epoch);
        Close(tCur, s.TCur);
        Assert.Equal(tI, s.TI);
        Assert.Equal((int)Math.Floor(epoch), s.LastEpoch);
        Close(0.1 * (1 + Math.Cos(Math.PI * tCur / tI)) / 2, o.ParamGroups[0].Lr);
    }

    [Fact]
    public void CyclicTriangular2HalvesTheAmplitudeEachCycle()
    {
        var p = LrSchedule.Preview(Lrs, o => new CyclicLR(o, baseLr: 0.01, maxLr: [0.11, 0.05], stepSizeUp: 4, stepSizeDown: 6, mode: CyclicMode.Triangular2), 30);
        Close(0.11, p.Lr[4][0]);
        Close(0.01 + 0.05, p.Lr[14][0]);
        Close(0.01 + 0.025, p.Lr[24][0]);
        Close(0.01 + 0.04 / 2, p.Lr[14][1]);
        Close(0.01, p.Lr[10][0]);
        Close(0.8 + 0.1 * 0.5, p.Momentum![14][0]); // momentum falls as the lr rises: max − (max − base) · amplitude
        Close(0.9, p.Momentum[10][1]);
    }

    [Fact]
    public void CyclicExpRangeAndCustomScaleFunction()
    {
        var exp = LrSchedule.Preview(Lrs, o => new CyclicLR(o, 0.0, 1.0, stepSizeUp: 5, mode: CyclicMode.ExpRange, gamma: 0.9), 20);
        Close(Math.Pow(0.9, 5), exp.Lr[5][0]);
        Close(0.4 * Math.Pow(0.9, 12), exp.Lr[12][0]); // second cycle, x = 0.2: rising at 0.2 / 0.5 of the amplitude
        Close(0.6 * Math.Pow(0.9, 7), exp.Lr[7][0]); // first cycle, x = 0.7: falling, (0.7 − 1) / (0.5 − 1)
        var custom = LrSchedule.Preview(Lrs, o => new CyclicLR(o, 0.0, 1.0, stepSizeUp: 5, scaleFn: i => 1.0 / (1 + i), scaleMode: CyclicScaleMode.Iterations, cycleMomentum: false), 20);
        Close(1.0 / 6, custom.Lr[5][0]);
        Assert.All(custom.Momentum!, row => Assert.Equal(0.0, row[0])); // the preview's SGD-like groups keep momentum 0
    }

    [Fact]
    public void OneCycleLinearReachesItsBoundaries()
    {
        var p = LrSchedule.Preview(Lrs, o => new OneCycleLR(o, maxLr: [1.0, 0.5], epochs: 5, stepsPerEpoch: 20, pctStart: 0.25,
            annealStrategy: AnnealStrategy.Linear, divFactor: 10, finalDivFactor: 100), 99);
        Close(0.1, p.Lr[0][0]);
        Close(1.0, p.Lr[24][0]);
        Close(0.5, p.Lr[24][1]);
        Close(0.001, p.Lr[99][0]);
        Close(0.85, p.Momentum![24][0]);
        Close(0.95, p.Momentum[99][0]);
        Close(0.1 + 0.9 * 12 / 24.0, p.Lr[12][0]);
    }

    [Fact]
    public void OneCycleCyclesAdamsBeta1AndKeepsBeta2()
    {
        var o = SchedulerStateTests.AdamOptimizer();
        var s = new OneCycleLR(o, maxLr: 0.1, totalSteps: 20);
        Assert.Equal((0.95, 0.999), ((AdamOptions)o.ParamGroups[0].Options).Betas);
        for (int i = 0; i < 5; i++) s.Step(); // the peak: step pct_start · total_steps − 1 = 5
        var betas = ((AdamOptions)o.ParamGroups[1].Options).Betas;
        Close(0.85, betas.Item1);
        Assert.Equal(0.999, betas.Item2);
    }

    [Fact]
    public void PlateauHonoursCooldownMinLrAndEps()
    {
        double[] flat = [.. Enumerable.Repeat(1.0, 12)];
        var p = LrSchedule.Preview([0.1, 0.01], o => new ReduceLROnPlateau(o, patience: 1, cooldown: 2, factor: 0.5, minLr: [0.0, 0.004], eps: 2e-3), flat);
        // Step 1 improves (from +inf); steps 2, 3 are bad → reduce at step 3; steps 4, 5 are cooldown (bad epochs not
        // counted); steps 6, 7 are bad → reduce at step 7, and so on every 4 steps.
        Assert.Equal([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.0125, 0.0125], p.LrOfGroup(0));
        Assert.Equal(0.005, p.Lr[3][1]);
        Assert.Equal(0.005, p.Lr[7][1]); // 0.005 → max(0.0025, 0.004) = 0.004 is a change of 0.001, less than eps
    }

    [Fact]
    public void PlateauMaxModeWithAbsoluteThreshold()
    {
        double[] accuracy = [0.5, 0.6, 0.605, 0.609, 0.7, 0.7];
        var p = LrSchedule.Preview([1.0], o => new ReduceLROnPlateau(o, mode: PlateauMode.Max, threshold: 0.01, thresholdMode: ThresholdMode.Abs, patience: 1), accuracy);
        Assert.Equal([1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.1], p.LrOfGroup(0));
    }

    [Fact]
    public void LambdaAndMultiplicativeTakeOneFunctionPerGroup()
    {
        var lambda = LrSchedule.Preview(Lrs, o => new LambdaLR(o, [e => e + 1.0, e => 1.0 / (e + 1)]), 4);
        Assert.Equal([0.1, 0.2, 0.30000000000000004, 0.4, 0.5], lambda.LrOfGroup(0));
        Close(0.01 / 5, lambda.Lr[4][1]);
        var mult = LrSchedule.Preview(Lrs, o => new MultiplicativeLR(o, e => 0.5), 3);
        Assert.Equal([0.1, 0.05, 0.025, 0.0125], mult.LrOfGroup(0));
    }

    [Fact]
    public void SequentialRestartsEachSchedulerAtItsMilestone()
    {
        var lrs = Group0(o => new SequentialLR(o, [new ConstantLR(o, factor: 0.5, totalIters: 100), new ExponentialLR(o, 0.5), new StepLR(o, 2)], [3, 6]), 9);
        Assert.Equal([0.05, 0.05, 0.05, 0.1, 0.05, 0.025, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002], lrs);
    }

    [Fact]
    public void ChainedSchedulersMultiplyTheirFactors()
    {
        var lrs = Group0(o => new ChainedScheduler([new ConstantLR(o, factor: 0.1, totalIters: 2), new ExponentialLR(o, 0.9)]), 4);
        Close(0.1 * 0.1, lrs[0]);
        Close(0.1 * 0.1 * 0.9, lrs[1]);
        Close(0.1 * 0.9 * 0.9, lrs[2]);
        Close(0.1 * Math.Pow(0.9, 4), lrs[4]);
    }

    [Fact]
    public void LastLrAndInitialLrAreRecorded()
    {
        var o = FakeOptimizer.Create(Lrs);
        var s = new StepLR(o, 2);
        s.Step();
        s.Step();
        Assert.Equal([0.010000000000000002, 0.001], s.LastLr);
        Assert.Equal([0.1, 0.01], s.BaseLrs);
        Assert.Equal([0.1, 0.01], o.ParamGroups.Select(g => g.InitialLr!.Value));
        Assert.Equal(2, s.LastEpoch);
    }
}
