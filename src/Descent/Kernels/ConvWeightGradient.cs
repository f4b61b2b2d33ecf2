using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Descent.Kernels.VectorFma;

namespace Descent.Kernels;

/// <summary>
/// The weight gradient of a convolution with few column-matrix rows (e.g. a first layer on a one-channel image, 9 rows
/// for a 3×3 kernel): dW[o, r] += Σ_p g[o, p]·cols[r, p] as dot products over the long p axis. The blocked GEMM would
/// spend most of its time packing and padding such a thin product; here two rows of g at a time meet four rows of
/// cols at a time, all of which stay in the L1 cache. The result depends only on the shapes, never on the thread count.
/// </summary>
internal static class ConvWeightGradient
{
    /// <summary>Column-matrix row counts below this use <see cref="AccumulateThin{T}"/> instead of the GEMM.</summary>
    public const int ThinRows = 16;

    /// <summary>acc[o, r] (row stride <paramref name="rows"/>) += Σ_p g[o, p]·cols[r, p], for o &lt; outs, r &lt; rows, p &lt; length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateThin<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> cols, int outs, int rows, int length, Span<T> acc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.Length < outs * length || cols.Length < rows * length || acc.Length < outs * rows)
            throw new ArgumentException("conv weight gradient: operand too short");
        int o = 0;
        // Pairs of g rows against blocks of four cols rows: eight independent FMA chains, enough to hide the FMA
        // latency, and six loads per eight FMAs.
        for (; o + 2 <= outs; o += 2)
        {
            var g0 = g.Slice(o * length, length);
            var g1 = g.Slice((o + 1) * length, length);
            int r = 0;
            for (; r + 4 <= rows; r += 4)
            {
                var d = Dot2x4(g0, g1, cols.Slice(r * length), length);
                acc[o * rows + r] += d.A0; acc[o * rows + r + 1] += d.A1; acc[o * rows + r + 2] += d.A2; acc[o * rows + r + 3] += d.A3;
                acc[(o + 1) * rows + r] += d.B0; acc[(o + 1) * rows + r + 1] += d.B1; acc[(o + 1) * rows + r + 2] += d.B2; acc[(o + 1) * rows + r + 3] += d.B3;
            }
            for (; r < rows; r++)
            {
                var row = cols.Slice(r * length, length);
                acc[o * rows + r] += Dot1(g0, row);
                acc[(o + 1) * rows + r] += Dot1(g1, row);
            }
        }
        for (; o < outs; o++)
        {
            var gRow = g.Slice(o * length, length);
            for (int r = 0; r < rows; r++) acc[o * rows + r] += Dot1(gRow, cols.Slice(r * length, length));
        }
    }

    private readonly record struct Block<T>(T A0, T A1, T A2, T A3, T B0, T B1, T B2, T B3);

    /// <summary>The dot products of x and y with four consecutive rows (stride <paramref name="length"/>) of <paramref name="rows"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Block<T> Dot2x4<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> rows, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T px = ref MemoryMarshal.GetReference(x);
        ref T py = ref MemoryMarshal.GetReference(y);
        ref T p0 = ref MemoryMarshal.GetReference(rows);
        ref T p1 = ref Unsafe.Add(ref p0, length);
        ref T p2 = ref Unsafe.Add(ref p1, length);
        ref T p3 = ref Unsafe.Add(ref p2, length);
        var a0 = Vector<T>.Zero; var a1 = Vector<T>.Zero; var a2 = Vector<T>.Zero; var a3 = Vector<T>.Zero;
        var b0 = Vector<T>.Zero; var b1 = Vector<T>.Zero; var b2 = Vector<T>.Zero; var b3 = Vector<T>.Zero;
        int w = Vector<T>.Count, i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + w <= length; i += w)
            {
                var u = Vector.LoadUnsafe(ref px, (nuint)i);
                var v = Vector.LoadUnsafe(ref py, (nuint)i);
                var r0 = Vector.LoadUnsafe(ref p0, (nuint)i);
                var r1 = Vector.LoadUnsafe(ref p1, (nuint)i);
                a0 = Fma(u, r0, a0); b0 = Fma(v, r0, b0);
                a1 = Fma(u, r1, a1); b1 = Fma(v, r1, b1);
                var r2 = Vector.LoadUnsafe(ref p2, (nuint)i);
                var r3 = Vector.LoadUnsafe(ref p3, (nuint)i);
                a2 = Fma(u, r2, a2); b2 = Fma(v, r2, b2);
                a3 = Fma(u, r3, a3); b3 = Fma(v, r3, b3);
            }
        T sa0 = Vector.Sum(a0), sa1 = Vector.Sum(a1), sa2 = Vector.Sum(a2), sa3 = Vector.Sum(a3);
        T sb0 = Vector.Sum(b0), sb1 = Vector.Sum(b1), sb2 = Vector.Sum(b2), sb3 = Vector.Sum(b3);
        for (; i < length; i++)
        {
            T u = Unsafe.Add(ref px, i), v = Unsafe.Add(ref py, i);
            T r0 = Unsafe.Add(ref p0, i), r1 = Unsafe.Add(ref p1, i), r2 = Unsafe.Add(ref p2, i), r3 = Unsafe.Add(ref p3, i);
            sa0 = T.FusedMultiplyAdd(u, r0, sa0); sa1 = T.FusedMultiplyAdd(u, r1, sa1);
            sa2 = T.FusedMultiplyAdd(u, r2, sa2); sa3 = T.FusedMultiplyAdd(u, r3, sa3);
            sb0 = T.FusedMultiplyAdd(v, r0, sb0); sb1 = T.FusedMultiplyAdd(v, r1, sb1);
            sb2 = T.FusedMultiplyAdd(v, r2, sb2); sb3 = T.FusedMultiplyAdd(v, r3, sb3);
        }
        return new Block<T>(sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3);
    }

    /// <summary>x·y with four interleaved partial sums (independent FMA chains), combined in a fixed order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T Dot1<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T px = ref MemoryMarshal.GetReference(x);
        ref T py = ref MemoryMarshal.GetReference(y);
        var a0 = Vector<T>.Zero; var a1 = Vector<T>.Zero; var a2 = Vector<T>.Zero; var a3 = Vector<T>.Zero;
        int w = Vector<T>.Count, i = 0, length = x.Length;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + 4 * w <= length; i += 4 * w)
            {
                a0 = Fma(Vector.LoadUnsafe(ref px, (nuint)i), Vector.LoadUnsafe(ref py, (nuint)i), a0);
                a1 = Fma(Vector.LoadUnsafe(ref px, (nuint)(i + w)), Vector.LoadUnsafe(ref py, (nuint)(i + w)), a1);
                a2 = Fma(Vector.LoadUnsafe(ref px, (nuint)(i + 2 * w)), Vector.LoadUnsafe(ref py, (nuint)(i + 2 * w)), a2);
                a3 = Fma(Vector.LoadUnsafe(ref px, (nuint)(i + 3 * w)), Vector.LoadUnsafe(ref py, (nuint)(i + 3 * w)), a3);
            }
            for (; i + w <= length; i += w)
                a0 = Fma(Vector.LoadUnsafe(ref px, (nuint)i), Vector.LoadUnsafe(ref py, (nuint)i), a0);
        }
        T s = Vector.Sum((a0 + a1) + (a2 + a3));
        for (; i < length; i++) s = T.FusedMultiplyAdd(Unsafe.Add(ref px, i), Unsafe.Add(ref py, i), s);
        return s;
    }
}
