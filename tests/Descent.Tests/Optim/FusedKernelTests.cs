using System.Numerics;
using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>
/// The fused driver's vector form of every elementwise rule gives exactly the numbers of the same rule's scalar form
/// (the reference, forced with <see cref="Descent.Kernels.UpdateKernels.ScalarOnly"/>): parameters and every state
/// buffer, for float32 and float64, for every registry entry and valid configuration, at every length around the vector
/// widths and past the parallel threshold.
/// </summary>
/// <remarks>
/// <para>This pins the vector form to the scalar form; the scalar form's arithmetic is pinned to PyTorch's by the
/// conformance suites (every case of <c>reference/optim-*.json</c>, whose small tensors run mostly through the scalar
/// tail), and each rule's order of operations is written from PyTorch's single-tensor code.</para>
/// <para>Its large tensors use the worker threads, so it shares a collection with the allocation tests.</para>
/// </remarks>
[Collection(nameof(AllocationTests))]
public class FusedKernelTests
{
    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in OptimizerTable.Factories.Keys)
        {
            data.Add(name, false);
            data.Add(name, true);
        }
        return data;
    }

    // Around the vector widths (4, 8, 16), plus one length past the parallel threshold with a ragged last chunk.
    private static readonly int[] Lengths = [.. Enumerable.Range(0, 40), 1000, (1 << 17) + 37];

    [Theory]
    [MemberData(nameof(Cases))]
    public void VectorFormMatchesScalarForm(string name, bool float64)
    {
        var make = OptimizerTable.Factories[name];
        foreach (int n in Lengths)
        {
            if (float64) Compare<double>(make, n, name);
            else Compare<float>(make, n, name);
        }
    }

    /// <summary>A rule whose two forms differ on purpose: the scalar form adds 1, the vector form 2; it records g in s0.</summary>
    private readonly struct MarkerRule : Descent.Kernels.IUpdateRule<float>
    {
        public float Update(float theta, float g, ref float s0, ref float s1, ref float s2)
        {
            s0 = g;
            s1 += 1;
            return theta + 1;
        }

        public Vector<float> Update(Vector<float> theta, Vector<float> g, ref Vector<float> s0, ref Vector<float> s1, ref Vector<float> s2)
        {
            s0 = g;
            s1 += Vector<float>.One;
            return theta + new Vector<float>(2);
        }
    }

    /// <summary>
    /// The driver sends whole vectors (two at a time, then one) to the vector form and the tail to the scalar form, gives
    /// the rule −g when maximizing, touches only the state buffers it has, and with the scalar switch uses the scalar form
    /// alone: checked with a rule whose two forms disagree.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(37)]
    [InlineData(1000)]
    public void DriverSplitsVectorsAndTail(int n)
    {
        foreach (bool scalarOnly in new[] { false, true })
        {
            var p = new float[n];
            var g = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
            var s0 = new float[n];
            var s1 = new float[n];
            var k = new Descent.Kernels.UpdateKernel<float, MarkerRule>
            {
                P = p, G = g, S0 = s0, S1 = s1, S2 = [], Has0 = true, Has1 = true, Maximize = true, ScalarOnly = scalarOnly,
            };
            k.Run(0, n);
            int vectorised = scalarOnly || !Vector.IsHardwareAccelerated ? 0 : n / Vector<float>.Count * Vector<float>.Count;
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(i < vectorised ? 2f : 1f, p[i]);
                Assert.Equal(-(float)i, s0[i]);
                Assert.Equal(1f, s1[i]);
            }
        }
    }

    private static void Compare<T>(Func<IEnumerable<Tensor>, FirstOrderOptimizer> make, int n, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dtype = typeof(T) == typeof(float) ? DType.Float32 : DType.Float64;
        var p = OptimizerTable.Parameters(dtype, [n])[0];
        var q = OptimizerTable.Parameters(dtype, [n])[0];
        var vector = make([p]);
        var scalar = make([q]);
        for (int t = 0; t < 4; t++)
        {
            // Some gradients repeat sign and some flip, so Rprop takes both branches.
            p.Grad = OptimizerTable.Gradient(p, t % 2 == 0 ? 0 : t, 0);
            q.Grad = OptimizerTable.Gradient(q, t % 2 == 0 ? 0 : t, 0);
            vector.Step();
            using (Descent.Kernels.UpdateKernels.ScalarOnly()) scalar.Step();
        }
        Assert.True(q.ToArray<T>().AsSpan().SequenceEqual(p.ToArray<T>()), $"{name} {dtype.Name()} n={n}: parameters differ");
        var expected = scalar.StateOf(q)!;
        var actual = vector.StateOf(p)!;
        Assert.Equal(expected.Tensors.Keys.Order(), actual.Tensors.Keys.Order());
        foreach (var (buffer, values) in expected.Tensors)
            Assert.True(values.ToArray<T>().AsSpan().SequenceEqual(actual.Tensors[buffer].ToArray<T>()), $"{name} {dtype.Name()} n={n}: state {buffer} differs");
        Assert.Equal(expected.Step, actual.Step);
    }
}

/// <summary>The parallel split does not change any number: one thread and all cores give the same bits.</summary>
/// <remarks>It changes the process-wide thread count and parallel threshold, so it runs alone with the other thread-count tests.</remarks>
[Collection(ThreadCountCollection.Name)]
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
