using System.Text.Json.Nodes;
using Descent.NN;
using Descent.Optim;
using Descent.Tests.Conformance;

namespace Descent.Tests.Optim;

/// <summary>
/// SparseAdam and row-sparse gradients in the optimizers. PyTorch's own values are in Optim/Data/sparseadam-rows.json
/// (subsets of rows; made by bench/compare/sparse_adam_reference.py, which also wrote the every-row cases of
/// reference/optim-sparseadam-public.json that the conformance suite runs).
/// </summary>
[Collection(ThreadCountCollection.Name)]
public class SparseAdamTests
{
    private static readonly Lazy<JsonObject> RowsFile = new(() =>
        JsonNode.Parse(File.ReadAllText(RepositoryFiles.PathOf("tests/Descent.Tests/Optim/Data/sparseadam-rows.json")))!.AsObject());

    public static TheoryData<string> RowCaseIds()
    {
        var data = new TheoryData<string>();
        foreach (var c in RowsFile.Value["cases"]!.AsArray()) data.Add(c!["id"]!.GetValue<string>());
        return data;
    }

    [Theory]
    [MemberData(nameof(RowCaseIds))]
    [Trait("Category", "Conformance")]
    public void SubsetsOfRowsMatchPyTorch(string id)
    {
        var c = RowsFile.Value["cases"]!.AsArray().Select(n => n!.AsObject()).Single(n => n["id"]!.GetValue<string>() == id);
        var dtype = c["dtype"]!.GetValue<string>() == "float32" ? DType.Float32 : DType.Float64;
        var tolerance = Tolerance.FromFile(RowsFile.Value, c["dtype"]!.GetValue<string>());
        var shape = ReferenceFiles.Ints(c["shape"]);
        var p = Tensor.FromArray(ReferenceFiles.Doubles(c["initial"]), shape).To(dtype);
        var options = (SparseAdamOptions)new SparseAdamOptions().WithValues(Hyperparameters(c["hyperparameters"]!.AsObject()));
        var optimizer = new SparseAdam([new ParamGroupSpec<SparseAdamOptions>([p])], options);
        var steps = c["steps"]!.AsArray();
        for (int t = 0; t < steps.Count; t++)
        {
            var rows = steps[t]!["rows"]!.AsArray().Select(r => r!.GetValue<long>()).ToArray();
            var values = Tensor.FromArray(ReferenceFiles.Doubles(steps[t]!["values"]), [rows.Length, .. shape[1..]]).To(dtype);
            p.SparseGrad = new RowSparseGrad(Tensor.FromArray(rows), values, shape);
            optimizer.Step();
            tolerance.Check($"step {t + 1} param", p.ToDoubleArray(), ReferenceFiles.Doubles(c["expected"]![t]));
            var state = optimizer.StateOf(p)!;
            tolerance.Check($"step {t + 1} exp_avg", state.Tensors["exp_avg"].ToDoubleArray(), ReferenceFiles.Doubles(c["exp_avg"]![t]));
            tolerance.Check($"step {t + 1} exp_avg_sq", state.Tensors["exp_avg_sq"].ToDoubleArray(), ReferenceFiles.Doubles(c["exp_avg_sq"]![t]));
            Assert.Equal(t + 1, state.Step);
        }
        Assert.True(tolerance.Passed, string.Join("\n", tolerance.Failures));
    }

    private static Dictionary<string, object> Hyperparameters(JsonObject h)
    {
        var betas = h["betas"]!.AsArray();
        return new Dictionary<string, object>
        {
            ["lr"] = h["lr"]!.GetValue<double>(), ["eps"] = h["eps"]!.GetValue<double>(), ["maximize"] = h["maximize"]!.GetValue<bool>(),
            ["betas"] = new[] { betas[0]!.GetValue<double>(), betas[1]!.GetValue<double>() },
        };
    }

