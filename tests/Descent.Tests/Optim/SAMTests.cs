using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>
/// SAM against the reference's rule restated (davda54/sam, with SGD-momentum's and Adam's rules under it) on a small
/// least-squares model, and what it promises: ρ = 0 is its base optimizer exactly, two evaluations per step, the first
/// one's loss returned, the weights restored from a copy, the norm over all groups independent of the thread count.
/// </summary>
public class SAMTests
{
    // A linear model y ≈ Xw + b on eight points: two parameters, in two groups of the base optimizer.
    private static readonly double[,] X = { { 1, 2, -1 }, { 0.5, -1, 2 }, { -1.5, 0.3, 0.2 }, { 2, 1, 1 }, { 0, -2, 0.5 }, { 1, 1, -1 }, { -0.5, 0.5, 1.5 }, { 0.7, -0.3, -0.8 } };
    private static readonly double[] Y = [1, -2, 0.5, 3, -1, 0.2, 1.1, -0.4];

    private sealed class Model
    {
        public Model(DType dtype)
        {
            W = Tensor.FromArray(new[] { 0.3, -0.2, 0.5 }, [3, 1]).To(dtype).RequiresGrad_();
            B = Tensor.FromArray(new[] { 0.1 }).To(dtype).RequiresGrad_();
        }

        public Tensor W { get; }

        public Tensor B { get; }

        public int Evaluations { get; private set; }

        public Func<Tensor> Closure(Optimizer optimizer) => () =>
        {
            Evaluations++;
            optimizer.ZeroGrad();
            var x = Tensor.FromArray(X.Cast<double>().ToArray(), [8, 3]).To(W.DType);
            var y = Tensor.FromArray(Y, [8, 1]).To(W.DType);
            var r = x.MatMul(W) + B - y;
            var loss = (r * r).Mean();
            loss.Backward();
            return loss;
        };
    }

    /// <summary>The restated model: loss and gradient at (w, b), in double.</summary>
    private static (double Loss, double[] Gw, double Gb) LossAndGradient(double[] w, double b)
    {
        double loss = 0, gb = 0;
        var gw = new double[3];
        for (int j = 0; j < 8; j++)
        {
            double r = X[j, 0] * w[0] + X[j, 1] * w[1] + X[j, 2] * w[2] + b - Y[j];
            loss += r * r / 8;
            for (int k = 0; k < 3; k++) gw[k] += 2 * r * X[j, k] / 8;
            gb += 2 * r / 8;
        }
        return (loss, gw, gb);
    }

    /// <summary>The base optimizers of the restatement: SGD (momentum 0.9, dampening 0.1, weight decay 1e-3) and Adam (L2 decay 0.01), each over two groups.</summary>
    private static FirstOrderOptimizer Base(string kind, Model m) => kind == "momentum"
        ? new SGD([new ParamGroupSpec<SGDOptions>([m.W]), new ParamGroupSpec<SGDOptions>([m.B], o => o with { Lr = 0.02 })], lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3)
        : new Adam([new ParamGroupSpec<AdamOptions>([m.W]), new ParamGroupSpec<AdamOptions>([m.B], o => o with { Lr = 0.02 })], lr: 0.01, weightDecay: 0.01);

    /// <summary>One restated base step of parameter values θ with gradient g, its state in <paramref name="s"/> (two buffers), at step t.</summary>
    private static void BaseStep(string kind, double[] theta, double[] g, double lr, double[][] s, int t)
    {
        for (int j = 0; j < theta.Length; j++)
        {
            if (kind == "momentum")
            {
                double d = g[j] + 1e-3 * theta[j];
                s[0][j] = t == 1 ? d : 0.9 * s[0][j] + (1 - 0.1) * d;
                theta[j] -= lr * s[0][j];
            }
            else
            {
                double d = g[j] + 0.01 * theta[j];
                s[0][j] = 0.9 * s[0][j] + 0.1 * d;
                s[1][j] = 0.999 * s[1][j] + 0.001 * d * d;
                double denom = Math.Sqrt(s[1][j]) / Math.Sqrt(1 - Math.Pow(0.999, t)) + 1e-8;
                theta[j] -= lr / (1 - Math.Pow(0.9, t)) * s[0][j] / denom;
            }
        }
    }

