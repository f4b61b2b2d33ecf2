using Descent.Functions;
using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>What Adafactor and Muon promise beyond PyTorch's numbers: Adafactor's small state, Muon's matrices and orthogonalisation, and the Muon + AdamW pairing.</summary>
public class AdafactorMuonTests
{
    private static Tensor Matrix(int rows, int cols, DType dtype = DType.Float64) =>
        OptimizerTable.Parameters(dtype, [rows, cols])[0];

    [Fact]
    public void AdafactorKeepsRowsPlusColumnsOfStateForAMatrix()
    {
        var w = Matrix(40, 30);
        var b = OptimizerTable.Parameters(DType.Float64, [30])[0];
        var batch = OptimizerTable.Parameters(DType.Float64, [3, 4, 5])[0];
        var adafactor = new Adafactor([w, b, batch]);
        foreach (var (p, i) in new[] { w, b, batch }.Select((p, i) => (p, i))) p.Grad = OptimizerTable.Gradient(p, 0, i);
        adafactor.Step();
        var state = adafactor.StateOf(w)!;
        Assert.Equal(["col_var", "row_var"], state.Tensors.Keys.Order());
        Assert.Equal([40, 1], state.Tensors["row_var"].Shape);
        Assert.Equal([1, 30], state.Tensors["col_var"].Shape);
        Assert.Equal(40 + 30, state.Tensors.Values.Sum(t => t.NumEl));
        Assert.Equal(["variance"], adafactor.StateOf(b)!.Tensors.Keys); // a vector keeps its full second moment
        Assert.Equal([3, 4, 1], adafactor.StateOf(batch)!.Tensors["row_var"].Shape); // factored over the last two dimensions
        Assert.Equal([3, 1, 5], adafactor.StateOf(batch)!.Tensors["col_var"].Shape);
    }

