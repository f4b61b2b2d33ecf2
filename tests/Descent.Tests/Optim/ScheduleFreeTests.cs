using System.Numerics;
using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>
/// Schedule-free AdamW and SGD against the authors' rule restated in plain loops (the three sequences x, y, z of
/// facebookresearch/schedule_free's <c>*_schedulefree_reference.py</c>, the paper's algorithm), the train/eval switch,
/// and the state dict and checkpoints in both modes.
/// </summary>
public class ScheduleFreeTests
{
    private const int Steps = 24;

    /// <summary>One parameter group of a comparison: its hyperparameters and its parameters' shapes.</summary>
    private sealed record GroupSpec(double Lr, int Warmup, double R, double WeightLrPower, double Beta1, int[][] Shapes);

    // Two groups with different warm-ups, powers and β₁; the first parameter of the second group (tensor 2) has no
    // gradient at steps 7 and 8, so its group's counters, which it keeps, advance without it.
    private static readonly GroupSpec[] AdamWGroups =
    [
        new(Lr: 0.05, Warmup: 5, R: 0.5, WeightLrPower: 2, Beta1: 0.9, Shapes: [[7], [3, 5]]),
        new(Lr: 0.02, Warmup: 0, R: 1, WeightLrPower: 1, Beta1: 0.6, Shapes: [[9], [4]]),
    ];

    private static readonly GroupSpec[] SgdGroups =
    [
        new(Lr: 0.2, Warmup: 5, R: 0.5, WeightLrPower: 2, Beta1: 0.9, Shapes: [[7], [3, 5]]),
        new(Lr: 0.1, Warmup: 0, R: 1, WeightLrPower: 1, Beta1: 0.5, Shapes: [[9], [4]]),
    ];

    private const double Beta2 = 0.99, Eps = 1e-8, WeightDecay = 0.01;

    private static bool Skipped(int tensor, int t) => tensor == 2 && t is 7 or 8;

    /// <summary>
    /// The gradient at y of element i of tensor j at step t: a quadratic's, a·(y − b), plus a deterministic noise, so
    /// that the run is a real trajectory with x, y and z apart.
    /// </summary>
    private static double Gradient(double y, int tensor, int i, int t)
    {
        double a = 0.5 + (i * 7 + tensor * 3) % 5 * 0.5, b = Math.Sin(i + 10 * tensor);
        return a * (y - b) + 0.3 * Math.Sin(1.7 * t + 0.9 * i + 2.3 * tensor);
    }

    private static double InitialValue(int tensor, int i) => Math.Cos(0.7 * i + tensor);

    /// <summary>
    /// The reference's rule, restated element by element: per group (in double, as the reference's Python floats) the
    /// warm-up, γmax, the weight (k + 1)^r·γmax^p and c = w/Σw; per element (in T) AdamW's normalised gradient (or SGD's
    /// gradient), the weight decay at y, z ← z − γg, x ← (1 − c)x + cz, y ← β₁x + (1 − β₁)z.
    /// </summary>
    private sealed class Restatement<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly GroupSpec[] _groups;
        private readonly bool _adam;
        private readonly long[] _k;
        private readonly double[] _lrMax, _weightSum;
        public readonly List<T[]> X = [], Y = [], Z = [], V = [];

        public Restatement(GroupSpec[] groups, bool adam)
        {
            _groups = groups;
            _adam = adam;
            _k = new long[groups.Length];
            _lrMax = [.. groups.Select(_ => -1.0)];
            _weightSum = new double[groups.Length];
            int tensor = 0;
            foreach (var g in groups)
                foreach (var shape in g.Shapes)
                {
                    int n = shape.Aggregate(1, (a, b) => a * b), j = tensor++;
                    T[] Start() => [.. Enumerable.Range(0, n).Select(i => T.CreateTruncating(InitialValue(j, i)))];
                    X.Add(Start());
                    Y.Add(Start());
                    Z.Add(Start());
                    V.Add(new T[n]);
                }
        }

        /// <summary>The x that <c>Eval()</c> should give, as doubles.</summary>
        public double[] XOf(int tensor) => [.. X[tensor].Select(double.CreateTruncating)];

        public double[] YOf(int tensor) => [.. Y[tensor].Select(double.CreateTruncating)];

