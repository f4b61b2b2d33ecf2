using Descent.Optim;
using static Descent.Tests.Optim.LambLarsReference;

namespace Descent.Tests.Optim;

/// <summary>
/// LAMB and LARS against timm's step restated in <see cref="LambLarsReference"/> (float64 to 1e-12, float32 to 1e-5,
/// relative), and what the trust ratio promises: each layer moves by a fixed fraction of its weight norm, whatever
/// its gradient's scale; where it is off, LAMB is Adam and LARS is SGD.
/// </summary>
public class LambLarsTests
{
    private static Tensor[] Parameters(DType dtype) => [.. Problem.Select((s, k) => Leaf(Initial(k, dtype == DType.Float32), s.Shape, dtype))];

    private static Tensor Leaf(double[] values, int[] shape, DType dtype = DType.Float64)
    {
        var t = Tensor.FromArray(values, shape).To(dtype);
        t.RequiresGrad = true;
        return t;
    }

    private static void SetGradients(Tensor[] ps, int t, double scale = 1)
    {
        for (int k = 0; k < ps.Length; k++)
            ps[k].Grad = Gradient(t, k, ps[k].DType == DType.Float32, scale) is { } g ? Tensor.FromArray(g, Problem[k].Shape).To(ps[k].DType) : null;
    }

    private static IEnumerable<Tensor> Group(Tensor[] ps, int group) => ps.Where((_, k) => Problem[k].Group == group);

