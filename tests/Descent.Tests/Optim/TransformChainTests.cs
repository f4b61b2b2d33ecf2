using System.Runtime.InteropServices;
using Descent.Optim;
using Descent.Optim.Schedulers;

namespace Descent.Tests.Optim;

/// <summary>
/// A chain of transforms equal to a named optimizer steps to that optimizer's bits: parameters, every state buffer and
/// the step count, over many steps, float32 and float64, small tensors (the scalar tail) and one past the parallel
/// threshold; its options record and state dict are the named optimizer's; a clipping chain equals
/// <see cref="GradientClipping.ClipGradNorm"/> followed by the named optimizer.
/// </summary>
/// <remarks>Its large tensor uses the worker threads, so it shares a collection with the allocation tests.</remarks>
[Collection(nameof(AllocationTests))]
public class TransformChainTests
{
    /// <summary>Named optimizer, and the chain that must equal it: the presets and Optax-style chains written out.</summary>
    private static readonly Dictionary<string, (Func<IEnumerable<Tensor>, FirstOrderOptimizer> Named, Func<TransformChain> Chain)> Pairs = new()
    {
        ["adam"] = (p => new Adam(p), () => Transforms.Adam()),
        ["adam l2 amsgrad"] = (p => new Adam(p, lr: 0.01, weightDecay: 0.1, amsgrad: true), () => Transforms.Adam(lr: 0.01, weightDecay: 0.1, amsgrad: true)),
        ["adam maximize"] = (p => new Adam(p, lr: 0.02, betas: (0.8, 0.95), eps: 1e-6, maximize: true), () => Transforms.Adam(lr: 0.02, betas: (0.8, 0.95), eps: 1e-6, maximize: true)),
        ["adamw"] = (p => new AdamW(p), () => Transforms.AdamW()),
        ["adamw amsgrad maximize"] = (p => new AdamW(p, lr: 0.01, weightDecay: 0.1, amsgrad: true, maximize: true),
            () => Transforms.AdamW(lr: 0.01, weightDecay: 0.1, amsgrad: true, maximize: true)),
        ["adamw written out"] = (p => new AdamW(p, lr: 3e-3, weightDecay: 0.05),
            () => Transforms.Chain(Transforms.ScaleByAdam(), Transforms.AddDecayedWeights(0.05), Transforms.ScaleByLearningRate(3e-3))),
        ["sgd"] = (p => new SGD(p, lr: 0.05), () => Transforms.SGD(0.05)),
        ["sgd l2 maximize"] = (p => new SGD(p, lr: 0.05, weightDecay: 0.01, maximize: true), () => Transforms.SGD(0.05, weightDecay: 0.01, maximize: true)),
        ["momentum dampening l2"] = (p => new Momentum(p, lr: 0.01, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3),
            () => Transforms.SGD(0.01, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3)),
        ["nesterov maximize"] = (p => new Nesterov(p, lr: 0.01, momentum: 0.8, weightDecay: 0.01, maximize: true),
            () => Transforms.SGD(0.01, momentum: 0.8, weightDecay: 0.01, nesterov: true, maximize: true)),
        ["sgd nesterov written out"] = (p => new SGD(p, lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true),
            () => Transforms.Chain(Transforms.AddDecayedWeights(1e-4), Transforms.Trace(0.9, nesterov: true), Transforms.ScaleByLearningRate(0.01))),
        ["lion"] = (p => new Lion(p), () => Transforms.Lion()),
        ["lion decay maximize"] = (p => new Lion(p, lr: 3e-4, betas: (0.95, 0.98), weightDecay: 0.1, maximize: true),
            () => Transforms.Lion(lr: 3e-4, betas: (0.95, 0.98), weightDecay: 0.1, maximize: true)),
        ["lion written out"] = (p => new Lion(p, lr: 1e-3, weightDecay: 0.5),
            () => Transforms.Chain(Transforms.ScaleByLion(), Transforms.AddDecayedWeights(0.5), Transforms.ScaleByLearningRate(1e-3))),
        ["rmsprop"] = (p => new RMSprop(p), () => Transforms.RMSprop()),
        ["rmsprop centered momentum l2"] = (p => new RMSprop(p, lr: 0.01, alpha: 0.9, weightDecay: 0.01, momentum: 0.9, centered: true),
            () => Transforms.RMSprop(lr: 0.01, alpha: 0.9, weightDecay: 0.01, momentum: 0.9, centered: true)),
        ["rmsprop momentum maximize written out"] = (p => new RMSprop(p, lr: 0.003, momentum: 0.7, maximize: true),
            () => Transforms.Chain(Transforms.ScaleByRms(), Transforms.Trace(0.7), Transforms.ScaleByLearningRate(0.003, maximize: true))),
    };

