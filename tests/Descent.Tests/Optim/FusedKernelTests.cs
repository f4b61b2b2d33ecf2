using System.Numerics;
using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>
/// Each fused SIMD kernel (vector body, scalar tail, parallel chunks) gives exactly the numbers of the plain scalar
/// reference rule: parameters and every state buffer, for float32 and float64, at every length around the vector width
/// and past the parallel threshold.
/// </summary>
/// <remarks>Its large tensors use the worker threads, so it shares a collection with the allocation tests.</remarks>
[Collection(nameof(AllocationTests))]
public class FusedKernelTests
{
    private static readonly (string Name, Func<IEnumerable<Tensor>, Optimizer> Make, Func<object> Reference32, Func<object> Reference64)[] Rules =
    [
        Rule("SGD", p => new SGD(p, lr: 0.05), t => ReferenceRule<float>.Sgd(0.05, 0, 0, 0, false, false), t => ReferenceRule<double>.Sgd(0.05, 0, 0, 0, false, false)),
        Rule("Momentum", p => new Momentum(p, lr: 0.05, momentum: 0.9, dampening: 0.2, weightDecay: 0.01, maximize: true),
            t => ReferenceRule<float>.Sgd(0.05, 0.9, 0.2, 0.01, false, true), t => ReferenceRule<double>.Sgd(0.05, 0.9, 0.2, 0.01, false, true)),
        Rule("Nesterov", p => new Nesterov(p, lr: 0.05, momentum: 0.8, weightDecay: 0.01),
            t => ReferenceRule<float>.Sgd(0.05, 0.8, 0, 0.01, true, false), t => ReferenceRule<double>.Sgd(0.05, 0.8, 0, 0.01, true, false)),
        Rule("Momentum plain", p => new Momentum(p, lr: 0.05, momentum: 0.9, dampening: 0.2),
            t => ReferenceRule<float>.Sgd(0.05, 0.9, 0.2, 0, false, false), t => ReferenceRule<double>.Sgd(0.05, 0.9, 0.2, 0, false, false)),
        Rule("Nesterov plain", p => new Nesterov(p, lr: 0.05, momentum: 0.8),
            t => ReferenceRule<float>.Sgd(0.05, 0.8, 0, 0, true, false), t => ReferenceRule<double>.Sgd(0.05, 0.8, 0, 0, true, false)),
        Rule("Adagrad", p => new Adagrad(p, lr: 0.1, lrDecay: 0.05, weightDecay: 0.01, initialAccumulatorValue: 0.2, eps: 1e-6),
            t => ReferenceRule<float>.Adagrad(0.1, 0.05, 0.01, 0.2, 1e-6), t => ReferenceRule<double>.Adagrad(0.1, 0.05, 0.01, 0.2, 1e-6)),
        Rule("Adadelta", p => new Adadelta(p, lr: 0.7, rho: 0.85, eps: 1e-5, weightDecay: 0.02),
            t => ReferenceRule<float>.Adadelta(0.7, 0.85, 1e-5, 0.02), t => ReferenceRule<double>.Adadelta(0.7, 0.85, 1e-5, 0.02)),
        Rule("RMSprop", p => new RMSprop(p, lr: 0.01, alpha: 0.9, eps: 1e-6, weightDecay: 0.01, momentum: 0.7, centered: true),
            t => ReferenceRule<float>.Rmsprop(0.01, 0.9, 1e-6, 0.01, 0.7, true), t => ReferenceRule<double>.Rmsprop(0.01, 0.9, 1e-6, 0.01, 0.7, true)),
        Rule("RMSprop plain", p => new RMSprop(p, lr: 0.01),
            t => ReferenceRule<float>.Rmsprop(0.01, 0.99, 1e-8, 0, 0, false), t => ReferenceRule<double>.Rmsprop(0.01, 0.99, 1e-8, 0, 0, false)),
        Rule("Adam", p => new Adam(p, lr: 0.01, betas: (0.8, 0.95), eps: 1e-6, weightDecay: 0.01, amsgrad: true),
            t => ReferenceRule<float>.Adam(0.01, 0.8, 0.95, 1e-6, 0.01, true, false), t => ReferenceRule<double>.Adam(0.01, 0.8, 0.95, 1e-6, 0.01, true, false)),
        Rule("AdamW", p => new AdamW(p, lr: 0.01, weightDecay: 0.1),
            t => ReferenceRule<float>.Adam(0.01, 0.9, 0.999, 1e-8, 0.1, false, true), t => ReferenceRule<double>.Adam(0.01, 0.9, 0.999, 1e-8, 0.1, false, true)),
        Rule("Adamax", p => new Adamax(p, lr: 0.02, betas: (0.7, 0.9), eps: 1e-4, weightDecay: 0.01),
            t => ReferenceRule<float>.Adamax(0.02, 0.7, 0.9, 1e-4, 0.01), t => ReferenceRule<double>.Adamax(0.02, 0.7, 0.9, 1e-4, 0.01)),
        Rule("NAdam", p => new NAdam(p, lr: 0.02, betas: (0.7, 0.9), eps: 1e-4, weightDecay: 0.01, momentumDecay: 0.01),
            t => ReferenceRule<float>.Nadam(0.02, 0.7, 0.9, 1e-4, 0.01, 0.01), t => ReferenceRule<double>.Nadam(0.02, 0.7, 0.9, 1e-4, 0.01, 0.01)),
        Rule("RAdam", p => new RAdam(p, lr: 0.02, betas: (0.7, 0.9), eps: 1e-4, weightDecay: 0.01),
            t => ReferenceRule<float>.Radam(0.02, 0.7, 0.9, 1e-4, 0.01), t => ReferenceRule<double>.Radam(0.02, 0.7, 0.9, 1e-4, 0.01)),
        Rule("Rprop", p => new Rprop(p, lr: 0.02, etas: (0.4, 1.3), stepSizes: (1e-3, 0.05)),
            t => ReferenceRule<float>.Rprop(0.02, 0.4, 1.3, 1e-3, 0.05), t => ReferenceRule<double>.Rprop(0.02, 0.4, 1.3, 1e-3, 0.05)),
    ];

