using System.Numerics;
using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>
/// Prodigy against a plain restatement of the authors' step (konstmish/prodigy, <c>prodigyopt/prodigy.py</c>, 1.1.2), and
/// what the method promises: d grows from d₀ and settles at the scale of the distance to the solution, a step with no
/// gradient yet changes nothing, the groups' learning rates may differ only by being 0, and lr 0 freezes a group.
/// </summary>
public class ProdigyTests
{
    /// <summary>
    /// The reference's <c>step()</c> with arrays and loops, line by line, its tensors' arithmetic in their dtype
    /// <typeparamref name="T"/> (each Python float coefficient rounded to it, as torch does) and its scalars in double:
    /// the first loop over the groups (coupled decay, state, the numerator's ⟨g, p0 − p⟩, the moments, s, Σ|s|), the
    /// early return, d, then the second loop (decoupled decay and the step). Betas, β₃, the bias correction, decouple,
    /// d_coef and growth_rate come from the first group, the d₀ compared with d from the last, as the reference reads
    /// them. The one change: ⟨g, p0 − p⟩ and Σ|s| are added up in double over blocks of 32768 elements, as Descent
    /// documents (torch sums in float32, in an order of its own).
    /// </summary>
    private sealed class Reference<T>(ProdigyOptions[] groups, int[][] members, double initialD) where T : unmanaged, IFloatingPointIeee754<T>
    {
        private const int Block = 32768;

        private sealed class State
        {
            public T[] S = [], P0 = [], V = [];
            public T[]? M;
            public long Step;
        }

        private readonly State?[] _state = new State?[members.Sum(m => m.Length)];
        public double D = initialD, DMax = initialD, DNumerator, DHat;
        public int K;

        private static T C(double x) => T.CreateTruncating(x);

        private static double F(T x) => double.CreateTruncating(x);

        public long StepOf(int tensor) => _state[tensor]?.Step ?? 0;

        public T[] Buffer(int tensor, string name) => name switch
        {
            "s" => _state[tensor]!.S, "p0" => _state[tensor]!.P0, "exp_avg" => _state[tensor]!.M!, _ => _state[tensor]!.V,
        };