    public static TheoryData<string> Names() => [.. Pairs.Keys];

    // Shapes around the vector widths, and one past the parallel threshold with a ragged last chunk.
    private static readonly int[][] Shapes = [[64, 33], [7], [1000], [(1 << 17) + 37]];

    private const int Steps = 30;

    [Theory]
    [MemberData(nameof(Names))]
    public void ChainStepsToTheNamedOptimizersBits(string name)
    {
        var (named, chain) = Pairs[name];
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var a = OptimizerTable.Parameters(dtype, Shapes);
            var b = OptimizerTable.Parameters(dtype, Shapes);
            var reference = named(a);
            var chained = chain().Create(b);
            Assert.Equal(reference.ParamGroups[0].Options, chained.ParamGroups[0].Options);
            StepBoth(reference, chained, a, b, 0, Steps);
            AssertSameState(reference, chained, a, b, $"{name} {dtype.Name()}");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void StateDictIsTheNamedOptimizersAndLoadsBothWays(string name)
    {
        var (named, chain) = Pairs[name];
        var a = OptimizerTable.Parameters(DType.Float32, [5, 3], [4]);
        var b = OptimizerTable.Parameters(DType.Float32, [5, 3], [4]);
        var reference = named(a);
        var chained = chain().Create(b);
        StepBoth(reference, chained, a, b, 0, 4);
        AssertSameStateDict(reference.StateDict(), chained.StateDict(), name);

        // The named optimizer's state dict continues in a fresh chain, and the chain's in a fresh named optimizer.
        var c = OptimizerTable.Parameters(DType.Float32, [5, 3], [4]);
        var d = OptimizerTable.Parameters(DType.Float32, [5, 3], [4]);
        for (int i = 0; i < a.Length; i++)
        {
            a[i].CopyInto(c[i]);
            b[i].CopyInto(d[i]);
        }
        var chainFromNamed = chain().Create(c);
        chainFromNamed.LoadStateDict(reference.StateDict());
        var namedFromChain = named(d);
        namedFromChain.LoadStateDict(chained.StateDict());
        StepBoth(namedFromChain, chainFromNamed, d, c, 4, 10);
        AssertSameState(namedFromChain, chainFromNamed, d, c, $"{name} after loading");
    }

    public static TheoryData<string, double> ClipCases()
    {
        var data = new TheoryData<string, double>();
        foreach (var name in new[] { "adamw amsgrad maximize", "adam l2 amsgrad", "nesterov maximize", "momentum dampening l2", "lion decay maximize", "rmsprop centered momentum l2" })
        {
            data.Add(name, 0.5); // below the gradients' norm (tens): every step clips
            data.Add(name, 1e6); // above it: the factor is 1
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ClipCases))]
    public void ClippingChainEqualsClipGradNormThenTheNamedOptimizer(string name, double maxNorm)
    {
        var (named, chain) = Pairs[name];
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var a = OptimizerTable.Parameters(dtype, Shapes);
            var b = OptimizerTable.Parameters(dtype, Shapes);
            var reference = named(a);
            var chained = Transforms.Chain(Transforms.ClipByGlobalNorm(maxNorm), chain()).Create(b);
            for (int t = 0; t < Steps; t++)
            {
                GiveGradients(a, b, t);
                var unclipped = b.Select(p => p.Grad is null ? null : ParamState.CopyOf(p.Grad)).ToArray();
                GradientClipping.ClipGradNorm(reference.Parameters(), maxNorm);
                reference.Step();
                chained.Step();
                for (int i = 0; i < b.Length; i++) // read, never rewritten
                    if (unclipped[i] is { } g) AssertSameBits(g, b[i].Grad!, $"the gradient of parameter {i}");
            }
            AssertSameState(reference, chained, a, b, $"clipped {name} {dtype.Name()} maxNorm {maxNorm}");
        }
    }

    [Fact]
    public void ClipNormSpansEveryGroup()
    {
        var a = OptimizerTable.Parameters(DType.Float64, [40], [30, 2]);
        var b = OptimizerTable.Parameters(DType.Float64, [40], [30, 2]);
        var reference = new AdamW([new ParamGroupSpec<AdamWOptions>([a[0]]), new ParamGroupSpec<AdamWOptions>([a[1]], o => o with { Lr = 0.01, WeightDecay = 0 })]);
        var chained = Transforms.Chain(Transforms.ClipByGlobalNorm(1), Transforms.AdamW())
            .Create<AdamWOptions>([new([b[0]]), new([b[1]], o => o with { Lr = 0.01, WeightDecay = 0 })]);
        StepBoth(reference, chained, a, b, 0, 8, clip: 1);
        AssertSameState(reference, chained, a, b, "two groups");
    }

    [Fact]
    public void NonFiniteNormThrowsBeforeAnyChangeWhenAsked()
    {
        var p = OptimizerTable.Parameters(DType.Float32, [10])[0];
        var before = p.ToArray<float>();
        var optimizer = Transforms.Chain(Transforms.ClipByGlobalNorm(1, errorIfNonfinite: true), Transforms.Adam()).Create([p]);
        p.Grad = OptimizerTable.Gradient(p, 0, 0);
        p.Grad.AsSpan<float>()[3] = float.PositiveInfinity;
        var e = Assert.Throws<InvalidOperationException>(() => optimizer.Step());
        Assert.Contains("errorIfNonfinite", e.Message);
        Assert.Equal(before, p.ToArray<float>());
        Assert.Null(optimizer.StateOf(p));
    }

    [Fact]
    public void NonFiniteNormGivesClipGradNormsResult()
    {
        var a = OptimizerTable.Parameters(DType.Float32, [10], [20]);
        var b = OptimizerTable.Parameters(DType.Float32, [10], [20]);
        var reference = new SGD(a, lr: 0.1, momentum: 0.9);
        var chained = Transforms.Chain(Transforms.ClipByGlobalNorm(1), Transforms.SGD(0.1, momentum: 0.9)).Create(b);
        for (int t = 0; t < 3; t++)
        {
            GiveGradients(a, b, t);
            if (t == 1)
            {
                a[0].Grad!.AsSpan<float>()[2] = float.PositiveInfinity;
                b[0].Grad!.AsSpan<float>()[2] = float.PositiveInfinity;
            }
            GradientClipping.ClipGradNorm(reference.Parameters(), 1);
            reference.Step();
            chained.Step();
        }
        AssertSameState(reference, chained, a, b, "infinite norm");
    }

    [Fact]
    public void SchedulersDriveTheChainAsTheNamedOptimizer()
    {
        var a = OptimizerTable.Parameters(DType.Float32, [50]);
        var b = OptimizerTable.Parameters(DType.Float32, [50]);
        var reference = new Adam(a, lr: 0.01);
        var chained = Transforms.Adam(lr: 0.01).Create(b);
        var schedules = new LRScheduler[] { new OneCycleLR(reference, maxLr: 0.05, totalSteps: 12), new OneCycleLR(chained, maxLr: 0.05, totalSteps: 12) };
        for (int t = 0; t < 12; t++)
        {
            GiveGradients(a, b, t);
            reference.Step();
            chained.Step();
            foreach (var s in schedules) s.Step();
            Assert.Equal(reference.ParamGroups[0].Options, chained.ParamGroups[0].Options); // lr and β₁ both cycled
        }
        AssertSameState(reference, chained, a, b, "one-cycle");
    }

    [Fact]
    public void ResumedFromCheckpointContinuesBitIdentically()
    {
        var chain = Transforms.Chain(Transforms.ClipByGlobalNorm(2), Transforms.AddDecayedWeights(1e-3), Transforms.Trace(0.9), Transforms.ScaleBySign(),
            Transforms.ScaleByLearningRate(0.01));
        var a = OptimizerTable.Parameters(DType.Float64, [4, 3], [5]);
        var b = OptimizerTable.Parameters(DType.Float64, [4, 3], [5]);
        var whole = chain.Create(a);
        var first = chain.Create(b);
        StepBoth(whole, first, a, b, 0, 4);
        var path = Path.Combine(Path.GetTempPath(), $"descent-chain-{Guid.NewGuid():N}.bin");
        var resumed = chain.Create(b);
        try
        {
            Descent.Training.Checkpoint.SaveOptimizer(path, first);
            Descent.Training.Checkpoint.LoadOptimizer(path, resumed);
        }
        finally
        {
            File.Delete(path);
        }
        StepBoth(whole, resumed, a, b, 4, 10);
        AssertSameState(whole, resumed, a, b, "resumed");
    }

    [Fact]
    public void StepAllocatesNothingAfterWarmUp()
    {
        foreach (var chain in new[] { Transforms.AdamW(), Transforms.SGD(0.1, momentum: 0.9), Transforms.Chain(Transforms.Trace(0.9), Transforms.ScaleBySign(), Transforms.ScaleByLearningRate(0.01)),
            Transforms.Chain(Transforms.ClipByGlobalNorm(0.5), Transforms.AdamW()) })
        {
            var ps = OptimizerTable.Parameters(DType.Float32, [64, 33], [7], [1000]);
            foreach (var (p, i) in ps.Select((p, i) => (p, i))) p.Grad = OptimizerTable.Gradient(p, 0, i);
            var o = chain.Create(ps);
            for (int t = 0; t < 3; t++) o.Step();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int t = 0; t < 10; t++) o.Step();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated == 0, $"{chain}: 10 steps allocated {allocated} bytes");
        }
    }

    /// <summary>Steps <paramref name="from"/> to <paramref name="to"/> of both, the expected one's gradients clipped first when asked.</summary>
    private static void StepBoth(FirstOrderOptimizer expected, FirstOrderOptimizer actual, Tensor[] a, Tensor[] b, int from, int to, double? clip = null)
    {
        for (int t = from; t < to; t++)
        {
            GiveGradients(a, b, t);
            if (clip is double maxNorm) GradientClipping.ClipGradNorm(expected.Parameters(), maxNorm);
            expected.Step();
            actual.Step();
        }
    }

    /// <summary>The same gradients to both sets; some parameters skip some steps (a null gradient), as in real training.</summary>
    private static void GiveGradients(Tensor[] a, Tensor[] b, int t)
    {
        for (int i = 0; i < a.Length; i++)
        {
            bool skip = (t + i) % 5 == 4;
            a[i].Grad = skip ? null : OptimizerTable.Gradient(a[i], t, i);
            b[i].Grad = skip ? null : OptimizerTable.Gradient(b[i], t, i);
        }
    }

    internal static void AssertSameState(Optimizer expected, Optimizer actual, Tensor[] a, Tensor[] b, string what)
    {
        for (int i = 0; i < a.Length; i++)
        {
            AssertSameBits(a[i], b[i], $"{what}: parameter {i}");
            var (s, u) = (expected.StateOf(a[i]), actual.StateOf(b[i]));
            Assert.True((s is null) == (u is null), $"{what}: state of parameter {i}");
            if (s is null || u is null) continue;
            Assert.Equal(s.Step, u.Step);
            Assert.Equal(s.Tensors.Keys.Order(), u.Tensors.Keys.Order());
            foreach (var (name, tensor) in s.Tensors) AssertSameBits(tensor, u.Tensors[name], $"{what}: {name} of parameter {i}");
        }
    }

    private static void AssertSameStateDict(OptimizerStateDict expected, OptimizerStateDict actual, string what)
    {
        Assert.Equal(expected.ParamGroups.Count, actual.ParamGroups.Count);
        for (int g = 0; g < expected.ParamGroups.Count; g++)
        {
            var (e, a) = (expected.ParamGroups[g], actual.ParamGroups[g]);
            Assert.Equal(e.Params, a.Params);
            Assert.Equal(e.Hyperparameters.Keys.Order(), a.Hyperparameters.Keys.Order());
            foreach (var (key, value) in e.Hyperparameters) Assert.Equal(value, a.Hyperparameters[key]);
        }
        Assert.Equal(expected.State.Keys, actual.State.Keys);
        foreach (var (index, state) in expected.State)
        {
            Assert.Equal(state.Step, actual.State[index].Step);
            Assert.Equal(state.Numbers, actual.State[index].Numbers);
            Assert.Equal(state.Tensors.Keys.Order(), actual.State[index].Tensors.Keys.Order());
            foreach (var (name, tensor) in state.Tensors) AssertSameBits(tensor, actual.State[index].Tensors[name], $"{what}: state {index} {name}");
        }
    }

    internal static void AssertSameBits(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(expected.ShapeArray, actual.ShapeArray);
        bool same = expected.DType == DType.Float32
            ? MemoryMarshal.AsBytes(expected.ToArray<float>().AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(actual.ToArray<float>().AsSpan()))
            : MemoryMarshal.AsBytes(expected.ToArray<double>().AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(actual.ToArray<double>().AsSpan()));
        Assert.True(same, $"{what}: the bits differ");
    }
}
