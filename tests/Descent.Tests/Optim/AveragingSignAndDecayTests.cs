using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>
/// What ASGD, Lion and the decoupled weight decay of the Adam family promise beyond PyTorch's numbers: ASGD's averages
/// are the mean of the iterates, Lion moves each coordinate by exactly lr (and not at all where sign(c) = 0), decoupled
/// decay is AdamW's rule, and the new hyperparameters survive the state dict and are checked.
/// </summary>
public class AveragingSignAndDecayTests
{
    private static Tensor Vector(params double[] values) => Tensor.FromArray(values, requiresGrad: true);

    private static void Steps(FirstOrderOptimizer optimizer, Tensor p, int count, Action<int>? afterStep = null)
    {
        for (int t = 0; t < count; t++)
        {
            p.Grad = OptimizerTable.Gradient(p, t, 0);
            optimizer.Step();
            afterStep?.Invoke(t + 1);
        }
    }

    [Fact]
    public void AsgdAveragesAreTheMeanOfTheIteratesFromStepT0Plus2()
    {
        var p = Vector(1, -2, 0.5, 3);
        var asgd = new ASGD([p], lr: 0.05, t0: 5);
        var iterates = new List<double[]>();
        Steps(asgd, p, 20, t => { if (t >= 7) iterates.Add(p.ToDoubleArray()); });
        var mean = Enumerable.Range(0, 4).Select(i => iterates.Average(x => x[i])).ToArray();
        var averaged = asgd.Averaged(p).ToDoubleArray();
        // μ = 1/k is kept in single precision, as PyTorch keeps it: the average is the mean to about 1e-8, not to the last bit.
        for (int i = 0; i < mean.Length; i++) Assert.Equal(mean[i], averaged[i], 1e-6);
        Assert.NotEqual(p.ToDoubleArray(), averaged); // the last iterate is not the average
    }

    [Fact]
    public void AsgdAverageIsTheCurrentPointBeforeAveragingStarts()
    {
        var p = Vector(1, 2, 3);
        var asgd = new ASGD([p]); // t0 = 10⁶
        Assert.Equal([1.0, 2, 3], asgd.Averaged(p).ToDoubleArray()); // before the first step: the parameter
        Steps(asgd, p, 4);
        Assert.Equal(p.ToDoubleArray(), asgd.Averaged(p).ToDoubleArray());
    }

    [Fact]
    public void AsgdCopiesItsAveragesIntoTheParameters()
    {
        var p = Vector(1, -1, 2);
        var asgd = new ASGD([p], lr: 0.1, t0: 0);
        Steps(asgd, p, 10);
        var averaged = asgd.Averaged(p).ToDoubleArray();
        Assert.NotEqual(averaged, p.ToDoubleArray());
        asgd.CopyAveragesToParameters();
        Assert.Equal(averaged, p.ToDoubleArray());
        Assert.NotSame(asgd.Averaged(p), asgd.Averaged(p)); // a copy each time, not the state itself
    }

    [Fact]
    public void AsgdAveragedRefusesATensorItDoesNotOptimise()
    {
        var asgd = new ASGD([Vector(1)]);
        var e = Assert.Throws<ArgumentException>(() => asgd.Averaged(Vector(1)));
        Assert.Equal("parameter", e.ParamName);
    }

    [Fact]
    public void AsgdKeepsEtaAndMuInSinglePrecisionAsPyTorch()
    {
        var p = Vector(1, 2);
        var asgd = new ASGD([p], lr: 0.1, lambd: 0.01, t0: 0);
        Steps(asgd, p, 3);
        var state = asgd.StateOf(p)!;
        Assert.Equal((double)(float)(0.1 / Math.Pow(1 + 0.01 * 0.1 * 3, 0.75)), state.Numbers["eta"]);
        Assert.Equal((double)(float)(1.0 / 3), state.Numbers["mu"]);
        Assert.Equal(["ax"], state.Tensors.Keys);
    }

    [Fact]
    public void LionMovesEachCoordinateByExactlyLrAndNotAtAllWhereTheSignIsZero()
    {
        var p = Vector(1, 1, 1);
        var lion = new Lion([p], lr: 0.25);
        p.Grad = Tensor.FromArray(new[] { 3.0, -1e-9, 0 });
        lion.Step();
        Assert.Equal([0.75, 1.25, 1.0], p.ToDoubleArray());
        Assert.Equal([0.03, -1e-11, 0], lion.StateOf(p)!.Tensors["exp_avg"].ToDoubleArray(), new ToleranceComparer(1e-15));
    }