        public void Step(T[][] p, T[]?[] grads)
        {
            var first = groups[0];
            var (beta1, beta2) = first.Betas;
            double beta3 = first.Beta3 ?? Math.Sqrt(beta2);
            double lr = groups.Max(g => g.Lr);
            double biasCorrection = first.UseBiasCorrection ? Math.Pow(1 - Math.Pow(beta2, K + 1), 0.5) / (1 - Math.Pow(beta1, K + 1)) : 1;
            double dlr = D * lr * biasCorrection;
            double growthRate = first.GrowthRate ?? double.PositiveInfinity;
            bool decouple = first.Decouple;
            double dNumerator = DNumerator * beta3, deltaNumerator = 0, dDenom = 0;
            var g = new T[p.Length][];

            for (int gi = 0; gi < groups.Length; gi++)
            {
                var group = groups[gi];
                if (group.Lr != lr && group.Lr != 0) throw new InvalidOperationException("different lr values");
                int sp = group.SliceP;
                foreach (int t in members[gi])
                {
                    if (grads[t] is null) continue;
                    g[t] = (T[])grads[t]!.Clone();
                    if (group.WeightDecay != 0 && !decouple)
                        for (int i = 0; i < g[t].Length; i++) g[t][i] += C(group.WeightDecay) * p[t][i];
                    if (_state[t] is null)
                    {
                        int length = (p[t].Length + sp - 1) / sp;
                        _state[t] = new State { S = new T[length], P0 = new T[length], V = new T[p[t].Length], M = beta1 > 0 ? new T[p[t].Length] : null };
                        for (int j = 0; j < length; j++) _state[t]!.P0[j] = p[t][j * sp];
                    }
                    var st = _state[t]!;
                    if (group.Lr > 0)
                    {
                        double dot = 0;
                        for (int start = 0; start < p[t].Length; start += Block)
                        {
                            double block = 0;
                            for (int i = start; i < Math.Min(p[t].Length, start + Block); i++)
                                if (i % sp == 0) block += F(g[t][i]) * F(st.P0[i / sp] - p[t][i]);
                            dot += block;
                        }
                        deltaNumerator += D / group.D0 * dlr * dot;
                        for (int i = 0; i < p[t].Length; i++)
                        {
                            if (beta1 > 0) st.M![i] = st.M[i] * C(beta1) + C(D * (1 - beta1)) * g[t][i];
                            st.V[i] = st.V[i] * C(beta2) + C(D * D * (1 - beta2)) * g[t][i] * g[t][i];
                        }
                        double alpha = group.SafeguardWarmup ? D / group.D0 * D : D / group.D0 * dlr;
                        for (int j = 0; j < st.S.Length; j++) st.S[j] = st.S[j] * C(beta3) + C(alpha) * g[t][j * sp];
                        double abs = 0;
                        for (int start = 0; start < p[t].Length; start += Block)
                        {
                            double block = 0;
                            for (int i = start; i < Math.Min(p[t].Length, start + Block); i++)
                                if (i % sp == 0) block += F(T.Abs(st.S[i / sp]));
                            abs += block;
                        }
                        dDenom += abs;
                    }
                }
            }
            if (dDenom == 0) return;

            double globalNumerator = dNumerator + deltaNumerator;
            DHat = first.DCoef * globalNumerator / dDenom;
            double d = D;
            if (d == groups[^1].D0) d = Math.Max(d, DHat);
            DMax = Math.Max(DMax, DHat);
            D = Math.Min(DMax, d * growthRate);
            DNumerator = globalNumerator;

            for (int gi = 0; gi < groups.Length; gi++)
            {
                var group = groups[gi];
                foreach (int t in members[gi])
                {
                    if (grads[t] is null) continue;
                    var st = _state[t]!;
                    st.Step++;
                    for (int i = 0; i < p[t].Length; i++)
                    {
                        T denom = T.Sqrt(st.V[i]) + C(D * group.Eps);
                        if (group.WeightDecay != 0 && decouple) p[t][i] += C(-group.WeightDecay * dlr) * p[t][i];
                        if (beta1 > 0) p[t][i] += C(-dlr) * st.M![i] / denom;
                        else p[t][i] += C(-dlr * D) * g[t][i] / denom;
                    }
                }
            }
            K++;
        }
    }

    private static readonly int[][] TensorShapes = [[3, 4], [5], [70_001], [7], [2, 3]]; // the third spans three chunks of the sums
    private static readonly int[][] Members = [[0, 1, 2], [3, 4]];

    private static double[] Start(int tensor, int n) => [.. Enumerable.Range(0, n).Select(i => Math.Sin(1.3 * i + tensor))];

    /// <summary>The gradient of a separable quadratic at θ, plus a little noise: the minimum of tensor t is ((7i + 3t) mod 9 − 4) / 2.</summary>
    private static double[] GradientAt(double[] theta, int step, int tensor)
    {
        var r = new Random(7919 * step + tensor);
        var g = new double[theta.Length];
        for (int i = 0; i < g.Length; i++)
            g[i] = (0.5 + i % 5 * 0.6) * (theta[i] - ((i * 7 + tensor * 3) % 9 - 4) * 0.5) + 0.2 * (r.NextDouble() * 2 - 1);
        return g;
    }

    /// <summary>Tensor 1 gets its first gradient at step 3 (so its p0 is its value then); tensor 4 has none every fifth step.</summary>
    private static bool HasGradient(int tensor, int step) => !(tensor == 1 && step < 3) && !(tensor == 4 && step % 5 == 2);

    public static TheoryData<string> Configurations() => [.. ConfigurationsByName.Keys];

    private static readonly Dictionary<string, (ProdigyOptions A, ProdigyOptions B)> ConfigurationsByName = new()
    {
        ["defaults"] = (new(), new()),
        ["decoupled decay, bias correction"] = (new() { WeightDecay = 0.1, UseBiasCorrection = true }, new() { WeightDecay = 0.02, UseBiasCorrection = true }),
        ["coupled decay, safeguard warm-up"] = (new() { WeightDecay = 0.05, Decouple = false, SafeguardWarmup = true }, new() { WeightDecay = 0.05, Decouple = false }),
        ["finite growth rate, beta3, d_coef"] = (new() { GrowthRate = 1.05, Beta3 = 0.9, DCoef = 0.8 }, new() { GrowthRate = 1.05, Beta3 = 0.9, DCoef = 0.8 }),
        ["beta1 = 0, coupled decay"] = (new() { Betas = (0, 0.99), Decouple = false, WeightDecay = 0.03 }, new() { Betas = (0, 0.99), Decouple = false, WeightDecay = 0.03 }),
        ["beta1 = 0, decoupled decay"] = (new() { Betas = (0, 0.99), WeightDecay = 0.03 }, new() { Betas = (0, 0.99), WeightDecay = 0.03 }),
        ["slice_p, per-group eps and d0"] = (new(0.7) { SliceP = 3 }, new(0.7) { SliceP = 2, Eps = 1e-6, D0 = 1e-5 }),
        ["frozen group with decoupled decay"] = (new() { WeightDecay = 0.1 }, new(0) { WeightDecay = 0.1 }),
    };

