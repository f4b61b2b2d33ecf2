using Descent.Optim;
using Descent.Optim.Schedulers;

namespace Descent.Tests.Optim;

/// <summary>
/// Lookahead against its rule restated (and SGD's with momentum under it), and what it promises: k = 1 with α = 1 is its
/// inner optimizer bit for bit, whatever that is (L-BFGS too); the slow weights start at the parameters and the counter
/// lives in each group, as timm keeps it; its hyperparameters are checked and survive the state dict.
/// </summary>
public class LookaheadTests
{
    /// <summary>
    /// Every first-order rule of the registry (each valid configuration), and L-BFGS, under Lookahead(k = 1, α = 1); not
    /// the schedule-free ones, which Lookahead refuses (WrapperInteractionTests).
    /// </summary>
    public static TheoryData<string> InnerOptimizers()
    {
        var data = new TheoryData<string>();
        foreach (var name in OptimizerTable.Factories.Keys.Where(n => !n.StartsWith("lookahead", StringComparison.Ordinal)
            && OptimizerTable.Factories[n](OptimizerTable.Parameters(DType.Float32, [2])) is not ITrainEvalOptimizer)) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(InnerOptimizers))]
    public void WithKOneAndAlphaOneIsItsInnerOptimizerBitForBit(string name)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var a = OptimizerTable.Parameters(dtype, [4, 3], [5]);
            var b = OptimizerTable.Parameters(dtype, [4, 3], [5]);
            var alone = OptimizerTable.Factories[name](a);
            var wrapped = new Lookahead(OptimizerTable.Factories[name](b), k: 1, alpha: 1);
            for (int t = 0; t < 8; t++)
            {
                for (int i = 0; i < a.Length; i++)
                {
                    a[i].Grad = (t + i) % 3 == 2 ? null : OptimizerTable.Gradient(a[i], t, i);
                    b[i].Grad = a[i].Grad?.Clone();
                }
                alone.Step();
                wrapped.Step();
                for (int i = 0; i < a.Length; i++)
                    Assert.True(a[i].ToDoubleArray().AsSpan().SequenceEqual(b[i].ToDoubleArray()), $"{name} {dtype.Name()}: parameter {i} differs after step {t + 1}");
            }
            for (int i = 0; i < a.Length; i++)
                foreach (var (buffer, values) in alone.StateOf(a[i])!.Tensors)
                    Assert.Equal(values.ToDoubleArray(), wrapped.StateOf(b[i])!.Tensors[buffer].ToDoubleArray());
        }
    }

    [Fact]
    public void OverLbfgsWithKOneAndAlphaOneIsLbfgsBitForBit()
    {
        var f = TestFunctions.Get("rosenbrock");
        var a = Tensor.FromArray(new[] { -1.2, 1.0 }, requiresGrad: true);
        var b = Tensor.FromArray(new[] { -1.2, 1.0 }, requiresGrad: true);
        var alone = new LBFGS([a], maxIter: 4, lineSearch: LineSearch.StrongWolfe);
        var wrapped = Lookahead.Wrap(new LBFGS([b], maxIter: 4, lineSearch: LineSearch.StrongWolfe), k: 1, alpha: 1);
        Assert.IsNotAssignableFrom<FirstOrderOptimizer>(wrapped); // it needs the closure, as L-BFGS does
        for (int t = 0; t < 5; t++)
        {
            var la = alone.Step(() => { alone.ZeroGrad(); var l = f(a); l.Backward(); return l; }).Item();
            var lb = wrapped.Step(() => { wrapped.ZeroGrad(); var l = f(b); l.Backward(); return l; }).Item();
            Assert.Equal(la, lb);
            Assert.Equal(a.ToDoubleArray(), b.ToDoubleArray());
        }
    }

    [Fact]
    public void OverLbfgsPullsBackEveryKSteps()
    {
        var f = TestFunctions.Get("rosenbrock");
        var x = Tensor.FromArray(new[] { -1.2, 1.0 }, requiresGrad: true);
        var fast = Tensor.FromArray(new[] { -1.2, 1.0 }, requiresGrad: true);
        var lookahead = Lookahead.Wrap(new LBFGS([x], maxIter: 3), k: 2, alpha: 0.25);
        var lbfgs = new LBFGS([fast], maxIter: 3);
        for (int t = 0; t < 2; t++)
        {
            lookahead.Step(() => { lookahead.ZeroGrad(); var l = f(x); l.Backward(); return l; });
            lbfgs.Step(() => { lbfgs.ZeroGrad(); var l = f(fast); l.Backward(); return l; });
        }
        // Two L-BFGS steps from the start, then a quarter of the way back from the start to where they led.
        double[] expected = [.. fast.ToDoubleArray().Select((v, i) => Lerp(i == 0 ? -1.2 : 1.0, v, 0.25))];
        Assert.Equal(expected, x.ToDoubleArray());
        Assert.Equal(expected, lookahead.StateOf(x)!.Tensors["lookahead_slow_buff"].ToDoubleArray());
    }

    /// <summary>
    /// Lookahead(k = 3, α = 0.6) over SGD with momentum 0.9, dampening 0.1 and weight decay 0.01, restated as loops from
    /// the paper and timm (the slow weights from the parameters' first step, a parameter without a gradient at a pull-back
    /// left for the next) and PyTorch's SGD; two parameters, the second without a gradient at some steps, one of them a
    /// pull-back.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MatchesTheRuleRestatedOverSgdWithMomentum(bool float64)
    {
        const double lr = 0.05, mu = 0.9, tau = 0.1, wd = 0.01, alpha = 0.6;
        const int k = 3, steps = 13;
        var dtype = float64 ? DType.Float64 : DType.Float32;
        var ps = OptimizerTable.Parameters(dtype, [6], [3]);
        var lookahead = new Lookahead(new SGD(ps, lr: lr, momentum: mu, dampening: tau, weightDecay: wd), k: k, alpha: alpha);

        var theta = ps.Select(p => p.ToDoubleArray()).ToArray();
        var buffer = new double[ps.Length][];
        var slow = new double[ps.Length][];
        bool HasGradient(int t, int i) => i == 0 || t % 4 != 2; // the second has none at steps 3, 7, 11 (step 3 is a pull-back)
        for (int t = 0; t < steps; t++)
        {
            for (int i = 0; i < ps.Length; i++) ps[i].Grad = HasGradient(t, i) ? OptimizerTable.Gradient(ps[i], t, i) : null;
            lookahead.Step();

            for (int i = 0; i < ps.Length; i++)
            {
                if (!HasGradient(t, i)) continue;
                var g = OptimizerTable.Gradient(ps[i], t, i).ToDoubleArray();
                slow[i] ??= (double[])theta[i].Clone();
                bool first = buffer[i] is null; // PyTorch's buffer starts as the first gradient, undamped
                buffer[i] ??= new double[g.Length];
                for (int j = 0; j < g.Length; j++)
                {
                    double d = g[j] + wd * theta[i][j];
                    buffer[i][j] = first ? d : mu * buffer[i][j] + (1 - tau) * d;
                    theta[i][j] -= lr * buffer[i][j];
                }
            }
            if ((t + 1) % k != 0) continue;
            for (int i = 0; i < ps.Length; i++)
            {
                if (!HasGradient(t, i)) continue;
                for (int j = 0; j < theta[i].Length; j++)
                {
                    slow[i][j] += alpha * (theta[i][j] - slow[i][j]);
                    theta[i][j] = slow[i][j];
                }
            }
        }
        double tolerance = float64 ? 1e-14 : 1e-5;
        for (int i = 0; i < ps.Length; i++)
        {
            var actual = ps[i].ToDoubleArray();
            var actualSlow = lookahead.StateOf(ps[i])!.Tensors["lookahead_slow_buff"].ToDoubleArray();
            for (int j = 0; j < actual.Length; j++)
            {
                Assert.Equal(theta[i][j], actual[j], tolerance);
                Assert.Equal(slow[i][j], actualSlow[j], tolerance);
            }
        }
        Assert.Equal(steps, lookahead.ParamGroups[0].Numbers["lookahead_step"]);
    }

    [Fact]
    public void TheSlowWeightsStartAtTheParametersBeforeTheirFirstUpdate()
    {
        var p = Tensor.FromArray(new[] { 1.0, -2.0, 3.0 }, requiresGrad: true);
        var lookahead = new Lookahead(new SGD([p], lr: 0.1), k: 4);
        p.Grad = Tensor.FromArray(new[] { 1.0, 1.0, -1.0 });
        lookahead.Step();
        Assert.Equal([1.0, -2.0, 3.0], lookahead.StateOf(p)!.Tensors["lookahead_slow_buff"].ToDoubleArray());
        Assert.Equal([0.9, -2.1, 3.1], p.ToDoubleArray());
    }

    [Fact]
    public void TheInnerOptimizersGroupsStateAndScheduleAreLookaheads()
    {
        var ps = OptimizerTable.Parameters(DType.Float64, [3], [2]);
        var adam = new Adam([new ParamGroupSpec<AdamOptions>([ps[0]]), new ParamGroupSpec<AdamOptions>([ps[1]], o => o with { Lr = 0.01 })], betas: (0.8, 0.99));
        var lookahead = new Lookahead(adam, k: 3, alpha: 0.4);
        Assert.Same(adam.ParamGroups[0], lookahead.ParamGroups[0]);
        Assert.Equal(new LookaheadOptions(1e-3) { K = 3, Alpha = 0.4, Base = "adam" }, lookahead.ParamGroups[0].Options);
        Assert.Equal(new LookaheadOptions(0.01) { K = 3, Alpha = 0.4, Base = "adam" }, lookahead.ParamGroups[1].Options);
        Assert.Equal(new AdamOptions(0.01) { Betas = (0.8, 0.99) }, lookahead.ParamGroups[1].Layers[0]);

        // A schedule sets every layer's rate; the cyclic momentum is the inner optimizer's β₁.
        var schedule = new StepLR(lookahead, stepSize: 1, gamma: 0.5);
        foreach (var (p, i) in ps.Select((p, i) => (p, i))) p.Grad = OptimizerTable.Gradient(p, 0, i);
        lookahead.Step();
        schedule.Step();
        Assert.Equal(0.005, ((AdamOptions)adam.ParamGroups[1].Layers[0]).Lr);
        Assert.Equal(0.005, lookahead.ParamGroups[1].Options.Lr);
        Assert.Equal(0.8, lookahead.ParamGroups[0].Momentum);
        lookahead.ParamGroups[0].Momentum = 0.7;
        Assert.Equal((0.7, 0.99), ((AdamOptions)lookahead.ParamGroups[0].Layers[0]).Betas);

        lookahead.ZeroGrad();
        Assert.All(ps, p => Assert.Null(p.Grad));
    }

    [Fact]
    public void TheStateDictHoldsBothOptimizersAndResumes()
    {
        var a = OptimizerTable.Parameters(DType.Float32, [5]);
        var b = OptimizerTable.Parameters(DType.Float32, [5]);
        var whole = new Lookahead(new Adam(a, lr: 0.01), k: 3);
        var first = new Lookahead(new Adam(b, lr: 0.01), k: 3);
        for (int t = 0; t < 10; t++)
        {
            a[0].Grad = OptimizerTable.Gradient(a[0], t, 0);
            whole.Step();
        }
        for (int t = 0; t < 4; t++)
        {
            b[0].Grad = OptimizerTable.Gradient(b[0], t, 0);
            first.Step();
        }
        var dict = first.StateDict();
        var group = dict.ParamGroups[0].Hyperparameters;
        Assert.Equal(0.01, group["lr"]);
        Assert.Equal(3L, group["lookahead_k"]);
        Assert.Equal(0.5, group["lookahead_alpha"]);
        Assert.Equal("adam", group["lookahead_base"]);
        Assert.Equal(4.0, group["lookahead_step"]);
        Assert.Equal(new[] { 0.9, 0.999 }, group["betas"]);
        Assert.Equal(["exp_avg", "exp_avg_sq", "lookahead_slow_buff"], dict.State[0].Tensors.Keys.Order());

        var resumed = new Lookahead(new Adam(b, lr: 0.5), k: 7, alpha: 0.9);
        resumed.LoadStateDict(dict);
        Assert.Equal(new LookaheadOptions(0.01) { K = 3, Alpha = 0.5, Base = "adam" }, resumed.ParamGroups[0].Options);
        for (int t = 4; t < 10; t++)
        {
            b[0].Grad = OptimizerTable.Gradient(b[0], t, 0);
            resumed.Step();
        }
        Assert.Equal(a[0].ToDoubleArray(), b[0].ToDoubleArray());
    }

    [Fact]
    public void BadArgumentsAreRefusedNamingThem()
    {
        Tensor[] P() => [Tensor.Zeros([2], requiresGrad: true)];
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => new Lookahead(new SGD(P(), lr: 0.1), k: 0)).ParamName);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Lookahead(new SGD(P(), lr: 0.1), alpha: 1.5));
        Assert.Equal(("alpha", true), (e.ParamName, e.Message.Contains("alpha must be in [0, 1], got 1.5", StringComparison.Ordinal)));
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => Lookahead.Wrap(new LBFGS(P()), alpha: double.NaN)).ParamName);
        Assert.Equal("inner", Assert.Throws<ArgumentNullException>(() => new Lookahead(null!)).ParamName);
        var twice = Assert.Throws<ArgumentException>(() => new Lookahead(new Lookahead(new SGD(P(), lr: 0.1))));
        Assert.Equal(("inner", true), (twice.ParamName, twice.Message.Contains("already has 'lookahead_k'", StringComparison.Ordinal)));
    }

    /// <summary>PyTorch's lerp, whose two forms keep α = 0 and α = 1 exact.</summary>
    private static double Lerp(double start, double end, double weight) => weight < 0.5
        ? Math.FusedMultiplyAdd(weight, end - start, start)
        : Math.FusedMultiplyAdd(start - end, 1 - weight, end);
}