    private static void Compare(double[] expected, Tensor actual, bool float32, string what)
    {
        var a = actual.ToDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        double tolerance = float32 ? 1e-5 : 1e-12;
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(a[i] - expected[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"{what}[{i}]: expected {expected[i]:R}, got {a[i]:R}");
    }

    /// <summary>Each configuration in float64 and in float32.</summary>
    private static TheoryData<string, bool> InBothDTypes(IEnumerable<string> configurations)
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in configurations)
        {
            data.Add(name, false);
            data.Add(name, true);
        }
        return data;
    }

    public static TheoryData<string, bool> LambCases() => InBothDTypes(LambConfigurations.Keys);

    /// <summary>The defaults, and each group's options (group 1 keeps the exclusion rule's λ = 0).</summary>
    private static readonly Dictionary<string, (LambOptions Defaults, Func<LambOptions, LambOptions> Group0)> LambConfigurations = new()
    {
        ["defaults: global clip active"] = (new LambOptions(0.02), o => o),
        ["trust clip, no global clip"] = (new LambOptions(0.01) { WeightDecay = 0.1, TrustClip = true, MaxGradNorm = null }, o => o),
        ["always adapt, no bias correction or averaging, clip inactive"] = (new LambOptions(0.02)
        {
            WeightDecay = 0.02, AlwaysAdapt = true, BiasCorrection = false, GradAveraging = false, MaxGradNorm = 100, Betas = (0.8, 0.95),
        }, o => o),
        ["decoupled decay"] = (new LambOptions(0.02) { DecoupledDecay = true, WeightDecay = 0.05 }, o => o),
        ["corrected decoupled decay, group lr below the default"] = (new LambOptions(0.02)
        {
            DecoupledDecay = true, CorrectedWeightDecay = true, WeightDecay = 0.05, Eps = 1e-4, TrustClip = true,
        }, o => o with { Lr = 0.01 }),
    };

    [Theory]
    [MemberData(nameof(LambCases))]
    public void LambMatchesTimmsStepRestated(string configuration, bool float32)
    {
        var (defaults, group0) = LambConfigurations[configuration];
        var dtype = float32 ? DType.Float32 : DType.Float64;
        var ps = Parameters(dtype);
        var lamb = new Lamb([new ParamGroupSpec<LambOptions>(Group(ps, 0), group0), new ParamGroupSpec<LambOptions>(Group(ps, 1), o => o with { WeightDecay = 0 })], defaults);
        for (int t = 0; t < Steps; t++)
        {
            SetGradients(ps, t);
            lamb.Step();
        }
        var expected = LambLarsReference.Lamb([(LambOptions)lamb.ParamGroups[0].Options, (LambOptions)lamb.ParamGroups[1].Options], defaults, float32);
        for (int k = 0; k < ps.Length; k++)
        {
            Compare(expected.Theta[k], ps[k], float32, $"θ{k}");
            var state = lamb.StateOf(ps[k])!;
            Compare(expected.First[k]!, state.Tensors["exp_avg"], float32, $"exp_avg{k}");
            Compare(expected.Second[k]!, state.Tensors["exp_avg_sq"], float32, $"exp_avg_sq{k}");
            Assert.Equal(expected.GroupStep[Problem[k].Group], state.Step); // the group's count, also where a tensor skipped steps
        }
    }

    public static TheoryData<string, bool> LarsCases() => InBothDTypes(LarsConfigurations.Keys);

    private static readonly Dictionary<string, LarsOptions> LarsConfigurations = new()
    {
        ["momentum and weight decay"] = new LarsOptions(0.5) { Momentum = 0.9, WeightDecay = 1e-4 },
        ["nesterov, always adapt"] = new LarsOptions(0.5) { Momentum = 0.9, Nesterov = true, AlwaysAdapt = true },
        ["LARC clip, some ratios capped"] = new LarsOptions(0.1) { Momentum = 0.8, Dampening = 0.1, WeightDecay = 5e-4, TrustCoeff = 0.05, TrustClip = true, Eps = 1e-6 },
        ["LARC clip, nesterov, always adapt"] = new LarsOptions(2) { Momentum = 0.9, Nesterov = true, AlwaysAdapt = true, TrustClip = true },
        ["no momentum"] = new LarsOptions(1) { WeightDecay = 0.01 },
    };

    [Theory]
    [MemberData(nameof(LarsCases))]
    public void LarsMatchesTimmsStepRestated(string configuration, bool float32)
    {
        var defaults = LarsConfigurations[configuration];
        var dtype = float32 ? DType.Float32 : DType.Float64;
        var ps = Parameters(dtype);
        var lars = new Lars([new ParamGroupSpec<LarsOptions>(Group(ps, 0)), new ParamGroupSpec<LarsOptions>(Group(ps, 1), o => o with { WeightDecay = 0 })], defaults);
        for (int t = 0; t < Steps; t++)
        {
            SetGradients(ps, t);
            lars.Step();
        }
        var expected = LambLarsReference.Lars([defaults, defaults with { WeightDecay = 0 }], float32);
        for (int k = 0; k < ps.Length; k++)
        {
            Compare(expected.Theta[k], ps[k], float32, $"θ{k}");
            var state = lars.StateOf(ps[k])!;
            if (defaults.Momentum == 0) Assert.Empty(state.Tensors);
            else Compare(expected.First[k]!, state.Tensors["momentum_buffer"], float32, $"momentum_buffer{k}");
        }
    }

    /// <summary>The restatement is not trivially satisfied: the trust ratio, the clip and the exclusion each change the numbers.</summary>
    [Fact]
    public void TheRestatedCasesExerciseEachRule()
    {
        double Distance(LambLarsReference.Run a, LambLarsReference.Run b) =>
            a.Theta.Zip(b.Theta).Max(x => x.First.Zip(x.Second).Max(y => Math.Abs(y.First - y.Second)));
        var o = new LambOptions(0.02);
        var lamb = LambLarsReference.Lamb([o, o with { WeightDecay = 0 }], o, false);
        Assert.True(Distance(lamb, LambLarsReference.Lamb([o, o with { WeightDecay = 0 }], o with { MaxGradNorm = null }, false)) > 1e-4); // the clip is active
        Assert.True(Distance(lamb, LambLarsReference.Lamb([o, o with { WeightDecay = 0, AlwaysAdapt = true }], o, false)) > 1e-4); // group 1 is excluded
        var clipped = new LambOptions(0.01) { WeightDecay = 0.1, MaxGradNorm = null };
        Assert.True(Distance(LambLarsReference.Lamb([clipped, clipped], clipped, false),
            LambLarsReference.Lamb([clipped with { TrustClip = true }, clipped with { TrustClip = true }], clipped, false)) > 1e-4);
        var larc = LarsConfigurations["LARC clip, some ratios capped"];
        double RatioOverLr(int k) => larc.TrustCoeff * Norm(Initial(k, false)) / (Norm(Gradient(0, k, false)!) + Norm(Initial(k, false)) * larc.WeightDecay + larc.Eps) / larc.Lr;
        Assert.True(RatioOverLr(0) > 1 && RatioOverLr(1) < 1, $"{RatioOverLr(0)}, {RatioOverLr(1)}");
        Assert.True(Distance(LambLarsReference.Lars([larc, larc], false), LambLarsReference.Lars([larc with { TrustClip = false }, larc with { TrustClip = false }], false)) > 1e-4);
    }

    private static double[] Difference(double[] after, double[] before) => [.. after.Zip(before, (a, b) => a - b)];

    /// <summary>
    /// LARS without momentum: a step of tensor θ is γη‖θ‖ long whatever the gradient's scale, so a layer whose weights are
    /// 10× larger steps 10× further, and one whose gradient is 1000× larger steps no further.
    /// </summary>
    [Fact]
    public void LarsStepIsProportionalToTheWeightNormAndBlindToTheGradientScale()
    {
        var theta = Initial(0, false);
        var a = Leaf(theta, [12]);
        var tenfold = Leaf([.. theta.Select(x => 10 * x)], [12]);
        var steep = Leaf(theta, [12]);
        var g = Gradient(0, 0, false)!;
        a.Grad = Tensor.FromArray(g);
        tenfold.Grad = Tensor.FromArray(g);
        steep.Grad = Tensor.FromArray(g.Select(x => 1000 * x).ToArray());
        var before = new[] { a, tenfold, steep }.Select(p => p.ToDoubleArray()).ToArray();
        new Lars([a, tenfold, steep], lr: 0.5, trustCoeff: 0.01, eps: 0, alwaysAdapt: true).Step();
        var (stepA, stepTen, stepSteep) = (Difference(a.ToDoubleArray(), before[0]), Difference(tenfold.ToDoubleArray(), before[1]), Difference(steep.ToDoubleArray(), before[2]));
        Assert.Equal(0.5 * 0.01 * Norm(theta), Norm(stepA), 1e-15);
        for (int i = 0; i < stepA.Length; i++)
        {
            Assert.Equal(10 * stepA[i], stepTen[i], 1e-14);
            Assert.Equal(stepA[i], stepSteep[i], 1e-15);
        }
    }

    /// <summary>LAMB's step of an adapted tensor is γ‖θ‖ long (the update rescaled to the weights' norm), for gradients of any scale.</summary>
    [Fact]
    public void LambStepIsLrTimesTheWeightNorm()
    {
        var small = Leaf(Initial(0, false), [3, 4]);
        var large = Leaf(Initial(1, false), [5]);
        small.Grad = Tensor.FromArray(Gradient(0, 0, false)!.Select(x => 1e-3 * x).ToArray(), [3, 4]);
        large.Grad = Tensor.FromArray(Gradient(0, 1, false)!.Select(x => 1e3 * x).ToArray());
        var lamb = new Lamb([small, large], lr: 0.01, weightDecay: 0.1, maxGradNorm: null);
        for (int t = 0; t < 3; t++)
        {
            var before = new[] { small.ToDoubleArray(), large.ToDoubleArray() };
            lamb.Step();
            Assert.Equal(0.01 * Norm(before[0]), Norm(Difference(small.ToDoubleArray(), before[0])), 1e-15);
            Assert.Equal(0.01 * Norm(before[1]), Norm(Difference(large.ToDoubleArray(), before[1])), 1e-15);
        }
    }

    /// <summary>The exclusion rule: in a group with weight decay 0 (and alwaysAdapt off) LAMB's step is Adam's with ε = 1e-6.</summary>
    [Fact]
    public void LambWithoutTrustRatioIsAdam()
    {
        var p = Leaf(Initial(0, false), [3, 4]);
        var q = Leaf(Initial(0, false), [3, 4]);
        var lamb = new Lamb([p], lr: 0.01, weightDecay: 0, maxGradNorm: null);
        var adam = new Adam([q], lr: 0.01, eps: 1e-6);
        for (int t = 0; t < 20; t++)
        {
            p.Grad = Tensor.FromArray(Gradient(t, 0, false)!, [3, 4]);
            q.Grad = Tensor.FromArray(Gradient(t, 0, false)!, [3, 4]);
            lamb.Step();
            adam.Step();
        }
        Compare(q.ToDoubleArray(), p, false, "θ");
    }

    /// <summary>In a group with weight decay 0 (and alwaysAdapt off) LARS is SGD with the same momentum, to the bit.</summary>
    [Fact]
    public void LarsWithoutTrustRatioIsSgd()
    {
        var p = Leaf(Initial(0, false), [3, 4]);
        var q = Leaf(Initial(0, false), [3, 4]);
        var lars = new Lars([p], lr: 0.1, momentum: 0.9, nesterov: true);
        var sgd = new SGD([q], lr: 0.1, momentum: 0.9, nesterov: true);
        for (int t = 0; t < 10; t++)
        {
            p.Grad = Tensor.FromArray(Gradient(t, 0, false)!, [3, 4]);
            q.Grad = Tensor.FromArray(Gradient(t, 0, false)!, [3, 4]);
            lars.Step();
            sgd.Step();
        }
        Assert.Equal(q.ToDoubleArray(), p.ToDoubleArray());
    }

    /// <summary>
    /// The clip is one norm over every gradient: while it is active, scaling all of them by 10 changes no step. The
    /// gradients themselves are left as they are (timm divides them in place).
    /// </summary>
    [Fact]
    public void LambsGlobalClipMakesTheStepBlindToTheGradientsScaleAndLeavesThemAlone()
    {
        double[][] Run(double scale)
        {
            var ps = Parameters(DType.Float64);
            var lamb = new Lamb([new ParamGroupSpec<LambOptions>(Group(ps, 0)), new ParamGroupSpec<LambOptions>(Group(ps, 1), o => o with { WeightDecay = 0 })], new LambOptions(0.02));
            for (int t = 0; t < Steps; t++)
            {
                SetGradients(ps, t, scale);
                var given = ps.Select(p => p.Grad?.ToDoubleArray()).ToArray();
                lamb.Step();
                for (int k = 0; k < ps.Length; k++) Assert.Equal(given[k], ps[k].Grad?.ToDoubleArray());
            }
            return [.. ps.Select(p => p.ToDoubleArray())];
        }
        var (once, tenfold) = (Run(1), Run(10));
        for (int k = 0; k < once.Length; k++) Compare(once[k], Leaf(tenfold[k], [tenfold[k].Length]), false, $"θ{k}");
    }

    /// <summary>
    /// The step count is the group's (timm's <c>group['step']</c>): it advances at steps where the group has no gradient,
    /// so a group's first update after three empty steps is bias-corrected as step 4, and the count survives the state dict.
    /// </summary>
    [Fact]
    public void LambCountsTheGroupsStepsWithOrWithoutGradients()
    {
        var (p, q) = (Leaf(Initial(0, false), [3, 4]), Leaf(Initial(0, false), [3, 4]));
        var late = new Lamb([p], weightDecay: 0, maxGradNorm: null);
        for (int t = 0; t < 3; t++) late.Step();
        Assert.Equal(3, late.StateOf(p)!.Step); // the group's count, in its first parameter's state before any gradient
        Assert.Empty(late.StateOf(p)!.Tensors);
        p.Grad = q.Grad = Tensor.FromArray(Gradient(0, 0, false)!, [3, 4]);
        late.Step();
        new Lamb([q], weightDecay: 0, maxGradNorm: null).Step();
        Assert.Equal(4, late.StateOf(p)!.Step);
        // At step 4 the corrections 1 − β₁⁴ and √(1 − β₂⁴) no longer cancel: the first update is not the unit step of t = 1.
        Assert.NotEqual(Norm(Difference(q.ToDoubleArray(), Initial(0, false))), Norm(Difference(p.ToDoubleArray(), Initial(0, false))), 1e-6);
        var resumed = new Lamb([p], weightDecay: 0, maxGradNorm: null);
        resumed.LoadStateDict(late.StateDict());
        resumed.Step();
        Assert.Equal(5, resumed.StateOf(p)!.Step);
    }

    [Fact]
    public void AGroupCannotSetItsOwnGlobalClip()
    {
        var ps = Parameters(DType.Float64);
        var e = Assert.Throws<ArgumentException>(() => new Lamb([new ParamGroupSpec<LambOptions>(Group(ps, 0)),
            new ParamGroupSpec<LambOptions>(Group(ps, 1), o => o with { MaxGradNorm = 5 })], new LambOptions()));
        Assert.Equal("maxGradNorm", e.ParamName);
        Assert.Contains("it is the optimizer's (1); a group cannot set 5", e.Message, StringComparison.Ordinal);
        var corrected = Assert.Throws<ArgumentException>(() => new Lamb(ps, lr: 0, decoupledDecay: true, correctedWeightDecay: true));
        Assert.Equal("correctedWeightDecay", corrected.ParamName);
        var trust = Assert.Throws<ArgumentOutOfRangeException>(() => new Lars(ps, trustCoeff: 0, weightDecay: 1e-4));
        Assert.Equal("trustCoeff", trust.ParamName);
    }

    /// <summary>timm's hyperparameter names, in timm's order, and its defaults (the generic test of the constructors' defaults runs for PyTorch's classes only).</summary>
    [Fact]
    public void HyperparametersAreTimmsWithTimmsDefaults()
    {
        Assert.Equal(["lr", "bias_correction", "betas", "eps", "weight_decay", "grad_averaging", "max_grad_norm", "trust_clip", "always_adapt",
            "decoupled_decay", "corrected_weight_decay"], new LambOptions().Hyperparameters().Select(h => h.TorchName));
        Assert.Equal(["lr", "momentum", "dampening", "weight_decay", "nesterov", "trust_coeff", "eps", "trust_clip", "always_adapt"],
            new LarsOptions().Hyperparameters().Select(h => h.TorchName));
        var ps = Parameters(DType.Float64);
        Assert.Equal(new LambOptions(), new Lamb(ps).Defaults);
        Assert.Equal(new LarsOptions(), new Lars(ps).Defaults);
        Assert.Equal((1e-3, 0.01, 1e-6, 1.0), (new LambOptions().Lr, new LambOptions().WeightDecay, new LambOptions().Eps, new LambOptions().MaxGradNorm));
        Assert.Equal((1.0, 0.001, 1e-8, 0.0), (new LarsOptions().Lr, new LarsOptions().TrustCoeff, new LarsOptions().Eps, new LarsOptions().WeightDecay));
    }
}