    [Theory]
    [InlineData(DType.Float32, 2e-6)]
    [InlineData(DType.Float64, 1e-13)]
    public void WithEveryRowTouchedItIsAdamWithoutWeightDecay(DType dtype, double rtol)
    {
        // The same rule written incrementally, m + (1 − β₁)(g − m) for β₁m + (1 − β₁)g: a rounding apart, not more. ε is
        // made negligible: SparseAdam adds it to √v, Adam to √v/√(1 − β₂ᵗ), so SparseAdam's ε is Adam's ε/√(1 − β₂ᵗ).
        var a = Tensor.Randn([40, 9], dtype, new Generator(5));
        var b = a.Clone();
        var sparseAdam = new SparseAdam([a], lr: 0.01, betas: (0.8, 0.99), eps: 1e-30);
        var adam = new Adam([b], lr: 0.01, betas: (0.8, 0.99), eps: 1e-30);
        var gen = new Generator(6);
        for (int t = 0; t < 300; t++)
        {
            var g = Tensor.Randn([40, 9], dtype, gen) + a.Detach() * 0.5;
            a.Grad = g;
            b.Grad = g.Clone();
            sparseAdam.Step();
            adam.Step();
        }
        AssertClose(b.ToDoubleArray(), a.ToDoubleArray(), rtol);
        foreach (var name in new[] { "exp_avg", "exp_avg_sq" })
            AssertClose(adam.StateOf(b)!.Tensors[name].ToDoubleArray(), sparseAdam.StateOf(a)!.Tensors[name].ToDoubleArray(), rtol * 10);
    }

