using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Descent.Kernels;

/// <summary>Which micro-kernel a GEMM call uses.</summary>
public enum GemmKernelKind
{
    /// <summary>The fastest one this machine supports.</summary>
    Auto,
    /// <summary>AVX + FMA, 256-bit vectors (float32 6×16, float64 6×8 tiles).</summary>
    Fma256,
    /// <summary>AVX-512F, 512-bit vectors and 32 registers (float32 8×32, float64 8×16 tiles).</summary>
    Fma512,
    /// <summary>Vector128 multiply-then-add; runs everywhere.</summary>
    Portable,
}

/// <summary>
/// General matrix multiply on row-major spans: C = op(A)·op(B) or C += op(A)·op(B), where op(X) is X or Xᵀ. Packed,
/// cache-blocked and register-tiled (see <see cref="GemmDriver{T, TKernel}"/>); large products are split over threads
/// by blocks of rows or columns of C, never along K, so results are bit-identical whatever the number of threads.
/// Shape-driven special cases: a single row or column of C streams the other operand instead of packing it, and a C
/// with few columns is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ so that the register tile is not mostly padding.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>Below this many multiply-adds (m·n·k) a product runs on the calling thread.</summary>
    internal const long ParallelThreshold = 1L << 20;

    /// <summary>C[m,n] = A[m,k] · B[k,n] (added to C when <paramref name="accumulate"/>), all row-major and contiguous.</summary>
    public static void Multiply<T>(int m, int n, int k, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Multiply(false, false, m, n, k, a, k, b, n, c, n, accumulate);

    /// <summary>
    /// C[m,n] = op(A)·op(B) (added to C when <paramref name="accumulate"/>). Row-major with leading dimensions: A is
    /// stored m×k with row stride <paramref name="lda"/> (k×m when <paramref name="transA"/>), B is stored k×n with row
    /// stride <paramref name="ldb"/> (n×k when <paramref name="transB"/>), C is m×n with row stride <paramref name="ldc"/>.
    /// C must not overlap A or B. <paramref name="maxThreads"/> ≤ 0 means <see cref="Parallelism.MaxThreads"/>.
    /// </summary>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<T> a, int lda,
        ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate = false, int maxThreads = 0,
        GemmKernelKind kernel = GemmKernelKind.Auto)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CheckOperand(a.Length, transA ? k : m, transA ? m : k, lda, nameof(a), nameof(lda));
        CheckOperand(b.Length, transB ? n : k, transB ? k : n, ldb, nameof(b), nameof(ldb));
        CheckOperand(c.Length, m, n, ldc, nameof(c), nameof(ldc));
        if (m == 0 || n == 0) return;
        if (c.Overlaps(a) || c.Overlaps(b)) throw new ArgumentException("c must not overlap a or b", nameof(c));
        if (kernel == GemmKernelKind.Auto) kernel = BestKernel;
        if (!IsSupported(kernel)) throw new NotSupportedException($"the {kernel} GEMM kernel needs instructions this CPU lacks");

        if (m == 1 && k > 0 && (!transB || !transA || lda == 1))
        {
            RowTimesMatrix(transA, n, k, a, lda, transB, b, ldb, c, accumulate);
            return;
        }
        if (n == 1 && k > 0 && ldc == 1 && (transA || transB || ldb == 1))
        {
            // A single column of C is the single row of Cᵀ = op(B)ᵀ·op(A)ᵀ.
            RowTimesMatrix(!transB, m, k, b, ldb, !transA, a, lda, c, accumulate);
            return;
        }

        fixed (T* pa = a, pb = b, pc = c)
        {
            var ar = new MatrixRef<T>(pa, lda, transA);
            var br = new MatrixRef<T>(pb, ldb, transB);
            // Few columns and more rows: most of a tile would be padding, so compute Cᵀ = op(B)ᵀ·op(A)ᵀ instead and
            // store it transposed. Decided by the shape alone, so still independent of the number of threads.
            bool transC = n < TileOf<T>(kernel).Nr / 2 && m > n;
            if (transC)
            {
                (m, n) = (n, m);
                (ar, br) = (new MatrixRef<T>(pb, ldb, !transB), new MatrixRef<T>(pa, lda, !transA));
            }
            int threads = Parallelism.Resolve(maxThreads);
            if (threads <= 1 || (long)m * n * k < ParallelThreshold)
            {
                RunSerial(kernel, m, n, k, ar, br, pc, ldc, accumulate, transC);
                return;
            }
            RunParallel(kernel, threads, m, n, k, ar, br, pc, ldc, accumulate, transC);
        }
    }

    /// <summary>
    /// Runs the product as independent blocks of C on up to <paramref name="threads"/> threads (kept out of
    /// <see cref="Multiply{T}(bool, bool, int, int, int, ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, Span{T}, int, bool, int, GemmKernelKind)"/>
    /// so that the closure is only allocated when the work is parallel).
    /// </summary>
    private static void RunParallel<T>(GemmKernelKind kernel, int threads, int m, int n, int k, MatrixRef<T> a, MatrixRef<T> b, T* c, nint ldc, bool accumulate, bool transC)
        where T : unmanaged
    {
        var (mr, nr) = TileOf<T>(kernel);
        // Parts are handed out as threads become free, so with several parts per thread a thread that starts late (on a
        // machine shared with other work) takes fewer of them instead of holding up the whole product. But every part
        // packs its own panels of A and B: at the MLP's sizes (4M-26M multiply-adds) 4 parts per thread cost 9-14% more
        // work than one part, 2 per thread 5-9%, 1 per thread 1-4%. So a product gets one part per thread for every 16M
        // multiply-adds, at least one and at most four.
        int parts = threads * (int)Math.Clamp(((long)m * n * k) >> 24, 1, 4);
        var (rowsPer, colsPer, rowParts, colParts) = Split(m, n, parts, mr, nr);
        nint cAddress = (nint)c;
        Parallelism.For(rowParts * colParts, threads, part =>
        {
            int r0 = part / colParts * rowsPer, c0 = part % colParts * colsPer;
            int rows = Math.Min(rowsPer, m - r0), cols = Math.Min(colsPer, n - c0);
            if (rows <= 0 || cols <= 0) return;
            T* cPart = transC ? (T*)cAddress + (nint)c0 * ldc + r0 : (T*)cAddress + (nint)r0 * ldc + c0;
            RunSerial(kernel, rows, cols, k, a.SkipRows(r0), b.SkipCols(c0), cPart, ldc, accumulate, transC);
        });
    }

    /// <summary>
    /// A single row of C (a vector-matrix product, e.g. a batch of one): packing B for one row of A would cost as much
    /// as the product, so B is streamed once instead: c += a[p]·B[p, :] for p in order, or c[j] = a·B[j, :] when B is
    /// read transposed. Always on one thread, so as deterministic as the blocked path.
    /// </summary>
    private static void RowTimesMatrix<T>(bool transA, int n, int k, ReadOnlySpan<T> a, int lda, bool transB, ReadOnlySpan<T> b, int ldb, Span<T> c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var row = c[..n];
        if (transB)
        {
            // c[j] += A[0, :]·B[j, :], A's row contiguous (checked by the caller).
            var x = a[..k];
            for (int j = 0; j < n; j++)
            {
                T dot = TensorPrimitives.Dot(x, b.Slice(j * ldb, k));
                row[j] = accumulate ? row[j] + dot : dot;
            }
            return;
        }
        if (!accumulate) row.Clear();
        for (int p = 0; p < k; p++)
        {
            T ap = transA ? a[p * lda] : a[p];
            TensorPrimitives.FusedMultiplyAdd(b.Slice(p * ldb, n), ap, row, row);
        }
    }

    /// <summary>
    /// Splits C into rowParts × colParts blocks (rowParts·colParts = parts, blocks aligned to the register tile),
    /// choosing the factorisation with the least work per thread (tile area plus packing).
    /// </summary>
    internal static (int RowsPer, int ColsPer, int RowParts, int ColParts) Split(int m, int n, int parts, int mr, int nr)
    {
        var best = (RowsPer: m, ColsPer: n, RowParts: 1, ColParts: 1);
        long bestCost = long.MaxValue;
        for (int rp = 1; rp <= parts; rp++)
        {
            if (parts % rp != 0) continue;
            int cp = parts / rp;
            int rowsPer = RoundUp(CeilDiv(m, rp), mr), colsPer = RoundUp(CeilDiv(n, cp), nr);
            long cost = (long)rowsPer * colsPer + 8L * (rowsPer + colsPer);
            if (cost < bestCost)
            {
                bestCost = cost;
                best = (rowsPer, colsPer, CeilDiv(m, rowsPer), CeilDiv(n, colsPer));
            }
        }
        return best;
    }

    /// <summary>
    /// The kernel <see cref="GemmKernelKind.Auto"/> picks on this machine: the environment variable
    /// <c>DESCENT_GEMM_KERNEL</c> (Fma512, Fma256 or Portable) if it names a supported kernel, else the widest supported.
    /// </summary>
    public static GemmKernelKind BestKernel { get; } = ChooseKernel(Environment.GetEnvironmentVariable("DESCENT_GEMM_KERNEL"));

    /// <summary>The kernel named by <paramref name="forced"/> if it is one this machine supports, else the widest supported.</summary>
    internal static GemmKernelKind ChooseKernel(string? forced) =>
        Enum.TryParse(forced, ignoreCase: true, out GemmKernelKind k) && k != GemmKernelKind.Auto && IsSupported(k) ? k
        : IsSupported(GemmKernelKind.Fma512) ? GemmKernelKind.Fma512
        : IsSupported(GemmKernelKind.Fma256) ? GemmKernelKind.Fma256
        : GemmKernelKind.Portable;

    /// <summary>Whether this machine can run <paramref name="kernel"/>.</summary>
    public static bool IsSupported(GemmKernelKind kernel) => kernel switch
    {
        GemmKernelKind.Fma512 => Avx512F.IsSupported && Vector512.IsHardwareAccelerated,
        GemmKernelKind.Fma256 => Fma.IsSupported,
        _ => true,
    };

    private static void RunSerial<T>(GemmKernelKind kernel, int m, int n, int k, MatrixRef<T> a, MatrixRef<T> b, T* c, nint ldc, bool accumulate, bool transC)
        where T : unmanaged
    {
        if (kernel == GemmKernelKind.Fma512 && typeof(T) == typeof(float))
            GemmDriver<float, Fma512SingleKernel>.Run(m, n, k, Unsafe.As<MatrixRef<T>, MatrixRef<float>>(ref a),
                Unsafe.As<MatrixRef<T>, MatrixRef<float>>(ref b), (float*)c, ldc, accumulate, transC);
        else if (kernel == GemmKernelKind.Fma512 && typeof(T) == typeof(double))
            GemmDriver<double, Fma512DoubleKernel>.Run(m, n, k, Unsafe.As<MatrixRef<T>, MatrixRef<double>>(ref a),
                Unsafe.As<MatrixRef<T>, MatrixRef<double>>(ref b), (double*)c, ldc, accumulate, transC);
        else if (kernel == GemmKernelKind.Fma256 && typeof(T) == typeof(float))
            GemmDriver<float, Fma256SingleKernel>.Run(m, n, k, Unsafe.As<MatrixRef<T>, MatrixRef<float>>(ref a),
                Unsafe.As<MatrixRef<T>, MatrixRef<float>>(ref b), (float*)c, ldc, accumulate, transC);
        else if (kernel == GemmKernelKind.Fma256 && typeof(T) == typeof(double))
            GemmDriver<double, Fma256DoubleKernel>.Run(m, n, k, Unsafe.As<MatrixRef<T>, MatrixRef<double>>(ref a),
                Unsafe.As<MatrixRef<T>, MatrixRef<double>>(ref b), (double*)c, ldc, accumulate, transC);
        else
            GemmDriver<T, PortableKernel<T>>.Run(m, n, k, a, b, c, ldc, accumulate, transC);
    }

    private static (int Mr, int Nr) TileOf<T>(GemmKernelKind kernel) where T : unmanaged => kernel switch
    {
        GemmKernelKind.Fma512 when typeof(T) == typeof(float) => (Fma512SingleKernel.Mr, Fma512SingleKernel.Nr),
        GemmKernelKind.Fma512 => (Fma512DoubleKernel.Mr, Fma512DoubleKernel.Nr),
        GemmKernelKind.Fma256 when typeof(T) == typeof(float) => (Fma256SingleKernel.Mr, Fma256SingleKernel.Nr),
        GemmKernelKind.Fma256 => (Fma256DoubleKernel.Mr, Fma256DoubleKernel.Nr),
        _ => (PortableKernel<T>.Mr, PortableKernel<T>.Nr),
    };

    private static void CheckOperand(int length, int rows, int cols, int ld, string name, string ldName)
    {
        if (ld < cols || ld < 0)
            throw new ArgumentOutOfRangeException(ldName, ld, $"{ldName} must be >= {cols} for a stored {rows}x{cols} matrix, got {ld}");
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"{name} holds {length} elements, but a {rows}x{cols} matrix with row stride {ld} needs {needed}", name);
    }

    private static int CeilDiv(int x, int y) => (x + y - 1) / y;

    private static int RoundUp(int x, int multiple) => CeilDiv(x, multiple) * multiple;
}