        public void Step(int t)
        {
            int tensor = 0;
            for (int gi = 0; gi < _groups.Length; gi++)
            {
                var group = _groups[gi];
                long k = _k[gi];
                double sched = k < group.Warmup ? (k + 1) / (double)group.Warmup : 1.0;
                double lr = group.Lr * sched;
                _lrMax[gi] = Math.Max(lr, _lrMax[gi]);
                double weight = Math.Pow(k + 1, group.R) * Math.Pow(_lrMax[gi], group.WeightLrPower);
                _weightSum[gi] += weight;
                double c = _weightSum[gi] == 0 ? 0 : weight / _weightSum[gi];
                double biasCorrection2 = 1 - Math.Pow(Beta2, k + 1);
                for (int p = 0; p < group.Shapes.Length; p++, tensor++)
                {
                    if (Skipped(tensor, t)) continue;
                    T[] x = X[tensor], y = Y[tensor], z = Z[tensor], v = V[tensor];
                    for (int i = 0; i < y.Length; i++)
                    {
                        T g = T.CreateTruncating(Gradient(double.CreateTruncating(y[i]), tensor, i, t));
                        if (_adam)
                        {
                            v[i] = v[i] * T.CreateTruncating(Beta2) + T.CreateTruncating(1 - Beta2) * g * g;
                            g /= T.Sqrt(v[i] / T.CreateTruncating(biasCorrection2)) + T.CreateTruncating(Eps);
                        }
                        g += T.CreateTruncating(WeightDecay) * y[i];
                        z[i] -= T.CreateTruncating(lr) * g;
                        x[i] = T.CreateTruncating(1 - c) * x[i] + T.CreateTruncating(c) * z[i];
                        y[i] = T.CreateTruncating(group.Beta1) * x[i] + T.CreateTruncating(1 - group.Beta1) * z[i];
                    }
                }
                _k[gi]++;
            }
        }
    }

    private static Tensor[] Parameters(GroupSpec[] groups, DType dtype)
    {
        var shapes = groups.SelectMany(g => g.Shapes).ToArray();
        return [.. shapes.Select((shape, j) =>
        {
            var p = Tensor.Zeros(shape, dtype);
            Fill(p, i => InitialValue(j, i));
            p.RequiresGrad = true;
            return p;
        })];
    }

    private static void Fill(Tensor t, Func<int, double> value)
    {
        if (t.DType == DType.Float32) { var s = t.AsSpan<float>(); for (int i = 0; i < s.Length; i++) s[i] = (float)value(i); }
        else { var s = t.AsSpan<double>(); for (int i = 0; i < s.Length; i++) s[i] = value(i); }
    }

    /// <summary>Gives every parameter the gradient at its current value (none for the skipped ones).</summary>
    private static void SetGradients(Tensor[] ps, int t)
    {
        for (int j = 0; j < ps.Length; j++)
        {
            if (Skipped(j, t)) { ps[j].Grad = null; continue; }
            var y = ps[j].ToDoubleArray();
            var g = Tensor.Zeros(ps[j].ShapeArray, ps[j].DType);
            Fill(g, i => Gradient(y[i], j, i, t));
            ps[j].Grad = g;
        }
    }

    private static IEnumerable<ParamGroupSpec<TOptions>> Specs<TOptions>(GroupSpec[] groups, Tensor[] ps, Func<TOptions, GroupSpec, TOptions> configure)
        where TOptions : OptimizerOptions
    {
        int first = 0;
        foreach (var g in groups)
        {
            var members = ps.Skip(first).Take(g.Shapes.Length).ToArray();
            first += g.Shapes.Length;
            yield return new ParamGroupSpec<TOptions>(members, o => configure(o, g));
        }
    }

    private static ScheduleFreeAdamW AdamW(Tensor[] ps) =>
        new(Specs<ScheduleFreeAdamWOptions>(AdamWGroups, ps, (o, g) => o with { Lr = g.Lr, WarmupSteps = g.Warmup, R = g.R, WeightLrPower = g.WeightLrPower, Betas = (g.Beta1, Beta2) }),
            new ScheduleFreeAdamWOptions { Eps = Eps, WeightDecay = WeightDecay });

    private static ScheduleFreeSGD Sgd(Tensor[] ps) =>
        new(Specs<ScheduleFreeSGDOptions>(SgdGroups, ps, (o, g) => o with { Lr = g.Lr, WarmupSteps = g.Warmup, R = g.R, WeightLrPower = g.WeightLrPower, Momentum = g.Beta1 }),
            new ScheduleFreeSGDOptions { WeightDecay = WeightDecay });

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (difference {Math.Abs(expected[i] - actual[i]):G3})");
    }

    /// <summary>
    /// 24 steps of two groups (warm-up, weight decay, r ≠ 0, p = 1 and 2, β₁ = 0.9 and an eval weight past −½) follow
    /// the restated three sequences: the parameters are y after every step, and every fourth step <c>Eval()</c> gives x
    /// and <c>Train()</c> gives y back.
    /// </summary>
    [Theory]
    [InlineData("sfadamw", false)]
    [InlineData("sfadamw", true)]
    [InlineData("sfsgd", false)]
    [InlineData("sfsgd", true)]
    public void FollowsTheReferenceRule(string name, bool float64)
    {
        if (float64) Compare<double>(name, DType.Float64, 1e-13);
        else Compare<float>(name, DType.Float32, 1e-5);
    }

    private static void Compare<T>(string name, DType dtype, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool adam = name == "sfadamw";
        var groups = adam ? AdamWGroups : SgdGroups;
        var ps = Parameters(groups, dtype);
        var optimizer = Make(name, ps);
        var modes = (ITrainEvalOptimizer)optimizer;
        var reference = new Restatement<T>(groups, adam);
        for (int t = 0; t < Steps; t++)
        {
            SetGradients(ps, t);
            optimizer.Step();
            reference.Step(t);
            for (int j = 0; j < ps.Length; j++) AssertClose(reference.YOf(j), ps[j].ToDoubleArray(), tolerance, $"{name} step {t + 1} y of tensor {j}");
            if (t % 4 != 3) continue;
            modes.Eval();
            for (int j = 0; j < ps.Length; j++) AssertClose(reference.XOf(j), ps[j].ToDoubleArray(), tolerance, $"{name} step {t + 1} x of tensor {j}");
            modes.Train();
            for (int j = 0; j < ps.Length; j++) AssertClose(reference.YOf(j), ps[j].ToDoubleArray(), tolerance, $"{name} step {t + 1} y after Train() of tensor {j}");
        }
    }

    public static TheoryData<string, DType> Both()
    {
        var data = new TheoryData<string, DType>();
        foreach (var name in new[] { "sfadamw", "sfsgd" })
            foreach (var dtype in new[] { DType.Float32, DType.Float64 }) data.Add(name, dtype);
        return data;
    }

    private static FirstOrderOptimizer Make(string name, Tensor[] ps) => name == "sfadamw" ? AdamW(ps) : Sgd(ps);

    private static void Run(FirstOrderOptimizer o, Tensor[] ps, int from, int to)
    {
        for (int t = from; t < to; t++)
        {
            SetGradients(ps, t);
            o.Step();
        }
    }

    private static double[][] Values(Tensor[] ps) => [.. ps.Select(p => p.ToDoubleArray())];

    /// <summary>
    /// With a constant rate and p = 0, r = 0, every weight is 1 and c = 1/(k + 1): x is the plain mean of the z's after
    /// each step (read from the optimizer's own state), the paper's x ← (1 − 1/(t + 1))x + z/(t + 1).
    /// </summary>
    [Theory]
    [MemberData(nameof(Both))]
    public void WithEqualWeightsXIsTheMeanOfTheZs(string name, DType dtype)
    {
        var ps = OptimizerTable.Parameters(dtype, [6]);
        FirstOrderOptimizer o = name == "sfadamw" ? new ScheduleFreeAdamW(ps, lr: 0.05, weightLrPower: 0) : new ScheduleFreeSGD(ps, lr: 0.1, weightLrPower: 0);
        var sum = new double[6];
        for (int t = 0; t < 12; t++)
        {
            ps[0].Grad = OptimizerTable.Gradient(ps[0], t, 0);
            o.Step();
            var z = o.StateOf(ps[0])!.Tensors["z"].ToDoubleArray();
            for (int i = 0; i < sum.Length; i++) sum[i] += z[i];
        }
        ((ITrainEvalOptimizer)o).Eval();
        AssertClose([.. sum.Select(v => v / 12)], ps[0].ToDoubleArray(), dtype == DType.Float64 ? 1e-14 : 1e-6, $"{name} x");
    }

    /// <summary>A new optimizer trains; Eval() and Train() each do nothing the second time; Train() after Eval() gives y back to rounding.</summary>
    [Theory]
    [MemberData(nameof(Both))]
    public void TrainAndEvalAreIdempotentAndInverse(string name, DType dtype)
    {
        var groups = name == "sfadamw" ? AdamWGroups : SgdGroups;
        var ps = Parameters(groups, dtype);
        var o = Make(name, ps);
        var modes = (ITrainEvalOptimizer)o;
        Assert.True(modes.IsTraining);
        modes.Train();
        Assert.True(modes.IsTraining);
        Run(o, ps, 0, 10);
        var y = Values(ps);
        modes.Eval();
        Assert.False(modes.IsTraining);
        var x = Values(ps);
        Assert.NotEqual(y[0], x[0]);
        modes.Eval();
        Assert.Equal(x, Values(ps));
        modes.Train();
        Assert.True(modes.IsTraining);
        var back = Values(ps);
        double ulps = dtype == DType.Float64 ? 1e-15 : 5e-7;
        for (int j = 0; j < ps.Length; j++)
        {
            var z = o.StateOf(ps[j])!.Tensors["z"].ToDoubleArray();
            for (int i = 0; i < y[j].Length; i++)
                Assert.True(Math.Abs(back[j][i] - y[j][i]) <= 4 * ulps * (Math.Abs(y[j][i]) + Math.Abs(z[i])), $"{name} tensor {j}[{i}]: y {y[j][i]:R}, after Eval and Train {back[j][i]:R}");
        }
        modes.Train();
        Assert.Equal(back, Values(ps));
    }

    /// <summary>Before any step there is no z: x = y = z, and Eval() leaves the parameters as they are.</summary>
    [Fact]
    public void EvalBeforeTheFirstStepChangesNothing()
    {
        var ps = OptimizerTable.Parameters(DType.Float64, [5]);
        var before = ps[0].ToDoubleArray();
        var o = new ScheduleFreeSGD(ps);
        o.Eval();
        Assert.False(o.IsTraining);
        Assert.Equal(before, ps[0].ToDoubleArray());
        o.Train();
        Assert.Equal(before, ps[0].ToDoubleArray());
    }

    /// <summary>A step in evaluation mode throws, saying to call Train(), before changing anything or evaluating the closure.</summary>
    [Theory]
    [MemberData(nameof(Both))]
    public void StepInEvalModeThrows(string name, DType dtype)
    {
        var groups = name == "sfadamw" ? AdamWGroups : SgdGroups;
        var ps = Parameters(groups, dtype);
        var o = Make(name, ps);
        Run(o, ps, 0, 3);
        ((ITrainEvalOptimizer)o).Eval();
        var x = Values(ps);
        var k = o.StateOf(ps[0])!.Numbers["k"];
        SetGradients(ps, 3);
        var e = Assert.Throws<InvalidOperationException>(o.Step);
        Assert.Contains("call Train() before Step()", e.Message, StringComparison.Ordinal);
        bool evaluated = false;
        Assert.Throws<InvalidOperationException>(() => o.Step(() => { evaluated = true; return Tensor.FromArray(new[] { 0.0 }); }));
        Assert.False(evaluated);
        Assert.Equal(x, Values(ps));
        Assert.Equal(k, o.StateOf(ps[0])!.Numbers["k"]);
        ((ITrainEvalOptimizer)o).Train();
        o.Step();
        Assert.Equal(k + 1, o.StateOf(ps[0])!.Numbers["k"]);
    }

    /// <summary>
    /// The group's scalars live in its first parameter's numbers, by the reference's names, and count the group's steps
    /// even when that parameter has no gradient; the other parameters keep z (and AdamW's exp_avg_sq) only.
    /// </summary>
    [Fact]
    public void GroupScalarsLiveInTheFirstParameter()
    {
        var ps = OptimizerTable.Parameters(DType.Float64, [3], [2]);
        var o = new ScheduleFreeAdamW(ps, lr: 0.1, warmupSteps: 4, r: 1);
        for (int t = 0; t < 3; t++)
        {
            ps[0].Grad = t == 1 ? null : OptimizerTable.Gradient(ps[0], t, 0);
            ps[1].Grad = OptimizerTable.Gradient(ps[1], t, 1);
            o.Step();
        }
        var first = o.StateOf(ps[0])!;
        Assert.Equal(3, first.Numbers["k"]);
        Assert.Equal(0.075, first.Numbers["lr_max"], 15);
        // w = (k + 1)^r · γmax²: 1·0.025², 2·0.05², 3·0.075².
        Assert.Equal(0.025 * 0.025 + 2 * 0.05 * 0.05 + 3 * 0.075 * 0.075, first.Numbers["weight_sum"], 15);
        Assert.Equal(2, first.Step);
        Assert.Equal(["exp_avg_sq", "z"], first.Tensors.Keys.Order());
        var second = o.StateOf(ps[1])!;
        Assert.Empty(second.Numbers);
        Assert.Equal(3, second.Step);
        o.Eval();
        Assert.Equal(0, o.StateOf(ps[0])!.Numbers["train_mode"]);
        o.Train();
        Assert.Equal(1, o.StateOf(ps[0])!.Numbers["train_mode"]);
    }

    /// <summary>
    /// A state dict saved in evaluation mode, with the model's weights (x) saved beside it, restores an optimizer in
    /// evaluation mode, whose Train() gives the same y: the run continues bit for bit. Saved while training, likewise.
    /// </summary>
    [Theory]
    [InlineData("sfadamw", false)]
    [InlineData("sfadamw", true)]
    [InlineData("sfsgd", false)]
    [InlineData("sfsgd", true)]
    public void StateDictRoundTripContinuesIdentically(string name, bool savedInEvalMode)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var groups = name == "sfadamw" ? AdamWGroups : SgdGroups;
            var ps = Parameters(groups, dtype);
            var whole = Make(name, ps);
            Run(whole, ps, 0, 10);
            if (savedInEvalMode) ((ITrainEvalOptimizer)whole).Eval();
            var saved = whole.StateDict();
            var weights = Values(ps);

            var qs = Parameters(groups, dtype);
            for (int j = 0; j < qs.Length; j++) Fill(qs[j], i => weights[j][i]);
            var resumed = Make(name, qs);
            resumed.LoadStateDict(saved);
            Assert.Equal(!savedInEvalMode, ((ITrainEvalOptimizer)resumed).IsTraining);

            ((ITrainEvalOptimizer)whole).Train();
            ((ITrainEvalOptimizer)resumed).Train();
            Run(whole, ps, 10, 20);
            Run(resumed, qs, 10, 20);
            Assert.Equal(Values(ps), Values(qs));
            ((ITrainEvalOptimizer)whole).Eval();
            ((ITrainEvalOptimizer)resumed).Eval();
            Assert.Equal(Values(ps), Values(qs));
        }
    }

    /// <summary>A checkpoint file written in evaluation mode resumes as the run that was not stopped.</summary>
    [Theory]
    [InlineData("sfadamw")]
    [InlineData("sfsgd")]
    public void CheckpointSavedInEvalModeResumes(string name)
    {
        var groups = name == "sfadamw" ? AdamWGroups : SgdGroups;
        var ps = Parameters(groups, DType.Float32);
        var qs = Parameters(groups, DType.Float32);
        var whole = Make(name, ps);
        var first = Make(name, qs);
        Run(whole, ps, 0, 12);
        Run(first, qs, 0, 6);
        ((ITrainEvalOptimizer)first).Eval();
        var path = Path.Combine(Path.GetTempPath(), $"descent-schedulefree-{Guid.NewGuid():N}.bin");
        try
        {
            Descent.Training.Checkpoint.SaveOptimizer(path, first);
            var resumed = Make(name, qs); // the parameters carry over, as a model's checkpoint would restore x
            Descent.Training.Checkpoint.LoadOptimizer(path, resumed);
            Assert.False(((ITrainEvalOptimizer)resumed).IsTraining);
            ((ITrainEvalOptimizer)resumed).Train();
            Run(resumed, qs, 6, 12);
        }
        finally
        {
            File.Delete(path);
        }
        // Only the Eval/Train round trip separates the two runs: y came back to rounding.
        var a = Values(ps);
        var b = Values(qs);
        for (int j = 0; j < a.Length; j++) AssertClose(a[j], b[j], 1e-5, $"{name} tensor {j}");
    }

    /// <summary>
    /// The average is what schedule-free promises: on a quadratic with noisy gradients at a constant rate, x ends much
    /// nearer the minimum than z, the base optimizer's own constant-rate iterate, which keeps the gradients' noise.
    /// </summary>
    [Theory]
    [InlineData("sfadamw", 0.01)]
    [InlineData("sfsgd", 0.05)]
    public void TheAverageFiltersTheNoise(string name, double lr)
    {
        var p = Tensor.Zeros([50], DType.Float64, requiresGrad: true);
        FirstOrderOptimizer o = name == "sfadamw" ? new ScheduleFreeAdamW([p], lr: lr, warmupSteps: 20) : new ScheduleFreeSGD([p], lr: lr, warmupSteps: 20);
        var random = new Random(7);
        for (int t = 0; t < 4000; t++)
        {
            var y = p.ToDoubleArray();
            p.Grad = Tensor.FromArray(y.Select(v => v - 1 + 2 * (random.NextDouble() - 0.5)).ToArray());
            o.Step();
        }
        static double Distance(double[] point) => Math.Sqrt(point.Sum(v => (v - 1) * (v - 1)));
        double atZ = Distance(o.StateOf(p)!.Tensors["z"].ToDoubleArray());
        ((ITrainEvalOptimizer)o).Eval();
        double atX = Distance(p.ToDoubleArray());
        Assert.True(atX < atZ / 3, $"{name}: x is {atX:G3} from the minimum, z {atZ:G3}");
    }

    /// <summary>With γ = 0 every weight is 0 and the reference's c is 0 (not 0/0): nothing moves.</summary>
    [Theory]
    [InlineData("sfadamw")]
    [InlineData("sfsgd")]
    public void ZeroLearningRateMovesNothing(string name)
    {
        var ps = OptimizerTable.Parameters(DType.Float64, [4]);
        var before = ps[0].ToDoubleArray();
        FirstOrderOptimizer o = name == "sfadamw" ? new ScheduleFreeAdamW(ps, lr: 0) : new ScheduleFreeSGD(ps, lr: 0);
        for (int t = 0; t < 3; t++)
        {
            ps[0].Grad = OptimizerTable.Gradient(ps[0], t, 0);
            o.Step();
        }
        Assert.Equal(before, ps[0].ToDoubleArray());
        ((ITrainEvalOptimizer)o).Eval();
        Assert.Equal(before, ps[0].ToDoubleArray());
    }

    /// <summary>The constructors' defaults are the reference's.</summary>
    [Fact]
    public void DefaultsAreTheReferences()
    {
        var adamw = new ScheduleFreeAdamW(OptimizerTable.Parameters(DType.Float32, [2])).Defaults;
        Assert.Equal(new ScheduleFreeAdamWOptions(), adamw);
        Assert.Equal((0.0025, (0.9, 0.999), 1e-8, 0.0, 0, 0.0, 2.0), (adamw.Lr, adamw.Betas, adamw.Eps, adamw.WeightDecay, adamw.WarmupSteps, adamw.R, adamw.WeightLrPower));
        var sgd = new ScheduleFreeSGD(OptimizerTable.Parameters(DType.Float32, [2])).Defaults;
        Assert.Equal(new ScheduleFreeSGDOptions(), sgd);
        Assert.Equal((1.0, 0.9, 0.0, 0, 0.0, 2.0), (sgd.Lr, sgd.Momentum, sgd.WeightDecay, sgd.WarmupSteps, sgd.R, sgd.WeightLrPower));
    }

    /// <summary>The constructors refuse a β₁ of 0 (evaluation divides by it) and a negative warm-up, naming the argument.</summary>
    [Fact]
    public void BadArgumentsAreNamed()
    {
        var ps = OptimizerTable.Parameters(DType.Float32, [2]);
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new ScheduleFreeSGD(ps, momentum: 0)).ParamName);
        Assert.Equal("betas", Assert.Throws<ArgumentOutOfRangeException>(() => new ScheduleFreeAdamW(ps, betas: (0, 0.999))).ParamName);
        Assert.Equal("warmupSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new ScheduleFreeAdamW(ps, warmupSteps: -1)).ParamName);
    }
}