    private static Prodigy Build(Tensor[] ps, ProdigyOptions a, ProdigyOptions b) =>
        new([new ParamGroupSpec<ProdigyOptions>(Members[0].Select(i => ps[i]), _ => a), new ParamGroupSpec<ProdigyOptions>(Members[1].Select(i => ps[i]), _ => b)], a);

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Float64StepsAreTheReferences(string configuration) => CompareWithReference<double>(configuration);

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Float32StepsAreTheReferences(string configuration) => CompareWithReference<float>(configuration);

    /// <summary>
    /// 25 steps of both from the same start, each taking the gradient at its own point: parameters and d after every
    /// step, then every state tensor and number, to the last bit (both round alike, in the same order, on any machine).
    /// </summary>
    private static void CompareWithReference<T>(string configuration) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dtype = typeof(T) == typeof(float) ? DType.Float32 : DType.Float64;
        var (a, b) = ConfigurationsByName[configuration];
        var ps = TensorShapes.Select((s, t) => Tensor.FromArray(Start(t, s.Aggregate(1, (x, y) => x * y)), s).To(dtype).RequiresGrad_()).ToArray();
        var theta = ps.Select(p => p.ToArray<T>()).ToArray();
        var prodigy = Build(ps, a, b);
        var reference = new Reference<T>([a, b], Members, a.D0);
        for (int step = 0; step < 25; step++)
        {
            var grads = new T[]?[ps.Length];
            for (int t = 0; t < ps.Length; t++)
            {
                bool has = HasGradient(t, step);
                grads[t] = has ? [.. GradientAt([.. theta[t].Select(double.CreateTruncating)], step, t).Select(T.CreateTruncating)] : null;
                ps[t].Grad = has ? Tensor.FromArray(GradientAt(ps[t].ToDoubleArray(), step, t), TensorShapes[t]).To(dtype) : null;
            }
            reference.Step(theta, grads);
            prodigy.Step();
            AssertSame(reference.D, prodigy.D, $"{configuration}, step {step}: d");
            for (int t = 0; t < ps.Length; t++) AssertSame(Doubles(theta[t]), ps[t].ToDoubleArray(), $"{configuration}, step {step}: tensor {t}");
        }
        Assert.True(reference.D > 2 * a.D0, $"{configuration}: d stayed at {reference.D}"); // the estimate did move
        for (int t = 0; t < ps.Length; t++)
        {
            var state = prodigy.StateOf(ps[t])!;
            Assert.Equal(reference.StepOf(t), state.Step);
            var expected = a.Betas.Item1 > 0 ? new[] { "s", "p0", "exp_avg", "exp_avg_sq" } : ["s", "p0", "exp_avg_sq"];
            Assert.Equal(expected, state.Tensors.Keys);
            foreach (var name in expected) AssertSame(Doubles(reference.Buffer(t, name)), state.Tensors[name].ToDoubleArray(), $"{configuration}: {name} of tensor {t}");
            if (HasGradient(t, 24))
            {
                AssertSame(reference.DMax, state.Numbers["d_max"], $"{configuration}: d_max");
                AssertSame(reference.DNumerator, state.Numbers["d_numerator"], $"{configuration}: d_numerator");
                AssertSame(reference.DHat, state.Numbers["d_hat"], $"{configuration}: d_hat");
                Assert.Equal(reference.K, state.Numbers["k"]);
            }
        }
    }

    private static double[] Doubles<T>(T[] values) where T : unmanaged, IFloatingPointIeee754<T> => [.. values.Select(double.CreateTruncating)];

    private static void AssertSame(double expected, double actual, string what) => AssertSame([expected], [actual], what);

    private static void AssertSame(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (expected[i] != actual[i]) Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    /// <summary>
    /// The float32 run keeps to the float64 one: over the same quadratic, 300 steps, d and the point agree to some
    /// hundred float32 roundings (they differ by about 2·10⁻⁷).
    /// </summary>
    [Fact]
    public void Float32RunFollowsTheFloat64Run()
    {
        (double D, double[] X) Run(DType dtype)
        {
            var x = Tensor.Zeros([5], dtype, requiresGrad: true);
            var prodigy = new Prodigy([x], weightDecay: 1e-3, useBiasCorrection: true);
            for (int t = 0; t < 300; t++)
            {
                var theta = x.ToDoubleArray();
                x.Grad = Tensor.FromArray(theta.Select((v, i) => Curvatures[i] * (v - Minimum[i])).ToArray()).To(dtype);
                prodigy.Step();
            }
            return (prodigy.D, x.ToDoubleArray());
        }
        var (d64, x64) = Run(DType.Float64);
        var (d32, x32) = Run(DType.Float32);
        Assert.True(Math.Abs(d32 - d64) <= 1e-5 * d64, $"d: float64 {d64}, float32 {d32}");
        for (int i = 0; i < x64.Length; i++) Assert.True(Math.Abs(x32[i] - x64[i]) <= 1e-5, $"x[{i}]: float64 {x64[i]}, float32 {x32[i]}");
    }

    // ---- What the method promises ----

    private static Tensor Vector(params double[] values) => Tensor.FromArray(values, requiresGrad: true);

    /// <summary>The gradient of f(θ) = ½ Σ aᵢ(θᵢ − cᵢ)², whose minimum c is at distance 3 from 0 in the largest coordinate.</summary>
    private static readonly double[] Curvatures = [1, 2, 5, 10, 0.5], Minimum = [1, -2, 0.5, 3, -1];

    private static void QuadraticGradient(Tensor x)
    {
        var theta = x.ToDoubleArray();
        x.Grad = Tensor.FromArray(theta.Select((v, i) => Curvatures[i] * (v - Minimum[i])).ToArray());
    }

    [Fact]
    public void DGrowsFromD0AndSettlesAtTheScaleOfTheDistanceToTheMinimum()
    {
        var x = Vector(0, 0, 0, 0, 0);
        var prodigy = new Prodigy([x]);
        Assert.Equal(1e-6, prodigy.D);
        var d = new List<double>();
        for (int t = 0; t < 400; t++)
        {
            QuadraticGradient(x);
            prodigy.Step();
            d.Add(prodigy.D);
        }
        for (int t = 1; t < d.Count; t++) Assert.True(d[t] >= d[t - 1], $"d fell at step {t}: {d[t - 1]} to {d[t]}");
        Assert.True(d[9] > 1e3 * 1e-6, $"d after 10 steps: {d[9]}"); // geometric growth from d₀
        // A lower estimate of the distance ‖c − θ₀‖∞ = 3, within a small factor of it (0.76 here, from step 13 on).
        Assert.True(d[^1] > 0.3 && d[^1] <= 3, $"d settled at {d[^1]}: {string.Join(", ", d.Where((_, t) => t % 20 == 0))}");
        Assert.Equal(d[199], d[^1]); // it stopped growing
        var distance = Math.Sqrt(x.ToDoubleArray().Zip(Minimum, (a, b) => (a - b) * (a - b)).Sum());
        Assert.True(distance < 1e-2, $"the run ended {distance} from the minimum");
    }

    [Fact]
    public void StepsWithoutAnyGradientYetChangeNothing()
    {
        var x = Vector(0.5, -1, 2);
        var fresh = Vector(0.5, -1, 2);
        var prodigy = new Prodigy([x], weightDecay: 0.1);
        var other = new Prodigy([fresh], weightDecay: 0.1);
        for (int t = 0; t < 3; t++)
        {
            x.Grad = Tensor.Zeros([3], DType.Float64);
            prodigy.Step();
        }
        // The reference returns once Σ‖s‖₁ = 0: the state exists (p0 is the start), but nothing has stepped.
        Assert.Equal([0.5, -1, 2], x.ToDoubleArray());
        Assert.Equal(1e-6, prodigy.D);
        var state = prodigy.StateOf(x)!;
        Assert.Equal(0, state.Step);
        Assert.Empty(state.Numbers);
        Assert.Equal([0.5, -1, 2], state.Tensors["p0"].ToDoubleArray());
        foreach (var name in new[] { "s", "exp_avg", "exp_avg_sq" }) Assert.All(state.Tensors[name].ToDoubleArray(), v => Assert.Equal(0, v));
        // So a run that starts with such steps is the run without them, bit for bit.
        for (int t = 0; t < 10; t++)
        {
            QuadraticGradient3(x, t);
            QuadraticGradient3(fresh, t);
            prodigy.Step();
            other.Step();
        }
        Assert.Equal(fresh.ToDoubleArray(), x.ToDoubleArray());
        Assert.Equal(other.D, prodigy.D);
        Assert.Equal(10, prodigy.StateOf(x)!.Step);
        Assert.Equal(10, prodigy.StateOf(x)!.Numbers["k"]);
    }

    private static void QuadraticGradient3(Tensor x, int t)
    {
        var theta = x.ToDoubleArray();
        x.Grad = Tensor.FromArray(theta.Select((v, i) => (i + 1) * (v - 1) + 0.1 * Math.Sin(t + i)).ToArray());
    }

    [Fact]
    public void GroupsWithDifferentNonZeroLearningRatesThrowBeforeAnythingChanges()
    {
        var a = Vector(1, 2);
        var b = Vector(3);
        var prodigy = new Prodigy([new ParamGroupSpec<ProdigyOptions>([a]), new ParamGroupSpec<ProdigyOptions>([b], o => o with { Lr = 0.5 })], new ProdigyOptions());
        a.Grad = Tensor.FromArray(new[] { 1.0, -1 });
        b.Grad = Tensor.FromArray(new[] { 2.0 });
        var e = Assert.Throws<InvalidOperationException>(prodigy.Step);
        Assert.Contains("may differ in lr only by being 0: group 1 has lr 0.5, another 1", e.Message, StringComparison.Ordinal);
        Assert.Equal([1.0, 2], a.ToDoubleArray());
        Assert.Null(prodigy.StateOf(a));
        prodigy.ParamGroups[1].Lr = 1; // equal rates (a schedule sets every group's) are fine
        prodigy.Step();
        Assert.NotEqual([1.0, 2], a.ToDoubleArray());
    }

    [Fact]
    public void LearningRateZeroFreezesAGroupAndLeavesTheOthersAsIfAlone()
    {
        var a = Vector(0, 0, 0, 0, 0);
        var alone = Vector(0, 0, 0, 0, 0);
        var frozen = Vector(4, -4);
        var prodigy = new Prodigy([new ParamGroupSpec<ProdigyOptions>([a]), new ParamGroupSpec<ProdigyOptions>([frozen], o => o with { Lr = 0 })], new ProdigyOptions());
        var single = new Prodigy([alone]);
        for (int t = 0; t < 30; t++)
        {
            QuadraticGradient(a);
            QuadraticGradient(alone);
            frozen.Grad = Tensor.FromArray(new[] { 1.0 + t, -2.0 });
            prodigy.Step();
            single.Step();
        }
        Assert.Equal([4.0, -4], frozen.ToDoubleArray());
        Assert.Equal(alone.ToDoubleArray(), a.ToDoubleArray()); // the frozen group adds nothing to d's sums
        Assert.Equal(single.D, prodigy.D);
        // As in the reference, it still steps (with momentum 0, so without moving) and keeps no sums.
        var state = prodigy.StateOf(frozen)!;
        Assert.Equal(30, state.Step);
        Assert.All(state.Tensors["s"].ToDoubleArray(), v => Assert.Equal(0, v));
    }

    [Fact]
    public void AFiniteGrowthRateBoundsTheGrowthOfDAfterItsFirstMove()
    {
        var x = Vector(0, 0, 0, 0, 0);
        var prodigy = new Prodigy([x], growthRate: 1.1);
        var d = new List<double> { prodigy.D };
        for (int t = 0; t < 120; t++)
        {
            QuadraticGradient(x);
            prodigy.Step();
            d.Add(prodigy.D);
        }
        int moved = d.FindIndex(v => v != 1e-6); // while d = d₀ it may jump to d̂ at once, as in the reference
        Assert.True(moved > 0, "d never moved");
        for (int t = moved + 1; t < d.Count; t++) Assert.True(d[t] <= d[t - 1] * 1.1 * (1 + 1e-15), $"d grew from {d[t - 1]} to {d[t]} at step {t}");
        Assert.True(d[^1] > 100 * d[moved], $"d only reached {d[^1]}");
    }

    [Fact]
    public void P0IsTheParameterAtItsFirstStep()
    {
        var early = Vector(1, 1, 1);
        var late = Vector(2, 2, 2, 2, 2, 2, 2);
        var prodigy = new Prodigy([early, late], sliceP: 3);
        early.Grad = Tensor.FromArray(new[] { 1.0, -1, 0.5 });
        prodigy.Step();
        Assert.Null(prodigy.StateOf(late));
        var values = late.AsSpan<double>();
        for (int i = 0; i < values.Length; i++) values[i] = i; // moved by something else before its first gradient
        late.Grad = Tensor.FromArray(new[] { 1.0, 1, 1, 1, 1, 1, 1 });
        prodigy.Step();
        var state = prodigy.StateOf(late)!;
        Assert.Equal([0.0, 3, 6], state.Tensors["p0"].ToDoubleArray()); // flatten()[::3]
        Assert.Equal([3], state.Tensors["s"].ShapeArray);
        Assert.Equal([7], state.Tensors["exp_avg"].ShapeArray);
    }

    [Fact]
    public void TheEstimateTravelsWithTheStateDict()
    {
        var x = Vector(0, 0, 0, 0, 0);
        var prodigy = new Prodigy([x]);
        for (int t = 0; t < 15; t++)
        {
            QuadraticGradient(x);
            prodigy.Step();
        }
        var dict = prodigy.StateDict();
        Assert.Equal(["d", "d_hat", "d_max", "d_numerator", "k"], dict.State[0].Numbers.Keys.Order());
        var resumed = new Prodigy([x]);
        Assert.Equal(1e-6, resumed.D);
        resumed.LoadStateDict(dict);
        Assert.Equal(prodigy.D, resumed.D);
        Assert.Equal(15, dict.State[0].Numbers["k"]);
    }

    [Fact]
    public void SliceStateMustFitItsGroup()
    {
        var x = Vector(1, 2, 3, 4, 5);
        var prodigy = new Prodigy([x], sliceP: 2);
        x.Grad = Tensor.FromArray(new[] { 1.0, 1, 1, 1, 1 });
        prodigy.Step();
        var dict = prodigy.StateDict();
        // Loading into an optimizer with another slice_p: its shapes are checked against the receiving groups' slice_p.
        var e = Assert.Throws<ArgumentException>(() => new Prodigy([x], sliceP: 1).LoadStateDict(dict));
        Assert.Contains("its s must be [5]", e.Message, StringComparison.Ordinal);
        // A state dict that changes slice_p under existing state is caught at the next step, before anything changes.
        dict.ParamGroups[0].Hyperparameters["slice_p"] = 3L;
        prodigy.LoadStateDict(dict);
        var before = x.ToDoubleArray();
        var step = Assert.Throws<InvalidOperationException>(prodigy.Step);
        Assert.Contains("slice_p = 3 needs 2", step.Message, StringComparison.Ordinal);
        Assert.Equal(before, x.ToDoubleArray());
    }

    [Fact]
    public void InfiniteGrowthRateIsNoLimitAndStoredAsNone()
    {
        Assert.Null(new ProdigyOptions { GrowthRate = double.PositiveInfinity }.GrowthRate);
        Assert.Null(new ProdigyOptions().GrowthRate);
        var group = new Dictionary<string, object> { ["growth_rate"] = double.PositiveInfinity, ["beta3"] = 0.9 };
        var loaded = (ProdigyOptions)new ProdigyOptions().FromStateValues(group);
        Assert.Null(loaded.GrowthRate);
        Assert.Equal(0.9, loaded.Beta3);
        Assert.False(new ProdigyOptions().ToDictionary().ContainsKey("growth_rate"));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Prodigy([Vector(1)], growthRate: 0));
        Assert.Equal("growthRate", e.ParamName);
    }
}