    private static (string, Func<IEnumerable<Tensor>, Optimizer>, Func<object>, Func<object>) Rule(
        string name, Func<IEnumerable<Tensor>, Optimizer> make, Func<int, object> r32, Func<int, object> r64) => (name, make, () => r32(0), () => r64(0));

    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var r in Rules)
        {
            data.Add(r.Name, false);
            data.Add(r.Name, true);
        }
        return data;
    }

    // Around the vector widths (4, 8, 16), plus one length past the parallel threshold with a ragged last chunk.
    private static readonly int[] Lengths = [.. Enumerable.Range(0, 40), 1000, (1 << 17) + 37];

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedKernelMatchesScalarReference(string name, bool float64)
    {
        var rule = Rules.Single(r => r.Name == name);
        foreach (int n in Lengths)
        {
            if (float64) Compare<double>(rule.Make, (ReferenceRule<double>)rule.Reference64(), n, name);
            else Compare<float>(rule.Make, (ReferenceRule<float>)rule.Reference32(), n, name);
        }
    }

    private static void Compare<T>(Func<IEnumerable<Tensor>, Optimizer> make, ReferenceRule<T> reference, int n, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dtype = typeof(T) == typeof(float) ? DType.Float32 : DType.Float64;
        var p = OptimizerTable.Parameters(dtype, [n])[0];
        var expected = p.ToArray<T>();
        var optimizer = make([p]);
        for (int t = 0; t < 4; t++)
        {
            // Some gradients repeat sign and some flip, so Rprop takes both branches.
            var g = OptimizerTable.Gradient(p, t % 2 == 0 ? 0 : t, 0);
            p.Grad = g;
            optimizer.Step();
            reference.Step(expected, g.ToArray<T>());
        }
        Assert.True(expected.AsSpan().SequenceEqual(p.ToArray<T>()), $"{name} {dtype.Name()} n={n}: parameters differ");
        var state = optimizer.StateOf(p)!;
        foreach (var (buffer, values) in reference.State)
            Assert.True(values.AsSpan().SequenceEqual(state.Tensors[buffer].ToArray<T>()), $"{name} {dtype.Name()} n={n}: state {buffer} differs");
        Assert.Equal(reference.State.Keys.Order(), state.Tensors.Keys.Order());
    }
}

/// <summary>The parallel split does not change any number: one thread and all cores give the same bits.</summary>
/// <remarks>It changes the parallel threshold, so it shares a collection with the allocation tests and never runs beside them.</remarks>
[Collection(nameof(AllocationTests))]
public class ParallelDeterminismTests
{
    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        double[] Run(int threshold)
        {
            int saved = Descent.Kernels.OptimParallel.Threshold;
            Descent.Kernels.OptimParallel.Threshold = threshold;
            try
            {
                var p = OptimizerTable.Parameters(DType.Float32, [300_001])[0];
                var adam = new Adam([p], lr: 0.01, amsgrad: true);
                for (int t = 0; t < 3; t++)
                {
                    p.Grad = OptimizerTable.Gradient(p, t, 0);
                    adam.Step();
                }
                return p.ToDoubleArray();
            }
            finally
            {
                Descent.Kernels.OptimParallel.Threshold = saved;
            }
        }
        Assert.True(Run(int.MaxValue).AsSpan().SequenceEqual(Run(1024)));
    }

    public static TheoryData<string> Names => OptimizerTable.Names();

    /// <summary>
    /// A step over several tensors of mixed sizes and dtypes runs as one batched job: on the calling thread alone, on all
    /// cores with small tensors handed out beside the chunks of large ones, and with one thread, every bit is the same.
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void BatchedStepsOverManyTensorsDoNotDependOnTheThreadCount(string name)
    {
        double[][] Run(int threshold, int threads)
        {
            int savedThreshold = Descent.Kernels.OptimParallel.Threshold, savedThreads = Descent.Kernels.Parallelism.MaxThreads;
            Descent.Kernels.OptimParallel.Threshold = threshold;
            Descent.Kernels.Parallelism.MaxThreads = threads;
            try
            {
                var ps = OptimizerTable.Parameters(DType.Float32, [70_001], [5], [3, 1000], [1 << 16], [33]);
                var wide = OptimizerTable.Parameters(DType.Float64, [40_000]);
                var all = ps.Concat(wide).ToArray();
                var optimizer = OptimizerTable.Factories[name](all);
                for (int t = 0; t < 3; t++)
                {
                    for (int i = 0; i < all.Length; i++) all[i].Grad = OptimizerTable.Gradient(all[i], t, i);
                    optimizer.Step();
                }
                return [.. all.Select(p => p.ToDoubleArray())];
            }
            finally
            {
                Descent.Kernels.OptimParallel.Threshold = savedThreshold;
                Descent.Kernels.Parallelism.MaxThreads = savedThreads;
            }
        }
        var sequential = Run(int.MaxValue, 1);
        foreach (var (threshold, threads) in new[] { (1024, 2), (1024, Environment.ProcessorCount), (int.MaxValue, 2), (1024, 1) })
        {
            var other = Run(threshold, threads);
            for (int i = 0; i < sequential.Length; i++)
                Assert.True(sequential[i].AsSpan().SequenceEqual(other[i]), $"{name}: tensor {i} differs at threshold {threshold}, {threads} thread(s)");
        }
    }
}