    [Fact]
    public void LionFollowsThePapersPseudocode()
    {
        var p = Vector(0.5, -1, 2, 0);
        var lion = new Lion([p], lr: 0.01, betas: (0.9, 0.99), weightDecay: 0.5);
        double[] theta = p.ToDoubleArray(), m = new double[4];
        Steps(lion, p, 6, t =>
        {
            var g = OptimizerTable.Gradient(p, t - 1, 0).ToDoubleArray();
            for (int i = 0; i < 4; i++)
            {
                double c = 0.9 * m[i] + 0.1 * g[i];
                theta[i] = theta[i] * (1 - 0.01 * 0.5) - 0.01 * Math.Sign(c);
                m[i] = 0.99 * m[i] + 0.01 * g[i];
            }
            Assert.Equal(theta, p.ToDoubleArray(), new ToleranceComparer(1e-15));
        });
    }

    [Fact]
    public void DecoupledAdamIsAdamW()
    {
        var a = Vector(1, -2, 3);
        var b = Vector(1, -2, 3);
        var adam = new Adam([a], lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true);
        var adamw = new AdamW([b], lr: 0.01, weightDecay: 0.1);
        Steps(adam, a, 5);
        Steps(adamw, b, 5);
        Assert.Equal(b.ToDoubleArray(), a.ToDoubleArray());
    }

    public static TheoryData<string> AdamFamily => ["adam", "nadam", "radam"];

    [Theory]
    [MemberData(nameof(AdamFamily))]
    public void DecoupledWeightDecayDiffersFromTheL2PenaltyAndIsNothingWithoutDecay(string name)
    {
        var info = OptimizerRegistry.Find(name)!;
        double[] Run(double weightDecay, bool decoupled)
        {
            var p = Vector(1, -2, 3, 0.5);
            var options = info.Defaults.WithValues(new Dictionary<string, object> { ["lr"] = 0.05, ["weight_decay"] = weightDecay, ["decoupled_weight_decay"] = decoupled });
            Steps((FirstOrderOptimizer)info.Create([p], options), p, 8);
            return p.ToDoubleArray();
        }
        Assert.NotEqual(Run(0.1, decoupled: false), Run(0.1, decoupled: true));
        Assert.Equal(Run(0, decoupled: false), Run(0, decoupled: true));
    }

    [Fact]
    public void TheNewHyperparametersSurviveTheStateDict()
    {
        var nadam = new NAdam([Vector(1, 2)], weightDecay: 0.01, decoupledWeightDecay: true);
        var dict = nadam.StateDict();
        Assert.Equal(true, dict.ParamGroups[0].Hyperparameters["decoupled_weight_decay"]);
        var restored = new NAdam([Vector(1, 2)]);
        restored.LoadStateDict(dict);
        Assert.True(((NAdamOptions)restored.ParamGroups[0].Options).DecoupledWeightDecay);

        var asgd = new ASGD([Vector(1, 2)], lambd: 0.01, alpha: 0.5, t0: 3);
        var again = new ASGD([Vector(1, 2)]);
        again.LoadStateDict(asgd.StateDict());
        Assert.Equal(asgd.ParamGroups[0].Options, again.ParamGroups[0].Options);
        Assert.Equal(true, new AdamW([Vector(1)]).StateDict().ParamGroups[0].Hyperparameters["decoupled_weight_decay"]);
    }

    [Fact]
    public void BadValuesAreRefusedNamingTheArgument()
    {
        Assert.Equal("lambd", Assert.ThrowsAny<ArgumentException>(() => new ASGD([Vector(1)], lambd: -1)).ParamName);
        Assert.Equal("t0", Assert.ThrowsAny<ArgumentException>(() => new ASGD([Vector(1)], t0: double.NaN)).ParamName);
        Assert.Equal("betas", Assert.ThrowsAny<ArgumentException>(() => new Lion([Vector(1)], betas: (1.0, 0.99))).ParamName);
        Assert.Equal("weightDecay", Assert.ThrowsAny<ArgumentException>(() => new Lion([Vector(1)], weightDecay: -0.1)).ParamName);
        var e = Assert.ThrowsAny<ArgumentException>(() => new AdamW([new ParamGroupSpec<AdamWOptions>([Vector(1)])], new AdamWOptions { DecoupledWeightDecay = false }));
        Assert.Equal("decoupledWeightDecay", e.ParamName);
        Assert.Contains("always decoupled", e.Message);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
