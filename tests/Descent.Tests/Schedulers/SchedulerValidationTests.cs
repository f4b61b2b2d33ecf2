using Descent.Optim;
using Descent.Optim.Schedulers;

namespace Descent.Tests.Schedulers;

/// <summary>One row per validation rule: the exception type, the argument it names and the value in its message.</summary>
public class SchedulerValidationTests
{
    private static FakeOptimizer Two() => FakeOptimizer.Create([0.1, 0.01]);

    private static FakeOptimizer NoMomentum() => FakeOptimizer.Create([0.1, 0.01], momentum: null);

    private static readonly Dictionary<string, (Action Act, Type Exception, string? Param, string Message)> Rules = new()
    {
        ["StepLR stepSize < 1"] = (() => new StepLR(Two(), stepSize: 0), typeof(ArgumentOutOfRangeException), "stepSize", "stepSize must be >= 1, got 0"),
        ["StepLR gamma <= 0"] = (() => new StepLR(Two(), 10, gamma: 0), typeof(ArgumentOutOfRangeException), "gamma", "gamma must be > 0 and finite, got 0"),
        ["StepLR gamma NaN"] = (() => new StepLR(Two(), 10, gamma: double.NaN), typeof(ArgumentOutOfRangeException), "gamma", "got NaN"),
        ["MultiStepLR milestones not increasing"] = (() => new MultiStepLR(Two(), [10, 30, 20]), typeof(ArgumentException), "milestones", "milestones must be increasing, got 20 after 30"),
        ["MultiStepLR negative milestone"] = (() => new MultiStepLR(Two(), [-1, 5]), typeof(ArgumentOutOfRangeException), "milestones", "milestones[0] must be >= 0, got -1"),
        ["MultiStepLR gamma <= 0"] = (() => new MultiStepLR(Two(), [5], gamma: -0.5), typeof(ArgumentOutOfRangeException), "gamma", "got -0.5"),
        ["ConstantLR factor > 1"] = (() => new ConstantLR(Two(), factor: 1.5), typeof(ArgumentOutOfRangeException), "factor", "factor must be in (0, 1], got 1.5"),
        ["ConstantLR factor 0"] = (() => new ConstantLR(Two(), factor: 0), typeof(ArgumentOutOfRangeException), "factor", "got 0"),
        ["ConstantLR totalIters < 0"] = (() => new ConstantLR(Two(), totalIters: -1), typeof(ArgumentOutOfRangeException), "totalIters", "totalIters must be >= 0, got -1"),
        ["LinearLR startFactor 0"] = (() => new LinearLR(Two(), startFactor: 0), typeof(ArgumentOutOfRangeException), "startFactor", "startFactor must be in (0, 1], got 0"),
        ["LinearLR startFactor > 1"] = (() => new LinearLR(Two(), startFactor: 1.2), typeof(ArgumentOutOfRangeException), "startFactor", "got 1.2"),
        ["LinearLR endFactor < 0"] = (() => new LinearLR(Two(), endFactor: -0.1), typeof(ArgumentOutOfRangeException), "endFactor", "endFactor must be in [0, 1], got -0.1"),
        ["LinearLR totalIters < 0"] = (() => new LinearLR(Two(), totalIters: -3), typeof(ArgumentOutOfRangeException), "totalIters", "got -3"),
        ["ExponentialLR gamma <= 0"] = (() => new ExponentialLR(Two(), gamma: 0), typeof(ArgumentOutOfRangeException), "gamma", "gamma must be > 0 and finite, got 0"),
        ["PolynomialLR totalIters < 0"] = (() => new PolynomialLR(Two(), totalIters: -1), typeof(ArgumentOutOfRangeException), "totalIters", "got -1"),
        ["PolynomialLR power < 0"] = (() => new PolynomialLR(Two(), power: -2), typeof(ArgumentOutOfRangeException), "power", "power must be >= 0 and finite, got -2"),
        ["CosineAnnealingLR tMax < 1"] = (() => new CosineAnnealingLR(Two(), tMax: 0), typeof(ArgumentOutOfRangeException), "tMax", "tMax must be >= 1, got 0"),
        ["CosineAnnealingLR etaMin < 0"] = (() => new CosineAnnealingLR(Two(), 10, etaMin: -1), typeof(ArgumentOutOfRangeException), "etaMin", "got -1"),
        ["WarmRestarts t0 < 1"] = (() => new CosineAnnealingWarmRestarts(Two(), t0: 0), typeof(ArgumentOutOfRangeException), "t0", "t0 must be >= 1, got 0"),
        ["WarmRestarts tMult < 1"] = (() => new CosineAnnealingWarmRestarts(Two(), 10, tMult: 0), typeof(ArgumentOutOfRangeException), "tMult", "tMult must be >= 1, got 0"),
        ["WarmRestarts etaMin < 0"] = (() => new CosineAnnealingWarmRestarts(Two(), 10, etaMin: -0.5), typeof(ArgumentOutOfRangeException), "etaMin", "got -0.5"),
        ["WarmRestarts negative epoch"] = (() => new CosineAnnealingWarmRestarts(Two(), 10).Step(-1.5), typeof(ArgumentOutOfRangeException), "epoch", "epoch must be >= 0 and finite, got -1.5"),
        ["CyclicLR baseLr count"] = (() => new CyclicLR(Two(), baseLr: new[] { 0.1, 0.2, 0.3 }, maxLr: 1.0), typeof(ArgumentException), "baseLr", "baseLr has 3 values, but the optimizer has 2 parameter groups"),
        ["CyclicLR maxLr count"] = (() => new CyclicLR(Two(), baseLr: 0.1, maxLr: new[] { 1.0 }), typeof(ArgumentException), "maxLr", "maxLr has 1 values, but the optimizer has 2"),
        ["CyclicLR negative baseLr"] = (() => new CyclicLR(Two(), baseLr: new[] { 0.1, -0.2 }, maxLr: 1.0), typeof(ArgumentOutOfRangeException), "baseLr", "baseLr[1] must be >= 0 and finite, got -0.2"),
        ["CyclicLR stepSizeUp <= 0"] = (() => new CyclicLR(Two(), 0.1, 1.0, stepSizeUp: 0), typeof(ArgumentOutOfRangeException), "stepSizeUp", "stepSizeUp must be > 0 and finite, got 0"),
        ["CyclicLR stepSizeDown < 0"] = (() => new CyclicLR(Two(), 0.1, 1.0, stepSizeDown: -4), typeof(ArgumentOutOfRangeException), "stepSizeDown", "got -4"),
        ["CyclicLR gamma <= 0"] = (() => new CyclicLR(Two(), 0.1, 1.0, mode: CyclicMode.ExpRange, gamma: 0), typeof(ArgumentOutOfRangeException), "gamma", "gamma must be > 0"),
        ["CyclicLR unknown mode"] = (() => new CyclicLR(Two(), 0.1, 1.0, mode: (CyclicMode)7), typeof(ArgumentOutOfRangeException), "mode", "mode must be one of Triangular, Triangular2, ExpRange, got 7"),
        ["CyclicLR cycleMomentum without momentum"] = (() => new CyclicLR(NoMomentum(), 0.1, 1.0), typeof(ArgumentException), "cycleMomentum", "parameter group 0 (FakeOptions) has no momentum or beta1"),
        ["CyclicLR baseMomentum count"] = (() => new CyclicLR(Two(), 0.1, 1.0, baseMomentum: new[] { 0.8, 0.8, 0.8 }), typeof(ArgumentException), "baseMomentum", "baseMomentum has 3 values"),
        ["OneCycleLR totalSteps < 1"] = (() => new OneCycleLR(Two(), maxLr: 0.1, totalSteps: 0), typeof(ArgumentOutOfRangeException), "totalSteps", "totalSteps must be >= 1, got 0"),
        ["OneCycleLR no length"] = (() => new OneCycleLR(Two(), maxLr: 0.1, epochs: 10), typeof(ArgumentException), "totalSteps", "give either totalSteps or both epochs and stepsPerEpoch"),
        ["OneCycleLR epochs < 1"] = (() => new OneCycleLR(Two(), maxLr: 0.1, epochs: 0, stepsPerEpoch: 10), typeof(ArgumentOutOfRangeException), "epochs", "epochs must be >= 1, got 0"),
        ["OneCycleLR stepsPerEpoch < 1"] = (() => new OneCycleLR(Two(), maxLr: 0.1, epochs: 3, stepsPerEpoch: -2), typeof(ArgumentOutOfRangeException), "stepsPerEpoch", "got -2"),
        ["OneCycleLR pctStart > 1"] = (() => new OneCycleLR(Two(), maxLr: 0.1, totalSteps: 100, pctStart: 1.5), typeof(ArgumentOutOfRangeException), "pctStart", "pctStart must be in [0, 1], got 1.5"),
        ["OneCycleLR maxLr count"] = (() => new OneCycleLR(Two(), maxLr: new[] { 0.1, 0.2, 0.3 }, totalSteps: 100), typeof(ArgumentException), "maxLr", "maxLr has 3 values, but the optimizer has 2 parameter groups"),
        ["OneCycleLR maxLr <= 0"] = (() => new OneCycleLR(Two(), maxLr: new[] { 0.1, 0.0 }, totalSteps: 100), typeof(ArgumentOutOfRangeException), "maxLr[1]", "maxLr[1] must be > 0 and finite, got 0"),
        ["OneCycleLR divFactor <= 0"] = (() => new OneCycleLR(Two(), maxLr: 0.1, totalSteps: 100, divFactor: 0), typeof(ArgumentOutOfRangeException), "divFactor", "got 0"),
        ["OneCycleLR finalDivFactor <= 0"] = (() => new OneCycleLR(Two(), maxLr: 0.1, totalSteps: 100, finalDivFactor: -1), typeof(ArgumentOutOfRangeException), "finalDivFactor", "got -1"),
        ["OneCycleLR cycleMomentum without momentum"] = (() => new OneCycleLR(NoMomentum(), maxLr: 0.1, totalSteps: 100), typeof(ArgumentException), "cycleMomentum", "has no momentum or beta1"),
        ["OneCycleLR stepped past totalSteps"] = (() => StepTimes(new OneCycleLR(Two(), maxLr: 0.1, totalSteps: 10), 11), typeof(InvalidOperationException), null, "stepped 12 times, but its cycle has totalSteps = 10"),
        ["OneCycleLR empty phase"] = (() => new OneCycleLR(Two(), maxLr: 0.1, totalSteps: 10, pctStart: 0.1), typeof(InvalidOperationException), null, "phase 1 has no steps"),
        ["SWALR swaLr < 0"] = (() => new SWALR(Two(), swaLr: new[] { 0.05, -1.0 }), typeof(ArgumentOutOfRangeException), "swaLr", "swaLr[1] must be >= 0 and finite, got -1"),
        ["SWALR swaLr count"] = (() => new SWALR(Two(), swaLr: new[] { 0.05 }), typeof(ArgumentException), "swaLr", "swaLr has 1 values, but the optimizer has 2 parameter groups"),
        ["SWALR annealEpochs < 0"] = (() => new SWALR(Two(), 0.05, annealEpochs: -1), typeof(ArgumentOutOfRangeException), "annealEpochs", "annealEpochs must be >= 0, got -1"),
        ["SWALR unknown annealStrategy"] = (() => new SWALR(Two(), 0.05, annealStrategy: (AnnealStrategy)4), typeof(ArgumentOutOfRangeException), "annealStrategy", "annealStrategy must be one of Cos, Linear, got 4"),
        ["ReduceLROnPlateau factor >= 1"] = (() => new ReduceLROnPlateau(Two(), factor: 1.0), typeof(ArgumentOutOfRangeException), "factor", "factor must be in [0, 1), got 1"),
        ["ReduceLROnPlateau patience < 0"] = (() => new ReduceLROnPlateau(Two(), patience: -1), typeof(ArgumentOutOfRangeException), "patience", "patience must be >= 0, got -1"),
        ["ReduceLROnPlateau threshold < 0"] = (() => new ReduceLROnPlateau(Two(), threshold: -0.1), typeof(ArgumentOutOfRangeException), "threshold", "got -0.1"),
        ["ReduceLROnPlateau cooldown < 0"] = (() => new ReduceLROnPlateau(Two(), cooldown: -2), typeof(ArgumentOutOfRangeException), "cooldown", "got -2"),
        ["ReduceLROnPlateau minLr count"] = (() => new ReduceLROnPlateau(Two(), minLr: new[] { 0.0 }), typeof(ArgumentException), "minLr", "minLr has 1 values, but the optimizer has 2 parameter groups"),
        ["ReduceLROnPlateau eps < 0"] = (() => new ReduceLROnPlateau(Two(), eps: -1e-8), typeof(ArgumentOutOfRangeException), "eps", "got -1E-08"),
        ["ReduceLROnPlateau unknown mode"] = (() => new ReduceLROnPlateau(Two(), mode: (PlateauMode)3), typeof(ArgumentOutOfRangeException), "mode", "mode must be one of Min, Max, got 3"),
        ["ReduceLROnPlateau unknown thresholdMode"] = (() => new ReduceLROnPlateau(Two(), thresholdMode: (ThresholdMode)5), typeof(ArgumentOutOfRangeException), "thresholdMode", "got 5"),
        ["LambdaLR lambda count"] = (() => new LambdaLR(Two(), new Func<int, double>[] { e => 1.0 }), typeof(ArgumentException), "lrLambdas", "lrLambdas has 1 functions, but the optimizer has 2 parameter groups"),
        ["MultiplicativeLR null lambda"] = (() => new MultiplicativeLR(Two(), new Func<int, double>[] { e => 1.0, null! }), typeof(ArgumentNullException), "lrLambdas", "lrLambdas[1] is null"),
        ["SequentialLR milestone count"] = (() => Sequential(Two(), [5, 10]), typeof(ArgumentException), "milestones", "milestones has 2 values, but 2 schedulers need 1"),
        ["SequentialLR milestones not increasing"] = (() => Sequential3(Two(), [10, 10]), typeof(ArgumentException), "milestones", "milestones must be increasing, got 10 after 10"),
        ["SequentialLR milestone < 1"] = (() => Sequential(Two(), [0]), typeof(ArgumentOutOfRangeException), "milestones", "milestones[0] must be >= 1, got 0"),
        ["SequentialLR other optimizer"] = (() => SequentialOnOther(), typeof(ArgumentException), "schedulers", "schedulers[1] drives another optimizer"),
        ["SequentialLR no schedulers"] = (() => new SequentialLR(Two(), [], []), typeof(ArgumentException), "schedulers", "schedulers is empty"),
        ["ChainedScheduler no schedulers"] = (() => new ChainedScheduler([]), typeof(ArgumentException), "schedulers", "schedulers is empty"),
        ["ChainedScheduler other optimizer"] = (() => new ChainedScheduler([new ExponentialLR(Two(), 0.9), new ExponentialLR(Two(), 0.9)]), typeof(ArgumentException), "schedulers", "schedulers[1] drives another optimizer than schedulers[0]"),
        ["LoadStateDict missing entry"] = (() => new StepLR(Two(), 5).LoadStateDict(new Dictionary<string, double[]> { ["last_epoch"] = [3] }), typeof(ArgumentException), "state", "the scheduler state has no 'base_lrs' entry"),
        ["LoadStateDict wrong length"] = (() => new StepLR(Two(), 5).LoadStateDict(WrongLength()), typeof(ArgumentException), "state", "'last_lr' has 3 values, expected 2"),
        ["LoadStateDict fractional epoch"] = (() => new StepLR(Two(), 5).LoadStateDict(new Dictionary<string, double[]> { ["last_epoch"] = [2.5] }), typeof(ArgumentException), "state", "'last_epoch' must be an integer, got 2.5"),
        ["Preview epochs < 0"] = (() => LrSchedule.Preview([0.1], o => new StepLR(o, 5), epochs: -1), typeof(ArgumentOutOfRangeException), "epochs", "epochs must be >= 0, got -1"),
        ["Preview no groups"] = (() => LrSchedule.Preview([], o => new StepLR(o, 5), epochs: 3), typeof(ArgumentException), "groupLrs", "groupLrs is empty"),
        ["Preview factory on another optimizer"] = (() => LrSchedule.Preview([0.1], _ => new StepLR(Two(), 5), epochs: 3), typeof(ArgumentException), "factory", "must build the scheduler on the optimizer it is given"),
    };

