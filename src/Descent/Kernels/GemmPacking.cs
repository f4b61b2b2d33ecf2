using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Descent.Kernels;

/// <summary>
/// A strided read-only matrix op(X) for GEMM: element (i, j) is at p[i*ld + j], or at p[j*ld + i] when transposed.
/// </summary>
internal readonly unsafe struct MatrixRef<T>(T* p, nint ld, bool transposed) where T : unmanaged
{
    public readonly T* P = p;
    public readonly nint Ld = ld;
    public readonly bool Transposed = transposed;

    /// <summary>The same matrix without its first <paramref name="i"/> rows (rows of op(X)).</summary>
    public MatrixRef<T> SkipRows(int i) => new(Transposed ? P + i : P + i * Ld, Ld, Transposed);

    /// <summary>The same matrix without its first <paramref name="j"/> columns (columns of op(X)).</summary>
    public MatrixRef<T> SkipCols(int j) => new(Transposed ? P + j * Ld : P + j, Ld, Transposed);
}

/// <summary>
/// Packing of A and B blocks into the panel layouts the micro-kernels read sequentially: A in panels of Mr rows
/// (a[panel][p][r]), B in panels of Nr columns (b[panel][p][c]); partial panels are padded with zeros (the padded
/// rows/columns only feed outputs that are thrown away).
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs op(A)[i0..i0+mc, p0..p0+kc] into <paramref name="dst"/> (RoundUp(mc, mr)·kc elements).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<T>(MatrixRef<T> a, int i0, int p0, int mc, int kc, int mr, T* dst) where T : unmanaged
    {
        if (a.Transposed)
        {
            // op(A)(i, p) = A[p*ld + i]: for each p the mc values are one contiguous run.
            Scatter(a.P + (nint)p0 * a.Ld + i0, a.Ld, kc, mc, mr, dst);
            return;
        }
        // op(A)(i, p) = A[i*ld + p]: each source row is contiguous in p, so panels are transposed in.
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            T* d = dst + (nint)ir * kc;
            if (rows < mr) new Span<T>(d, mr * kc).Clear();
            GemmTranspose.Interleave(a.P + (nint)(i0 + ir) * a.Ld + p0, a.Ld, rows, kc, mr, d);
        }
    }

    /// <summary>Packs op(B)[p0..p0+kc, j0..j0+nc] into <paramref name="dst"/> (kc·RoundUp(nc, nr) elements).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<T>(MatrixRef<T> b, int p0, int j0, int kc, int nc, int nr, T* dst) where T : unmanaged
    {
        if (!b.Transposed)
        {
            // op(B)(p, j) = B[p*ld + j]: for each p the nc values are one contiguous run.
            Scatter(b.P + (nint)p0 * b.Ld + j0, b.Ld, kc, nc, nr, dst);
            return;
        }
        // op(B)(p, j) = B[j*ld + p]: each source row is contiguous in p, so panels are transposed in.
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            T* d = dst + (nint)jr * kc;
            if (cols < nr) new Span<T>(d, nr * kc).Clear();
            GemmTranspose.Interleave(b.P + (nint)(j0 + jr) * b.Ld + p0, b.Ld, cols, kc, nr, d);
        }
    }

    /// <summary>
    /// Splits kc source rows (row p at src + p·ld, <paramref name="width"/> long) into panels of
    /// <paramref name="w"/>: dst[(q / w)·w·kc + p·w + q % w] = src[p·ld + q]; the last partial panel is zero-padded.
    /// Panel by panel, so that writes are sequential: going p by p instead writes one line per panel, often 4 KiB
    /// apart, and those lines fight over the same L1 set.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scatter<T>(T* src, nint ld, int kc, int width, int w, T* dst) where T : unmanaged
    {
        int bytes = w * sizeof(T);
        nint ldBytes = ld * sizeof(T);
        for (int q = 0; q < width; q += w)
        {
            int count = Math.Min(w, width - q);
            byte* s = (byte*)(src + q);
            byte* d = (byte*)(dst + (nint)q * kc);
            byte* end = d + (nint)kc * bytes;
            if (count < w)
            {
                new Span<T>(d, w * kc).Clear();
                for (; d < end; s += ldBytes, d += bytes) Copy((T*)s, (T*)d, count);
                continue;
            }
            // The panel widths of the kernels, as straight-line vector copies (a generic loop costs more than the copy).
            switch (Vector256.IsHardwareAccelerated ? bytes : 0)
            {
                case 32:
                    for (; d < end; s += ldBytes, d += 32) Vector256.Store(Vector256.Load(s), d);
                    break;
                case 64:
                    for (; d < end; s += ldBytes, d += 64)
                    {
                        Vector256.Store(Vector256.Load(s), d);
                        Vector256.Store(Vector256.Load(s + 32), d + 32);
                    }
                    break;
                case 128:
                    for (; d < end; s += ldBytes, d += 128)
                    {
                        Vector256.Store(Vector256.Load(s), d);
                        Vector256.Store(Vector256.Load(s + 32), d + 32);
                        Vector256.Store(Vector256.Load(s + 64), d + 64);
                        Vector256.Store(Vector256.Load(s + 96), d + 96);
                    }
                    break;
                default:
                    for (; d < end; s += ldBytes, d += bytes) Copy((T*)s, (T*)d, w);
                    break;
            }
        }
    }

    /// <summary>Copies one panel row (a tile width: 16 to 128 bytes): 32-byte vectors where accelerated, 16-byte ones, then elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy<T>(T* src, T* dst, int count) where T : unmanaged
    {
        int bytes = count * sizeof(T), i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 32 <= bytes; i += 32) Vector256.Store(Vector256.Load((byte*)src + i), (byte*)dst + i);
        for (; i + 16 <= bytes; i += 16) Vector128.Store(Vector128.Load((byte*)src + i), (byte*)dst + i);
        for (int e = i / sizeof(T); e < count; e++) dst[e] = src[e];
    }
}

/// <summary>
/// A per-thread, pinned, 64-byte-aligned scratch buffer that grows on demand and is reused across calls, so that
/// steady-state GEMM calls allocate nothing.
/// </summary>
internal sealed unsafe class PackBuffer<T> where T : unmanaged
{
    [ThreadStatic] private static PackBuffer<T>? t_a;
    [ThreadStatic] private static PackBuffer<T>? t_b;

    private T[]? _array;
    private T* _aligned;
    private int _capacity;

    /// <summary>This thread's buffer for packed A blocks.</summary>
    public static PackBuffer<T> ForA => t_a ??= new PackBuffer<T>();

    /// <summary>This thread's buffer for packed B blocks.</summary>
    public static PackBuffer<T> ForB => t_b ??= new PackBuffer<T>();

    /// <summary>A pointer to at least <paramref name="length"/> elements, valid until the next call on this buffer.</summary>
    public T* Get(int length)
    {
        if (length > _capacity)
        {
            int pad = 64 / sizeof(T);
            _array = GC.AllocateUninitializedArray<T>(length + pad, pinned: true);
            nint start = (nint)Unsafe.AsPointer(ref _array[0]);
            _aligned = (T*)((start + 63) & ~(nint)63);
            _capacity = length;
        }
        return _aligned;
    }
}