    [Theory]
    [InlineData("momentum", false, false)]
    [InlineData("momentum", true, false)]
    [InlineData("adam", false, false)]
    [InlineData("adam", true, true)]
    [InlineData("momentum", false, true)]
    [InlineData("adam", true, false)]
    public void MatchesTheReferenceRuleRestated(string kind, bool adaptive, bool float64)
    {
        double rho = adaptive ? 0.5 : 0.05;
        var m = new Model(float64 ? DType.Float64 : DType.Float32);
        var sam = new SAM(Base(kind, m), rho: rho, adaptive: adaptive);

        double[] w = m.W.ToDoubleArray();
        double b = m.B.Item();
        double[][] sw = [new double[3], new double[3]], sb = [new double[1], new double[1]];
        for (int t = 1; t <= 6; t++)
        {
            double loss = sam.Step(m.Closure(sam)).Item();

            var (expectedLoss, gw, gb) = LossAndGradient(w, b);
            Assert.Equal(expectedLoss, loss, float64 ? 1e-13 : 1e-5);
            // e = ρ·(w² if adaptive)·g / (‖(|w| if adaptive)·g‖ + 1e-12), the norm over both groups' tensors.
            double normW = Math.Sqrt(gw.Select((g, k) => Math.Pow((adaptive ? Math.Abs(w[k]) : 1) * g, 2)).Sum());
            double normB = Math.Abs((adaptive ? Math.Abs(b) : 1) * gb);
            double scale = rho / (Math.Sqrt(normW * normW + normB * normB) + 1e-12);
            var climbedW = w.Select((v, k) => v + (adaptive ? v * v : 1) * gw[k] * scale).ToArray();
            double climbedB = b + (adaptive ? b * b : 1) * gb * scale;
            var (_, gw2, gb2) = LossAndGradient(climbedW, climbedB);
            var bArray = new[] { b };
            BaseStep(kind, w, gw2, kind == "momentum" ? 0.05 : 0.01, sw, t);
            BaseStep(kind, bArray, [gb2], 0.02, sb, t);
            b = bArray[0];

            double tolerance = float64 ? 1e-13 : 2e-5;
            var actual = m.W.ToDoubleArray();
            for (int k = 0; k < 3; k++) Assert.Equal(w[k], actual[k], tolerance);
            Assert.Equal(b, m.B.Item(), tolerance);
        }
        Assert.Equal(12, m.Evaluations);
    }

    [Theory]
    [InlineData("momentum")]
    [InlineData("adam")]
    public void RhoZeroIsTheBaseOptimizerExactly(string kind)
    {
        var alone = new Model(DType.Float32);
        var wrapped = new Model(DType.Float32);
        var baseAlone = Base(kind, alone);
        var sam = new SAM(Base(kind, wrapped), rho: 0);
        for (int t = 0; t < 8; t++)
        {
            double expected = baseAlone.Step(alone.Closure(baseAlone)).Item();
            Assert.Equal(expected, sam.Step(wrapped.Closure(sam)).Item());
            Assert.Equal(alone.W.ToDoubleArray(), wrapped.W.ToDoubleArray());
            Assert.Equal(alone.B.ToDoubleArray(), wrapped.B.ToDoubleArray());
        }
        Assert.Equal(2 * alone.Evaluations, wrapped.Evaluations);
    }

    [Fact]
    public void EachStepEvaluatesTwiceAndReturnsTheFirstLossAtTheWeights()
    {
        var m = new Model(DType.Float64);
        var sam = new SAM(new SGD([m.W, m.B], lr: 0.1), rho: 0.2);
        var points = new List<double[]>();
        var closure = m.Closure(sam);
        var first = LossAndGradient(m.W.ToDoubleArray(), m.B.Item()).Loss;
        var loss = sam.Step(() => { points.Add([.. m.W.ToDoubleArray(), m.B.Item()]); return closure(); });
        Assert.Equal(2, points.Count);
        Assert.Equal(first, loss.Item(), 1e-14);
        Assert.NotEqual(points[0], points[1]); // the second at the climbed point w + e
        double climbed = Math.Sqrt(points[0].Zip(points[1], (a, c) => (a - c) * (a - c)).Sum());
        Assert.Equal(0.2, climbed, 1e-12); // |e| = ρ
    }

    [Fact]
    public void PerGroupRhoComesFromTheRegistryGroups()
    {
        var m = new Model(DType.Float64);
        var info = OptimizerRegistry.Find("sam")!;
        var sam = info.Create([([m.W], null), ([m.B], new Dictionary<string, object> { ["sam_rho"] = 0.0 })], info.Preset with { Lr = 0.1 });
        Assert.Equal(0.0, ((SAMOptions)sam.ParamGroups[1].Options).Rho);
        Assert.IsType<Momentum>(((SAM)sam).Inner);
        var points = new List<double[]>();
        var closure = m.Closure(sam);
        sam.Step(() => { points.Add([.. m.W.ToDoubleArray(), m.B.Item()]); return closure(); });
        Assert.NotEqual(points[0][..3], points[1][..3]);
        Assert.Equal(points[0][3], points[1][3]); // ρ = 0 for the bias's group: it does not climb
    }

    [Fact]
    public void TheWeightsAreRestoredWhenTheSecondEvaluationThrows()
    {
        var m = new Model(DType.Float32);
        var sam = new SAM(new SGD([m.W, m.B], lr: 0.1));
        var before = m.W.ToDoubleArray();
        int calls = 0;
        var closure = m.Closure(sam);
        Assert.Throws<InvalidOperationException>(() => sam.Step(() => ++calls == 2 ? throw new InvalidOperationException("boom") : closure()));
        Assert.Equal(before, m.W.ToDoubleArray());
    }