    public static TheoryData<string> RuleNames => [.. Rules.Keys];

    [Theory, MemberData(nameof(RuleNames))]
    public void RejectsWithAClearMessage(string rule)
    {
        var (act, type, param, message) = Rules[rule];
        var e = Assert.Throws(type, act);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        if (param is not null) Assert.Equal(param, ((ArgumentException)e).ParamName);
    }

    [Fact]
    public void FailedConstructionLeavesTheGroupsUntouched()
    {
        var o = Two();
        Assert.ThrowsAny<ArgumentException>(() => new OneCycleLR(o, maxLr: new[] { 0.1, 0.2, 0.3 }, totalSteps: 10));
        Assert.ThrowsAny<ArgumentException>(() => new CyclicLR(o, 0.5, 1.0, stepSizeUp: -1));
        Assert.Equal([0.1, 0.01], o.ParamGroups.Select(g => g.Lr));
        Assert.All(o.ParamGroups, g => Assert.Null(g.InitialLr));
        Assert.All(o.ParamGroups, g => Assert.Equal(0.9, g.Momentum));
    }

    /// <summary>
    /// A schedule's rate gets the constructors' check (a user's function may return NaN or a negative factor), and the
    /// step that fails changes nothing: group 0's rate was not written before group 1's was found out of range.
    /// </summary>
    [Theory]
    [InlineData(double.NaN, "got NaN")]
    [InlineData(-1.0, "lr must be >= 0 and finite, got -0.01")]
    [InlineData(double.PositiveInfinity, "got Infinity")]
    public void A_step_to_a_rate_out_of_range_throws_and_changes_no_group(double factor, string message)
    {
        var o = Two();
        var s = new LambdaLR(o, [e => 1.0 / (e + 1), e => e == 2 ? factor : 1.0]);
        s.Step();
        var e = Assert.Throws<ArgumentOutOfRangeException>(s.Step);
        Assert.Equal("lr", e.ParamName);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal([0.05, 0.01], o.ParamGroups.Select(g => g.Lr));
        Assert.Equal([0.05, 0.01], s.LastLr);
        Assert.Equal(1, s.LastEpoch);
    }