    [Fact]
    public void AdafactorOfARankOneSecondMomentIsAdamsScaling()
    {
        // g = u vᵀ makes the factored estimate exact: at t = 1 (w = 1), V = g², so U = sign(g) and RMS(U) = 1.
        var p = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, [2, 3], requiresGrad: true);
        var before = p.ToDoubleArray();
        p.Grad = Tensor.FromArray(new[] { 1.0, -2, 4, 3, -6, 12 }, [2, 3]);
        new Adafactor([p], lr: 0.01).Step();
        double rms = Math.Sqrt(before.Sum(v => v * v) / 6), alpha = Math.Max(1e-3, rms) * 0.01;
        var signs = new[] { 1.0, -1, 1, 1, -1, 1 };
        Assert.Equal(before.Zip(signs, (v, s) => v - alpha * s), p.ToDoubleArray(), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void AdafactorStateDictRoundTripsItsFactorsAndANoneEpsilon()
    {
        Tensor[] Params() => OptimizerTable.Parameters(DType.Float32, [6, 4], [4]);
        void Steps(Adafactor o, Tensor[] ps, int from, int to)
        {
            for (int t = from; t < to; t++)
            {
                for (int i = 0; i < ps.Length; i++) ps[i].Grad = OptimizerTable.Gradient(ps[i], t, i);
                o.Step();
            }
        }
        var (a, b) = (Params(), Params());
        var whole = new Adafactor(a, weightDecay: 0.01);
        Steps(whole, a, 0, 6);
        var first = new Adafactor(b, weightDecay: 0.01);
        Steps(first, b, 0, 3);
        var saved = first.StateDict();
        Assert.Equal(new double?[] { null, 1e-3 }, saved.ParamGroups[0].Hyperparameters["eps"]);
        var resumed = new Adafactor(b, eps: (1e-20, 0.5));
        resumed.LoadStateDict(saved);
        Assert.Equal(new AdafactorOptions { WeightDecay = 0.01 }, resumed.ParamGroups[0].Options);
        Steps(resumed, b, 3, 6);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].ToDoubleArray(), b[i].ToDoubleArray());
    }

    [Fact]
    public void AdafactorRefusesFactorsOfTheWrongShape()
    {
        var p = Matrix(3, 4);
        var adafactor = new Adafactor([p]);
        p.Grad = OptimizerTable.Gradient(p, 0, 0);
        adafactor.Step();
        var dict = adafactor.StateDict();
        dict.State[0].Tensors["row_var"] = Tensor.Zeros([1, 4], DType.Float64);
        var e = Assert.Throws<ArgumentException>(() => new Adafactor([p]).LoadStateDict(dict));
        Assert.Contains("row_var of parameter 0 has shape [1, 4], the parameter [3, 4] (its row_var must be [3, 1])", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<int[]> NotMatrices => new() { new[] { 5 }, new[] { 2, 3, 4 } };

    [Theory]
    [MemberData(nameof(NotMatrices))]
    public void MuonRefusesAnythingButAMatrix(int[] shape)
    {
        var ok = Matrix(2, 2);
        var bad = Tensor.Zeros(shape, requiresGrad: true);
        var e = Assert.Throws<ArgumentException>(() => new Muon([ok, bad]));
        Assert.Equal("group", e.ParamName);
        Assert.Contains($"Muon updates matrices only, but parameter 1 has shape {Shapes.Format(shape)}", e.Message, StringComparison.Ordinal);
        Assert.Contains("AdamW", e.Message, StringComparison.Ordinal);
        var muon = new Muon([ok]);
        Assert.Throws<ArgumentException>(() => muon.AddParamGroup(new ParamGroupSpec<MuonOptions>([bad])));
    }

    [Theory]
    [InlineData(8, 20, 5)]
    [InlineData(20, 8, 5)] // tall: iterated on its transpose
    [InlineData(16, 16, 8)]
    public void NewtonSchulzPushesEverySingularValueTowardsOne(int rows, int cols, int steps)
    {
        var m = Matrix(rows, cols);
        int r = Math.Min(rows, cols), c = Math.Max(rows, cols);
        var ns = new NewtonSchulz();
        var x = ns.Matrix<double>(r, c);
        // Each line along the short side scaled by 0.6ᵏ: singular values spread over two orders of magnitude.
        var values = m.ToDoubleArray();
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) values[i * cols + j] *= Math.Pow(0.6, rows > cols ? j : i);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) x[rows > cols ? j * rows + i : i * cols + j] = values[i * cols + j];
        ns.Orthogonalize((3.4445, -4.775, 2.0315), steps, 1e-7);
        // The eigenvalues of XXᵀ are the squared singular values: this quintic leaves them in about [0.5, 1.5]² (not
        // exactly 1, by design: it trades accuracy for a steep slope at 0), so XXᵀ is near I but not equal to it.
        var gram = new double[r * r];
        Descent.Kernels.Gemm.Multiply<double>(false, true, r, r, c, x.ToArray(), c, x.ToArray(), c, gram, r);
        var eigen = SymmetricEigenvalues(gram, r);
        Assert.All(eigen, e => Assert.InRange(Math.Sqrt(e), 0.5, 1.3));
        // Before, the singular values were spread over an order of magnitude.
        var before = new double[r * r];
        var raw = x.ToArray();
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) raw[rows > cols ? j * rows + i : i * cols + j] = values[i * cols + j];
        Descent.Kernels.Gemm.Multiply<double>(false, true, r, r, c, raw, c, raw, c, before, r);
        var spread = SymmetricEigenvalues(before, r);
        Assert.True(spread.Max() / spread.Min() > 100, "the test matrix should be far from orthogonal");
    }

    /// <summary>The eigenvalues of a symmetric matrix by Jacobi rotations (small matrices only).</summary>
    private static double[] SymmetricEigenvalues(double[] a, int n)
    {
        a = (double[])a.Clone();
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
            if (off < 1e-22) break;
            for (int p = 0; p < n; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    double apq = a[p * n + q];
                    if (Math.Abs(apq) < 1e-300) continue;
                    double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                    double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    double cos = 1 / Math.Sqrt(t * t + 1), sin = t * cos;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k * n + p], akq = a[k * n + q];
                        a[k * n + p] = cos * akp - sin * akq;
                        a[k * n + q] = sin * akp + cos * akq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[p * n + k], aqk = a[q * n + k];
                        a[p * n + k] = cos * apk - sin * aqk;
                        a[q * n + k] = sin * apk + cos * aqk;
                    }
                }
            }
        }
        return [.. Enumerable.Range(0, n).Select(i => a[i * n + i])];
    }

    [Fact]
    public void MuonOnARowMatrixIsNormalisedMomentumDescent()
    {
        // 1×n: XXᵀ is the number ‖X‖², so the step is −γ·s·B/‖B‖ with s fixed by the coefficients alone.
        var x = Tensor.FromArray(new[] { 3.0, -4.0 }, [1, 2], requiresGrad: true);
        var muon = new Muon([x], lr: 0.1, weightDecay: 0, nesterov: false);
        x.Grad = Tensor.FromArray(new[] { 30.0, 40.0 }, [1, 2]);
        muon.Step();
        double s = 1;
        for (int k = 0; k < 5; k++) s = 3.4445 * s - 4.775 * s * s * s + 2.0315 * Math.Pow(s, 5);
        Assert.Equal(new[] { 3 - 0.1 * s * 0.6, -4 - 0.1 * s * 0.8 }, x.ToDoubleArray(), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void MuonWithAdamWGivesMatricesToMuonAndTheRestToAdamW()
    {
        var hidden = Matrix(4, 3);
        var bias = OptimizerTable.Parameters(DType.Float64, [4])[0];
        var conv = OptimizerTable.Parameters(DType.Float64, [2, 1, 3, 3])[0];
        var output = Matrix(2, 4);
        var pair = new MuonWithAdamW([hidden, bias, conv, output], new MuonOptions(lr: 0.02));
        Assert.Equal(2, pair.ParamGroups.Count);
        Assert.Equal([hidden, output], pair.ParamGroups[0].Parameters);
        Assert.Equal(new MuonOptions(0.02), pair.ParamGroups[0].Options);
        Assert.Equal([bias, conv], pair.ParamGroups[1].Parameters);
        Assert.Equal(new AdamWOptions(0.02), pair.ParamGroups[1].Options); // AdamW's defaults at Muon's rate
        var (forMuon, forAdamW) = MuonWithAdamW.Split([hidden, bias, conv, output]);
        Assert.Equal([hidden, output], forMuon);
        Assert.Equal([bias, conv], forAdamW);

        // Each part steps as its own optimizer would.
        var copies = new[] { hidden, bias, conv, output }.Select(p => { var c = p.Detach().Clone(); c.RequiresGrad = true; return c; }).ToArray();
        var muon = new Muon([copies[0], copies[3]], lr: 0.02);
        var adamW = new AdamW([copies[1], copies[2]], lr: 0.02);
        for (int t = 0; t < 3; t++)
        {
            foreach (var (p, i) in new[] { hidden, bias, conv, output }.Select((p, i) => (p, i))) p.Grad = OptimizerTable.Gradient(p, t, i);
            foreach (var (p, i) in copies.Select((p, i) => (p, i))) p.Grad = OptimizerTable.Gradient(p, t, i);
            pair.Step();
            muon.Step();
            adamW.Step();
        }
        Assert.Equal(copies[0].ToDoubleArray(), hidden.ToDoubleArray());
        Assert.Equal(copies[1].ToDoubleArray(), bias.ToDoubleArray());
        Assert.Equal(copies[2].ToDoubleArray(), conv.ToDoubleArray());
        Assert.Equal(copies[3].ToDoubleArray(), output.ToDoubleArray());
    }

    [Fact]
    public void MuonWithAdamWTakesAnExplicitSplitAndRefusesAVectorForMuon()
    {
        var embedding = Matrix(10, 4);
        var hidden = Matrix(4, 4);
        var pair = new MuonWithAdamW([hidden], [embedding], adamW: new AdamWOptions(3e-4));
        Assert.Equal([hidden], pair.ParamGroups[0].Parameters);
        Assert.Equal(new AdamWOptions(3e-4), pair.ParamGroups[1].Options);
        var e = Assert.Throws<ArgumentException>(() => new MuonWithAdamW([Tensor.Zeros([3], requiresGrad: true)], [embedding]));
        Assert.Contains("matrices only", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRegistrysMuonIsThePairAndKeepsGroupOverrides()
    {
        var info = OptimizerRegistry.Find("muon")!;
        Assert.True(info.MatricesOnly);
        var w = Matrix(3, 2);
        var b = OptimizerTable.Parameters(DType.Float64, [3])[0];
        var optimizer = info.Create([([w, b], new Dictionary<string, object> { ["lr"] = 0.05 })], info.Defaults);
        Assert.IsType<MuonWithAdamW>(optimizer);
        Assert.Equal(0.05, optimizer.ParamGroups[0].Lr);
        Assert.Equal(0.05, optimizer.ParamGroups[1].Lr);
        Assert.IsType<AdamWOptions>(optimizer.ParamGroups[1].Options);
    }

    [Fact]
    public void StartForGivesAnOptimizerOfMatricesARowMatrix()
    {
        var f = Descent.Functions.TestFunctions.Rosenbrock();
        var (x, fx) = Minimizer.StartFor(f.Value, f.Start, OptimizerRegistry.Find("muon")!);
        Assert.Equal([1, 2], x.Shape);
        Assert.Equal(f.Value(f.Start), fx(x).Item());
        var (v, fv) = Minimizer.StartFor(f.Value, f.Start, OptimizerRegistry.Find("adam")!);
        Assert.Equal([2], v.Shape);
        Assert.Equal(f.Value(f.Start), fv(v).Item());
        var result = Minimizer.Minimize(fx, x, OptimizerRegistry.Find("muon")!.Create([x], new MuonOptions(0.01) { WeightDecay = 0 }), new StoppingCriteria { MaxIterations = 300 });
        Assert.Equal(2, result.Point.Length);
        Assert.True(result.Loss < f.Value(f.Start) / 10, $"loss {result.Loss}");
    }

    [Fact]
    public void MuonsChoiceAndTripleRoundTripThroughPyTorchsNames()
    {
        var options = new MuonOptions { AdjustLrFn = MuonLrAdjustment.MatchRmsAdamw, NsCoefficients = (3, -3, 1) };
        var d = options.ToDictionary();
        Assert.Equal("match_rms_adamw", d["adjust_lr_fn"]);
        Assert.Equal(new[] { 3.0, -3, 1 }, d["ns_coefficients"]);
        Assert.False(new MuonOptions().ToDictionary().ContainsKey("adjust_lr_fn")); // None, as PyTorch's None
        Assert.Equal(options, new MuonOptions().FromStateValues(d));
        Assert.Equal(MuonLrAdjustment.Original, ((MuonOptions)new MuonOptions().WithValues(new Dictionary<string, object> { ["adjust_lr_fn"] = "original" })).AdjustLrFn);
    }
}
