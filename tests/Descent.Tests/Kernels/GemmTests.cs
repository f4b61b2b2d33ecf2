using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Descent.Kernels;

namespace Descent.Tests.Kernels;

[Collection(ThreadCountCollection.Name)]
public class GemmTests
{
    private static readonly int[] Sizes = [1, 5, 17, 63, 65, 129];
    /// <summary>Every kernel this machine can run (the portable one runs everywhere), so each SIMD path is tested.</summary>
    private static readonly GemmKernelKind[] Kinds =
        [.. new[] { GemmKernelKind.Fma512, GemmKernelKind.Fma256, GemmKernelKind.Portable }.Where(Gemm.IsSupported)];

    public static TheoryData<int, int, int> AllShapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int m in Sizes) foreach (int n in Sizes) foreach (int k in Sizes) data.Add(m, n, k);
        return data;
    }

    public static TheoryData<bool, bool, bool, int, int, int> TransposedCases()
    {
        var data = new TheoryData<bool, bool, bool, int, int, int>();
        (int, int, int)[] shapes = [(1, 1, 1), (5, 17, 63), (65, 129, 17), (129, 65, 300), (150, 33, 513), (7, 200, 3)];
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                foreach (bool acc in new[] { false, true })
                    foreach (var (m, n, k) in shapes) data.Add(ta, tb, acc, m, n, k);
        return data;
    }

    [Theory, MemberData(nameof(AllShapes))]
    public void Multiply_matches_naive_loop(int m, int n, int k)
    {
        foreach (var kind in Kinds)
        {
            Check<float>(false, false, m, n, k, accumulate: false, kind, pad: 0);
            Check<double>(false, false, m, n, k, accumulate: false, kind, pad: 0);
        }
    }

    [Theory, MemberData(nameof(TransposedCases))]
    public void Transposed_strided_and_accumulating_products_match_naive_loop(bool transA, bool transB, bool accumulate, int m, int n, int k)
    {
        foreach (var kind in Kinds)
        {
            Check<float>(transA, transB, m, n, k, accumulate, kind, pad: 3);
            Check<double>(transA, transB, m, n, k, accumulate, kind, pad: 3);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Single_row_and_single_column_products_match_naive_loop(bool transA, bool transB)
    {
        foreach (bool accumulate in new[] { false, true })
        {
            Check<float>(transA, transB, 1, 37, 29, accumulate, GemmKernelKind.Auto, pad: 0);
            Check<double>(transA, transB, 37, 1, 29, accumulate, GemmKernelKind.Auto, pad: 0);
            Check<float>(transA, transB, 37, 1, 300, accumulate, GemmKernelKind.Auto, pad: 2);
        }
    }

    [Theory]
    [InlineData(150, 2100, 520)]  // beyond Mc, Nc and two K blocks; large enough to run in parallel
    [InlineData(300, 40, 700)]
    public void Products_larger_than_every_cache_block_match_naive_loop(int m, int n, int k)
    {
        Check<float>(false, false, m, n, k, accumulate: true, GemmKernelKind.Auto, pad: 1);
        Check<double>(true, true, m, n, k, accumulate: false, GemmKernelKind.Auto, pad: 0);
    }

    [Fact]
    public void Unsupported_kernel_is_refused_and_auto_picks_a_supported_one()
    {
        Assert.True(Gemm.IsSupported(Gemm.BestKernel));
        Assert.True(Gemm.IsSupported(GemmKernelKind.Portable));
        Assert.Equal(GemmKernelKind.Portable, Gemm.ChooseKernel("portable"));
        var widest = Gemm.ChooseKernel(null);
        var expected = Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? GemmKernelKind.Fma512
            : Fma.IsSupported ? GemmKernelKind.Fma256 : GemmKernelKind.Portable;
        Assert.Equal(expected, widest);
        Assert.Equal(widest, Gemm.ChooseKernel("no such kernel"));
        Assert.Equal(widest, Gemm.ChooseKernel("Auto"));
        foreach (var kind in new[] { GemmKernelKind.Fma512, GemmKernelKind.Fma256 }.Where(k => !Gemm.IsSupported(k)))
            Assert.Throws<NotSupportedException>(() => Gemm.Multiply<float>(false, false, 1, 1, 1, [1f], 1, [1f], 1, new float[1], 1, kernel: kind));
    }

    [Fact]
    public void Small_products_allocate_nothing_once_warm()
    {
        var a = new float[40 * 30];
        var b = new float[30 * 50];
        var c = new float[40 * 50];
        foreach (var kind in Kinds)
        {
            foreach (int n in new[] { 50, 3 })  // 3 columns: the transposed-C path
            {
                Gemm.Multiply<float>(false, true, 40, n, 30, a, 30, b, 30, c, n, accumulate: true, kernel: kind);
                long before = GC.GetAllocatedBytesForCurrentThread();
                Gemm.Multiply<float>(false, true, 40, n, 30, a, 30, b, 30, c, n, accumulate: true, kernel: kind);
                Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            }
        }
    }

    [Fact]
    public void Contiguous_overload_matches_naive_loop()
    {
        var rng = new Random(7);
        int m = 9, n = 21, k = 33;
        var a = Random<float>(rng, m * k);
        var b = Random<float>(rng, k * n);
        var c = new float[m * n];
        Gemm.Multiply<float>(m, n, k, a, b, c);
        var expected = Naive(false, false, m, n, k, a, k, b, n, null, n);
        for (int i = 0; i < c.Length; i++) Assert.Equal(expected[i], c[i], 1e-4);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Empty_inner_dimension_gives_zero_or_leaves_c(bool accumulate)
    {
        var c = new[] { 1.0, 2.0, 3.0, 4.0 };
        Gemm.Multiply<double>(2, 2, 0, [], [], c, accumulate);
        Assert.Equal(accumulate ? new[] { 1.0, 2.0, 3.0, 4.0 } : new double[4], c);
    }

    [Fact]
    public void Nan_in_an_operand_propagates()
    {
        var a = new[] { 0f, 1f };
        var b = new[] { float.NaN, 2f };
        var c = new float[1];
        Gemm.Multiply<float>(1, 1, 2, a, b, c);
        Assert.True(float.IsNaN(c[0]));
    }

    [Theory]
    [InlineData(200, 200, 200)]  // split by rows
    [InlineData(12, 700, 300)]   // split by columns
    [InlineData(131, 197, 263)]  // ragged blocks
    [InlineData(700, 12, 300)]   // few columns: Cᵀ computed and stored transposed
    public void Results_are_bit_identical_whatever_the_number_of_threads(int m, int n, int k)
    {
        Assert.True((long)m * n * k >= Gemm.ParallelThreshold);
        var (_, _, rowParts, colParts) = Gemm.Split(m, n, 2, 8, 32);
        Assert.Equal(2, rowParts * colParts);
        foreach (bool transB in new[] { false, true })
        {
            var f1 = Run<float>(m, n, k, transB, threads: 1);
            Assert.Equal(f1, Run<float>(m, n, k, transB, threads: 2));
            Assert.Equal(f1, Run<float>(m, n, k, transB, threads: 3));
            var d1 = Run<double>(m, n, k, transB, threads: 1);
            Assert.Equal(d1, Run<double>(m, n, k, transB, threads: 2));
        }
    }

    [Fact]
    public void MaxThreads_setting_is_used_and_validated()
    {
        int saved = Parallelism.MaxThreads;
        try
        {
            Parallelism.MaxThreads = 1;
            var one = Run<float>(200, 200, 200, false, threads: 0);
            Parallelism.MaxThreads = 2;
            Assert.Equal(2, Parallelism.MaxThreads);
            Assert.Equal(one, Run<float>(200, 200, 200, false, threads: 0));
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.MaxThreads = 0);
            Assert.Contains("got 0", ex.Message, StringComparison.Ordinal);
        }
        finally { Parallelism.MaxThreads = saved; }
    }

    [Fact]
    public void Invalid_arguments_are_rejected_with_their_values()
    {
        var a = new float[6];
        var b = new float[6];
        var c = new float[4];
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply<float>(-1, 2, 3, a, b, c));
        var shortA = Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(2, 2, 3, a.AsSpan(0, 5), b, c));
        Assert.Equal("a", shortA.ParamName);
        Assert.Contains("needs 6", shortA.Message, StringComparison.Ordinal);
        var ld = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply<float>(false, false, 2, 2, 3, a, 2, b, 2, c, 2));
        Assert.Equal("lda", ld.ParamName);
        var shortC = Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(2, 2, 3, a, b, c.AsSpan(0, 3)));
        Assert.Equal("c", shortC.ParamName);
        var overlap = new float[12];
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(2, 2, 3, overlap.AsSpan(0, 6), b, overlap.AsSpan(4, 4)));
    }

    private static T[] Run<T>(int m, int n, int k, bool transB, int threads) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Random(m * 1000 + n + k);
        var a = Random<T>(rng, m * k);
        var b = Random<T>(rng, k * n);
        var c = Random<T>(rng, m * n);
        Gemm.Multiply<T>(false, transB, m, n, k, a, k, b, transB ? k : n, c, n, accumulate: true, maxThreads: threads);
        return c;
    }

    private static void Check<T>(bool transA, bool transB, int m, int n, int k, bool accumulate, GemmKernelKind kind, int pad)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Random(HashCode.Combine(transA, transB, m, n, k, accumulate));
        int lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
        var a = Random<T>(rng, Math.Max(0, (transA ? k : m) * lda));
        var b = Random<T>(rng, Math.Max(0, (transB ? n : k) * ldb));
        var c = accumulate ? Random<T>(rng, m * ldc) : Enumerable.Repeat(T.NaN, m * ldc).ToArray();
        var before = (T[])c.Clone();
        var expected = Naive(transA, transB, m, n, k, a, lda, b, ldb, accumulate ? c : null, ldc);
        var bound = Naive(transA, transB, m, n, k, Abs(a), lda, Abs(b), ldb, accumulate ? Abs(c) : null, ldc);
        Gemm.Multiply<T>(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, kernel: kind);
        double eps = typeof(T) == typeof(float) ? 1e-6 : 1e-15;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                double got = double.CreateChecked(c[i * ldc + j]);
                if (j >= n)
                {
                    Assert.True(double.IsNaN(got) ? T.IsNaN(before[i * ldc + j]) : c[i * ldc + j] == before[i * ldc + j], $"padding at ({i},{j}) was written");
                    continue;
                }
                double want = expected[i * ldc + j], tol = 4 * eps * (k + 2) * bound[i * ldc + j] + 1e-30;
                if (!(Math.Abs(got - want) <= tol))
                    Assert.Fail($"{typeof(T).Name} {kind} transA={transA} transB={transB} acc={accumulate} {m}x{n}x{k}: C[{i},{j}] = {got}, expected {want} (tol {tol})");
            }
    }

    /// <summary>The textbook triple loop in double.</summary>
    private static double[] Naive<T>(bool transA, bool transB, int m, int n, int k, T[] a, int lda, T[] b, int ldb, T[]? c, int ldc)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var r = new double[m * ldc];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = c is null ? 0 : double.CreateChecked(c[i * ldc + j]);
                for (int p = 0; p < k; p++)
                    s += double.CreateChecked(transA ? a[p * lda + i] : a[i * lda + p]) * double.CreateChecked(transB ? b[j * ldb + p] : b[p * ldb + j]);
                r[i * ldc + j] = s;
            }
        return r;
    }

    private static T[] Abs<T>(T[] x) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => x.Select(T.Abs).ToArray();

    private static T[] Random<T>(Random rng, int count) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = new T[count];
        for (int i = 0; i < count; i++) x[i] = T.CreateChecked(rng.NextDouble() * 2 - 1);
        return x;
    }
}