    [Fact]
    public void A_schedule_may_set_a_rate_of_zero()
    {
        var o = Two();
        var s = new LambdaLR(o, e => e == 0 ? 1 : 0);
        s.Step();
        Assert.Equal([0.0, 0.0], o.ParamGroups.Select(g => g.Lr));
        Assert.Equal([0.0, 0.0], s.LastLr);
    }

    private static void StepTimes(LRScheduler s, int n)
    {
        for (int i = 0; i < n; i++) s.Step();
    }

    private static SequentialLR Sequential(Optimizer o, int[] milestones) =>
        new(o, [new LinearLR(o), new ExponentialLR(o, 0.9)], milestones);

    private static SequentialLR Sequential3(Optimizer o, int[] milestones) =>
        new(o, [new LinearLR(o), new ExponentialLR(o, 0.9), new StepLR(o, 3)], milestones);

    private static SequentialLR SequentialOnOther()
    {
        var o = Two();
        return new SequentialLR(o, [new LinearLR(o), new ExponentialLR(Two(), 0.9)], [5]);
    }

    private static Dictionary<string, double[]> WrongLength() => new()
    {
        ["last_epoch"] = [3],
        ["base_lrs"] = [0.1, 0.01],
        ["last_lr"] = [0.1, 0.01, 0.001],
    };
}