    private static void AssertClose(double[] expected, double[] actual, double rtol)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= rtol * scale, $"[{i}]: {actual[i]:R}, expected {expected[i]:R}");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ASparseGradientOverEveryRowIsTheDenseGradientBitForBit(DType dtype)
    {
        var a = Tensor.Randn([13, 7], dtype, new Generator(5)); // 7: rows that end in the middle of a vector
        var b = a.Clone();
        var dense = new SparseAdam([a], lr: 0.05, maximize: true);
        var sparse = new SparseAdam([b], lr: 0.05, maximize: true);
        var gen = new Generator(2);
        var all = Enumerable.Range(0, 13).Select(i => (long)i).ToArray();
        for (int t = 0; t < 20; t++)
        {
            var g = Tensor.Randn([13, 7], dtype, gen);
            a.Grad = g;
            b.SparseGrad = new RowSparseGrad(Tensor.FromArray(all), g.Clone(), [13, 7]);
            dense.Step();
            sparse.Step();
        }
        Assert.Equal(a.ToDoubleArray(), b.ToDoubleArray());
        Assert.Equal(dense.StateOf(a)!.Tensors["exp_avg_sq"].ToDoubleArray(), sparse.StateOf(b)!.Tensors["exp_avg_sq"].ToDoubleArray());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void OnlyTheTouchedRowsChangeAndThoseFollowTheRule(DType dtype)
    {
        const int Rows = 50, Dim = 11;
        var p = Tensor.Randn([Rows, Dim], dtype, new Generator(8));
        var optimizer = new SparseAdam([p], lr: 0.03, betas: (0.85, 0.98), eps: 1e-6);
        var gen = new Generator(9);
        long[][] touched = [[3, 4, 40], [4, 17], [0, 3, 49]];
        for (int t = 0; t < touched.Length; t++)
        {
            var rows = touched[t];
            var values = Tensor.Randn([rows.Length, Dim], dtype, gen);
            var before = p.ToDoubleArray();
            var state = optimizer.StateOf(p);
            var m = state?.Tensors["exp_avg"].ToDoubleArray() ?? new double[Rows * Dim];
            var v = state?.Tensors["exp_avg_sq"].ToDoubleArray() ?? new double[Rows * Dim];
            p.SparseGrad = new RowSparseGrad(Tensor.FromArray(rows), values, [Rows, Dim]);
            optimizer.Step();

            var (expected, em, ev) = Reference(before, m, v, rows, values.ToDoubleArray(), Dim, t + 1, 0.03, 0.85, 0.98, 1e-6, dtype == DType.Float32);
            Assert.Equal(expected, p.ToDoubleArray()); // untouched rows bit-identical; touched rows the rule, in its order
            Assert.Equal(em, optimizer.StateOf(p)!.Tensors["exp_avg"].ToDoubleArray());
            Assert.Equal(ev, optimizer.StateOf(p)!.Tensors["exp_avg_sq"].ToDoubleArray());
        }
    }

    /// <summary>torch.optim's sparse_adam, restated on plain numbers (in float when <paramref name="single"/>).</summary>
    private static (double[] Theta, double[] M, double[] V) Reference(double[] theta, double[] m, double[] v, long[] rows, double[] g,
        int dim, long t, double lr, double beta1, double beta2, double eps, bool single)
    {
        double stepSize = lr * Math.Sqrt(1 - Math.Pow(beta2, t)) / (1 - Math.Pow(beta1, t));
        theta = (double[])theta.Clone();
        m = (double[])m.Clone();
        v = (double[])v.Clone();
        for (int j = 0; j < rows.Length; j++)
        {
            for (int d = 0; d < dim; d++)
            {
                int at = (int)rows[j] * dim + d;
                double gi = g[j * dim + d];
                if (single)
                {
                    float gf = (float)gi, mf = (float)m[at], vf = (float)v[at];
                    float mUpdate = (gf - mf) * (float)(1 - beta1), vUpdate = (gf * gf - vf) * (float)(1 - beta2);
                    float numer = mUpdate + mf, denom = MathF.Sqrt(vUpdate + vf) + (float)eps;
                    m[at] = mf + mUpdate;
                    v[at] = vf + vUpdate;
                    theta[at] = (float)theta[at] + (float)-stepSize * (numer / denom);
                }
                else
                {
                    double mUpdate = (gi - m[at]) * (1 - beta1), vUpdate = (gi * gi - v[at]) * (1 - beta2);
                    double numer = mUpdate + m[at], denom = Math.Sqrt(vUpdate + v[at]) + eps;
                    m[at] += mUpdate;
                    v[at] += vUpdate;
                    theta[at] += -stepSize * (numer / denom);
                }
            }
        }
        return (theta, m, v);
    }

    [Fact]
    public void AGradientTouchingNoRowCountsTheStepAndChangesNothing()
    {
        var p = Tensor.Randn([5, 2], DType.Float64, new Generator(1));
        var optimizer = new SparseAdam([p]);
        p.SparseGrad = new RowSparseGrad(Tensor.FromArray(new long[] { 1 }), Tensor.Ones([1, 2], DType.Float64), [5, 2]);
        optimizer.Step();
        var after = p.ToDoubleArray();
        p.SparseGrad = RowSparseGrad.Empty([5, 2], DType.Float64);
        optimizer.Step();
        Assert.Equal(after, p.ToDoubleArray());
        Assert.Equal(2, optimizer.StateOf(p)!.Step);
    }

    [Theory]
    [InlineData("adam", "Adam")]
    [InlineData("gd", "SGD")]
    [InlineData("momentum", "Momentum")]
    [InlineData("adagrad", "Adagrad")]
    public void DenseOptimizersRefuseASparseGradientBeforeChangingAnything(string name, string className)
    {
        var dense = Tensor.Randn([3], DType.Float64, new Generator(1));
        var e = new Embedding(6, 2, DType.Float64, new Generator(2), sparse: true);
        var optimizer = OptimizerRegistry.Find(name)!.Create([dense, e.Weight]);
        dense.Grad = Tensor.OnesLike(dense);
        e.Forward(Tensor.FromArray(new long[] { 1, 4 })).Sum().Backward();
        var before = dense.ToDoubleArray();
        var ex = Assert.Throws<InvalidOperationException>(() => ((FirstOrderOptimizer)optimizer).Step());
        Assert.Contains($"{className} does not support sparse gradients, please consider SparseAdam instead", ex.Message);
        Assert.Contains("parameter 1 of group 0", ex.Message);
        Assert.Equal(before, dense.ToDoubleArray());
    }

    [Fact]
    public void LbfgsReadsASparseGradientAsItsDenseForm()
    {
        double[] Run(bool sparse)
        {
            var e = new Embedding(5, 2, DType.Float64, new Generator(4), sparse: sparse);
            var lbfgs = new LBFGS(e.Parameters(), maxIter: 5);
            var idx = Tensor.FromArray(new long[] { 1, 3, 3 });
            for (int i = 0; i < 3; i++)
                lbfgs.Step(() =>
                {
                    lbfgs.ZeroGrad();
                    var y = e.Forward(idx) - 1.0;
                    var loss = (y * y).Sum();
                    loss.Backward();
                    return loss;
                });
            return e.Weight.ToDoubleArray();
        }
        Assert.Equal(Run(sparse: false), Run(sparse: true));
    }

    [Fact]
    public void ClippingASparseGradientIsClippingItsDenseForm()
    {
        var e = new Embedding(7, 3, DType.Float64, new Generator(4), sparse: true);
        var idx = Tensor.FromArray(new long[] { 1, 3, 3, 6 });
        var upstream = Tensor.Randn([4, 3], DType.Float64, new Generator(5)) * 3.0;
        e.Forward(idx).Backward(upstream);
        var dense = Tensor.Zeros([7, 3], DType.Float64).RequiresGrad_();
        dense.Grad = e.Weight.SparseGrad!.ToDense();

        foreach (var normType in new[] { 2.0, 1.0, double.PositiveInfinity })
        {
            double sparseNorm = GradientClipping.ClipGradNorm([e.Weight], 0.5, normType);
            double denseNorm = GradientClipping.ClipGradNorm([dense], 0.5, normType);
            Assert.Equal(denseNorm, sparseNorm, 1e-14);
            Assert.Equal(dense.Grad.ToDoubleArray(), e.Weight.SparseGrad!.ToDense().ToDoubleArray(), new ToleranceComparer(1e-15));
        }
        GradientClipping.ClipGradValue([e.Weight], 0.05);
        GradientClipping.ClipGradValue([dense], 0.05);
        Assert.Equal(dense.Grad.ToDoubleArray(), e.Weight.SparseGrad!.ToDense().ToDoubleArray());
    }

    private sealed class ToleranceComparer(double atol) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= atol;
        public int GetHashCode(double obj) => 0;
    }

    [Fact]
    public void TheStateDictResumesSparseStepsExactly()
    {
        var idx = new[] { new long[] { 2, 5, 5 }, [0, 7], [5, 1, 2, 3] };
        var e = new Embedding(8, 4, DType.Float32, new Generator(1), sparse: true);
        var optimizer = new SparseAdam(e.Parameters(), lr: 0.1);
        void StepOn(Embedding table, SparseAdam o, long[] rows)
        {
            o.ZeroGrad();
            table.Forward(Tensor.FromArray(rows)).Square().Sum().Backward();
            o.Step();
        }
        StepOn(e, optimizer, idx[0]);
        StepOn(e, optimizer, idx[1]);

        var copy = new Embedding(8, 4, DType.Float32, new Generator(99), sparse: true);
        using (Descent.Autograd.NoGrad()) copy.Weight.CopyFrom_(e.Weight);
        var resumed = new SparseAdam(copy.Parameters());
        resumed.LoadStateDict(optimizer.StateDict());
        Assert.Equal(0.1, resumed.ParamGroups[0].Lr);
        StepOn(e, optimizer, idx[2]);
        StepOn(copy, resumed, idx[2]);
        Assert.Equal(e.Weight.ToArray<float>(), copy.Weight.ToArray<float>());
        Assert.Equal(3, resumed.StateOf(copy.Weight)!.Step);
        Assert.Equal(optimizer.StateOf(e.Weight)!.Tensors["exp_avg_sq"].ToArray<float>(), resumed.StateOf(copy.Weight)!.Tensors["exp_avg_sq"].ToArray<float>());
    }

    [Fact]
    public void SparseStepsDoNotDependOnTheThreadCount()
    {
        // 3000 touched rows of 64: more than one fixed chunk, so the workers share the rows.
        float[] Run(int threads)
        {
            int saved = Descent.Kernels.Parallelism.MaxThreads;
            Descent.Kernels.Parallelism.MaxThreads = threads;
            try
            {
                var p = Tensor.Randn([4000, 64], DType.Float32, new Generator(1));
                var optimizer = new SparseAdam([p]);
                var rows = Enumerable.Range(0, 3000).Select(i => (long)(i * 4000L / 3000)).Distinct().ToArray();
                for (int t = 0; t < 3; t++)
                {
                    p.SparseGrad = new RowSparseGrad(Tensor.FromArray(rows), Tensor.Randn([rows.Length, 64], DType.Float32, new Generator(t)), [4000, 64]);
                    optimizer.Step();
                }
                return p.ToArray<float>();
            }
            finally
            {
                Descent.Kernels.Parallelism.MaxThreads = saved;
            }
        }
        Assert.Equal(Run(1), Run(2));
    }

    [Fact]
    public void ATrainingLoopOverASparseEmbeddingLearns()
    {
        var e = new Embedding(100, 4, DType.Float32, new Generator(1), sparse: true);
        var optimizer = new SparseAdam(e.Parameters(), lr: 0.05);
        var idx = Tensor.FromArray(new long[] { 3, 14, 15, 92, 65 });
        float first = 0, last = 0;
        var untouched = e.Weight.Select(0, 50).ToArray<float>();
        for (int t = 0; t < 100; t++)
        {
            optimizer.ZeroGrad();
            var loss = (e.Forward(idx) - 2.0f).Square().Mean();
            loss.Backward();
            optimizer.Step();
            if (t == 0) first = loss.Item<float>();
            last = loss.Item<float>();
        }
        Assert.True(last < first / 10, $"loss {first} → {last}");
        Assert.Equal(untouched, e.Weight.Select(0, 50).ToArray<float>());
    }
}