    [Fact]
    public void TheStateDictHoldsSamsAndTheBasesHyperparametersAndResumes()
    {
        var a = new Model(DType.Float64);
        var b = new Model(DType.Float64);
        var whole = new SAM(new SGD([a.W, a.B], lr: 0.05, momentum: 0.9), rho: 0.1, adaptive: true);
        var first = new SAM(new SGD([b.W, b.B], lr: 0.05, momentum: 0.9), rho: 0.1, adaptive: true);
        for (int t = 0; t < 6; t++) whole.Step(a.Closure(whole));
        for (int t = 0; t < 3; t++) first.Step(b.Closure(first));
        var dict = first.StateDict();
        var group = dict.ParamGroups[0].Hyperparameters;
        Assert.Equal(0.1, group["sam_rho"]);
        Assert.Equal(true, group["sam_adaptive"]);
        Assert.Equal("gd", group["sam_base"]);
        Assert.Equal(0.9, group["momentum"]);
        var resumed = new SAM(new SGD([b.W, b.B], lr: 0.05, momentum: 0.9));
        resumed.LoadStateDict(dict);
        Assert.Equal(new SAMOptions(0.05) { Rho = 0.1, Adaptive = true, Base = "gd" }, resumed.ParamGroups[0].Options);
        for (int t = 3; t < 6; t++) resumed.Step(b.Closure(resumed));
        Assert.Equal(a.W.ToDoubleArray(), b.W.ToDoubleArray());
        Assert.Equal(a.B.ToDoubleArray(), b.B.ToDoubleArray());
    }

    [Fact]
    public void BadArgumentsAreRefusedNamingThem()
    {
        var m = new Model(DType.Float32);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SAM(new SGD([m.W], lr: 0.1), rho: -0.5));
        Assert.Equal(("rho", true), (e.ParamName, e.Message.Contains("rho must be >= 0 and finite, got -0.5", StringComparison.Ordinal)));
        Assert.Equal("rho", Assert.Throws<ArgumentOutOfRangeException>(() => new SAM(new SGD([m.W], lr: 0.1), rho: double.PositiveInfinity)).ParamName);
        Assert.Equal("inner", Assert.Throws<ArgumentNullException>(() => new SAM(null!)).ParamName);
        Assert.Equal("closure", Assert.Throws<ArgumentNullException>(() => new SAM(new SGD([m.W], lr: 0.1)).Step(null!)).ParamName);
    }

    [Fact]
    public void RowSparseGradientsAreRefusedBeforeAnythingChanges()
    {
        var table = Tensor.FromArray(new[] { 1.0, 2, 3, 4 }, [2, 2], requiresGrad: true);
        var sam = new SAM(new SGD([table], lr: 0.1));
        var e = Assert.Throws<InvalidOperationException>(() => sam.Step(() =>
        {
            table.SparseGrad = new RowSparseGrad(Tensor.FromArray(new long[] { 1 }), Tensor.FromArray(new[] { 1.0, 1 }, [1, 2]), [2, 2]);
            return Tensor.FromArray(new[] { 0.0 });
        }));
        Assert.Contains("row-sparse", e.Message, StringComparison.Ordinal);
        Assert.Equal([1.0, 2, 3, 4], table.ToDoubleArray());
    }
}

/// <summary>SAM's global norm and climb run on one thread in fixed chunks: one thread or all cores, every bit is the same.</summary>
[Collection(ThreadCountCollection.Name)] // it changes the process-wide thread count
public class SAMParallelTests
{
    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        double[] Run(int threshold, int threads)
        {
            int savedThreshold = Descent.Kernels.OptimParallel.Threshold, savedThreads = Descent.Kernels.Parallelism.MaxThreads;
            Descent.Kernels.OptimParallel.Threshold = threshold;
            Descent.Kernels.Parallelism.MaxThreads = threads;
            try
            {
                var ps = OptimizerTable.Parameters(DType.Float32, [70_001], [3, 1000]);
                var sam = new SAM(new Adam(ps, lr: 0.01), rho: 0.1, adaptive: true);
                for (int t = 0; t < 3; t++)
                    sam.Step(() =>
                    {
                        sam.ZeroGrad();
                        var loss = ps.Select(p => (p * p * p).Sum()).Aggregate((x, y) => x + y);
                        loss.Backward();
                        return loss;
                    });
                return [.. ps.SelectMany(p => p.ToDoubleArray())];
            }
            finally
            {
                Descent.Kernels.OptimParallel.Threshold = savedThreshold;
                Descent.Kernels.Parallelism.MaxThreads = savedThreads;
            }
        }
        var sequential = Run(int.MaxValue, 1);
        Assert.True(sequential.AsSpan().SequenceEqual(Run(1024, Environment.ProcessorCount)));
        Assert.True(sequential.AsSpan().SequenceEqual(Run(1024, 2)));
    }
}
