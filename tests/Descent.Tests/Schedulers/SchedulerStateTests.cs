using Descent.Optim;
using Descent.Optim.Schedulers;

namespace Descent.Tests.Schedulers;

/// <summary>A run interrupted at epoch k and restored into a fresh optimizer and scheduler follows the uninterrupted one exactly.</summary>
public class SchedulerStateTests
{
    private const int Epochs = 45;

    internal static SGD Sgd() => new(
        [new ParamGroupSpec<SGDOptions>([Tensor.Zeros([2], DType.Float64, requiresGrad: true)], o => o with { Lr = 0.1 }),
         new ParamGroupSpec<SGDOptions>([Tensor.Zeros([2], DType.Float64, requiresGrad: true)], o => o with { Lr = 0.01 })],
        lr: 0.1, momentum: 0.9);

    internal static Adam AdamOptimizer() => new(
        [new ParamGroupSpec<AdamOptions>([Tensor.Zeros([2], DType.Float64, requiresGrad: true)], o => o with { Lr = 0.1 }),
         new ParamGroupSpec<AdamOptions>([Tensor.Zeros([2], DType.Float64, requiresGrad: true)], o => o with { Lr = 0.01 })],
        lr: 0.1);

    private static readonly Dictionary<string, (Func<FirstOrderOptimizer> Optimizer, Func<Optimizer, LRScheduler> Scheduler)> Cases = new()
    {
        ["StepLR"] = (Sgd, o => new StepLR(o, stepSize: 7, gamma: 0.5)),
        ["MultiStepLR"] = (Sgd, o => new MultiStepLR(o, [5, 20, 21, 33])),
        ["ConstantLR"] = (Sgd, o => new ConstantLR(o, factor: 0.25, totalIters: 22)),
        ["LinearLR"] = (Sgd, o => new LinearLR(o, startFactor: 0.1, totalIters: 30)),
        ["ExponentialLR"] = (Sgd, o => new ExponentialLR(o, gamma: 0.93)),
        ["PolynomialLR"] = (Sgd, o => new PolynomialLR(o, totalIters: 40, power: 2)),
        ["CosineAnnealingLR"] = (Sgd, o => new CosineAnnealingLR(o, tMax: 12, etaMin: 1e-4)),
        ["CosineAnnealingWarmRestarts"] = (Sgd, o => new CosineAnnealingWarmRestarts(o, t0: 4, tMult: 2, etaMin: 1e-5)),
        ["CyclicLR"] = (Sgd, o => new CyclicLR(o, baseLr: [0.001, 0.0005], maxLr: 0.1, stepSizeUp: 6, stepSizeDown: 9, mode: CyclicMode.Triangular2)),
        ["OneCycleLR Adam"] = (AdamOptimizer, o => new OneCycleLR(o, maxLr: [0.1, 0.05], totalSteps: Epochs + 1, threePhase: true)),
        ["LambdaLR"] = (Sgd, o => new LambdaLR(o, [e => 1.0 / (1 + e), e => Math.Pow(0.97, e)])),
        ["MultiplicativeLR"] = (Sgd, o => new MultiplicativeLR(o, e => e % 3 == 0 ? 0.9 : 1.0)),
        ["SequentialLR"] = (Sgd, o => new SequentialLR(o,
            [new LinearLR(o, startFactor: 0.1, totalIters: 5), new CosineAnnealingLR(o, tMax: 15), new StepLR(o, 4)], [5, 25])),
        ["SWALR"] = (Sgd, o => new SWALR(o, swaLr: [0.05, 0.001], annealEpochs: 30, annealStrategy: AnnealStrategy.Linear)),
        // SWALR counts its own steps: after the cosine it anneals from where the cosine left, and restores that count.
        ["SequentialLR SWALR"] = (Sgd, o => new SequentialLR(o, [new CosineAnnealingLR(o, tMax: 20), new SWALR(o, 0.02, annealEpochs: 10)], [20])),
        ["SequentialLR SWALR first"] = (Sgd, o => new SequentialLR(o, [new SWALR(o, 0.02, annealEpochs: 20), new StepLR(o, 4)], [22])),
        ["ChainedScheduler"] = (Sgd, o => new ChainedScheduler([new ConstantLR(o, factor: 0.5, totalIters: 10), new CosineAnnealingLR(o, tMax: 16)])),
    };

    public static TheoryData<string, int> Interruptions()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in Cases.Keys)
            foreach (int k in new[] { 1, 17, 26 }) data.Add(name, k);
        return data;
    }

    [Theory, MemberData(nameof(Interruptions))]
    public void ResumedRunEqualsUninterruptedRun(string name, int k)
    {
        var (makeOptimizer, makeScheduler) = Cases[name];
        var expected = Run(makeOptimizer(), makeScheduler, 0, Epochs, out _);

        var first = makeOptimizer();
        var firstScheduler = makeScheduler(first);
        var head = Run(first, _ => firstScheduler, 0, k, out _);
        var optimizerState = first.StateDict();
        var schedulerState = firstScheduler.StateDict();

        var fresh = makeOptimizer();
        var resumed = makeScheduler(fresh);
        fresh.LoadStateDict(optimizerState);
        resumed.LoadStateDict(schedulerState);
        var tail = Run(fresh, _ => resumed, k, Epochs, out _);

        Assert.Equal(expected, head.Concat(tail.Skip(1)).ToList());
        Assert.True(expected.Distinct().Count() > 1, "the schedule should move"); // else the test could not fail
    }

    [Theory]
    [InlineData("CosineAnnealingLR")]
    [InlineData("CyclicLR")]
    [InlineData("OneCycleLR Adam")]
    [InlineData("SequentialLR")]
    public void SchedulerStateAloneRestoresLearningRatesAndMomenta(string name)
    {
        var (makeOptimizer, makeScheduler) = Cases[name];
        var expected = Run(makeOptimizer(), makeScheduler, 0, Epochs, out _);
        var first = makeOptimizer();
        var scheduler = makeScheduler(first);
        Run(first, _ => scheduler, 0, 20, out _);
        var state = scheduler.StateDict();

        var fresh = makeOptimizer();
        var resumed = makeScheduler(fresh);
        resumed.LoadStateDict(state); // no optimizer state: the scheduler writes its lrs and momenta back
        var tail = Run(fresh, _ => resumed, 20, Epochs, out _);
        Assert.Equal(expected.Skip(20).ToList(), tail);
    }

    [Fact]
    public void PlateauResumesExactly()
    {
        double[] metrics = [.. Enumerable.Range(0, 40).Select(i => 1.0 / (1 + i % 7) + (i > 20 ? 0.5 : 0))];
        List<double[]> Run(ReduceLROnPlateau s, Optimizer o, int from, int to)
        {
            var lrs = new List<double[]>();
            for (int e = from; e < to; e++)
            {
                s.Step(metrics[e]);
                lrs.Add(o.ParamGroups.Select(g => g.Lr).ToArray());
            }
            return lrs;
        }
        ReduceLROnPlateau Make(Optimizer o) => new(o, patience: 1, cooldown: 2, minLr: [0.0, 0.002], factor: 0.5);

        var a = Sgd();
        var expected = Run(Make(a), a, 0, 40);
        var b = Sgd();
        var first = Make(b);
        Run(first, b, 0, 13);
        var state = first.StateDict();
        var c = Sgd();
        var resumed = Make(c);
        resumed.LoadStateDict(state);
        Assert.Equal((first.Best, first.NumBadEpochs, first.CooldownCounter, first.LastEpoch),
            (resumed.Best, resumed.NumBadEpochs, resumed.CooldownCounter, resumed.LastEpoch));
        Assert.Equal(expected.Skip(13).ToList(), Run(resumed, c, 13, 40));
        Assert.True(expected.Select(r => r[0]).Distinct().Count() > 2, "the plateau schedule should reduce the lr");
    }

    [Fact]
    public void StateHoldsNumbersOnlyAndNestsInnerSchedulers()
    {
        var o = Sgd();
        var s = new SequentialLR(o, [new LinearLR(o), new CosineAnnealingWarmRestarts(o, t0: 3)], [5]);
        var state = s.StateDict();
        Assert.Contains("schedulers.1.T_cur", state.Keys);
        Assert.Equal([0], state["last_epoch"]);
        Assert.Equal([0.1, 0.01], state["base_lrs"]);
    }

    /// <summary>Each group's (lr, momentum) after each step from <paramref name="from"/> to <paramref name="to"/>, the starting point included.</summary>
    private static List<string> Run(FirstOrderOptimizer o, Func<Optimizer, LRScheduler> make, int from, int to, out LRScheduler scheduler)
    {
        scheduler = make(o);
        var rows = new List<string> { Row(o) };
        for (int e = from; e < to; e++)
        {
            o.Step();
            scheduler.Step();
            rows.Add(Row(o));
        }
        return rows;
    }

    // Round-trip formatting compares doubles bit for bit and shows the epoch's values when they differ.
    private static string Row(Optimizer o) =>
        string.Join(" ", o.ParamGroups.Select(g => $"{g.Lr:R}/{g.Momentum:R}"));
}
