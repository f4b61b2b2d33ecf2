using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Descent.Kernels;

/// <summary>
/// Float32 max-pooling with a 2×2 window and stride 2 (the everyday CNN pooling), eight windows at a time with AVX2.
/// Each window's winner follows PyTorch's scan (top-left, top-right, bottom-left, bottom-right; a later element wins when
/// larger or NaN), combined as max(max(a, b), max(c, d)) with "later wins when larger or NaN" at every step, which picks
/// the same element: the last NaN if there is one, else the first maximum.
/// </summary>
internal static class MaxPool2x2
{
    /// <summary>One [H, W] plane into [outH, outW] values and flat input indices (offset by <paramref name="planeStart"/>).</summary>
    public static void Plane(ReadOnlySpan<float> src, Span<float> dst, Span<int> argmax, int planeStart, int w, int outH, int outW)
    {
        // Rows are done in blocks of 8 (or 4) windows; the last block overlaps the one before when the row length is not
        // a multiple, which recomputes a few windows with the same result instead of leaving a scalar tail.
        int block = Avx2.IsSupported && outW >= 8 ? 8 : Sse.IsSupported && outW >= 4 ? 4 : 0;
        for (int i = 0; i < outH; i++)
        {
            int r0 = 2 * i * w;
            var top = src.Slice(r0, 2 * outW);
            var bottom = src.Slice(r0 + w, 2 * outW);
            var outRow = dst.Slice(i * outW, outW);
            var argRow = argmax.Slice(i * outW, outW);
            if (block == 0)
            {
                RowScalar(top, bottom, outRow, argRow, planeStart + r0, w);
                continue;
            }
            for (int j = 0; ; j += block)
            {
                int at = Math.Min(j, outW - block);
                if (block == 8) Block8(top, bottom, outRow, argRow, planeStart + r0, w, at);
                else Block4(top, bottom, outRow, argRow, planeStart + r0, w, at);
                if (at == outW - block) break;
            }
        }
    }

    private static void RowScalar(ReadOnlySpan<float> top, ReadOnlySpan<float> bottom, Span<float> outRow, Span<int> argRow, int rowStart, int w)
    {
        for (int j = 0; j < outRow.Length; j++)
        {
            int c = 2 * j;
            var (va, ia) = Later(top[c], c, top[c + 1], c + 1);
            var (vb, ib) = Later(bottom[c], w + c, bottom[c + 1], w + c + 1);
            var (v, at) = Later(va, ia, vb, ib);
            outRow[j] = v;
            argRow[j] = rowStart + at;
        }
    }

    /// <summary>The earlier (x) or the later (y) element of the scan: y wins when larger or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float Value, int Index) Later(float x, int ix, float y, int iy) =>
        y > x || float.IsNaN(y) ? (y, iy) : (x, ix);

    /// <summary>Windows j … j+7 of one output row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8(ReadOnlySpan<float> top, ReadOnlySpan<float> bottom, Span<float> outRow, Span<int> argRow, int rowStart, int w, int j)
    {
        ref float t = ref MemoryMarshal.GetReference(top);
        ref float b = ref MemoryMarshal.GetReference(bottom);
        var (ta, tb) = Deinterleave(Vector256.LoadUnsafe(ref t, (nuint)(2 * j)), Vector256.LoadUnsafe(ref t, (nuint)(2 * j + 8)));
        var (ba, bb) = Deinterleave(Vector256.LoadUnsafe(ref b, (nuint)(2 * j)), Vector256.LoadUnsafe(ref b, (nuint)(2 * j + 8)));
        var ia = Vector256.Create(rowStart + 2 * j) + Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        var (tv, ti) = Later(ta, ia, tb, ia + Vector256<int>.One);
        var (bv, bi) = Later(ba, ia + Vector256.Create(w), bb, ia + Vector256.Create(w + 1));
        var (v, idx) = Later(tv, ti, bv, bi);
        v.StoreUnsafe(ref MemoryMarshal.GetReference(outRow), (nuint)j);
        idx.StoreUnsafe(ref MemoryMarshal.GetReference(argRow), (nuint)j);
    }

    /// <summary>Windows j … j+3 of one output row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4(ReadOnlySpan<float> top, ReadOnlySpan<float> bottom, Span<float> outRow, Span<int> argRow, int rowStart, int w, int j)
    {
        ref float t = ref MemoryMarshal.GetReference(top);
        ref float b = ref MemoryMarshal.GetReference(bottom);
        var tLo = Vector128.LoadUnsafe(ref t, (nuint)(2 * j));
        var tHi = Vector128.LoadUnsafe(ref t, (nuint)(2 * j + 4));
        var bLo = Vector128.LoadUnsafe(ref b, (nuint)(2 * j));
        var bHi = Vector128.LoadUnsafe(ref b, (nuint)(2 * j + 4));
        var ia = Vector128.Create(rowStart + 2 * j) + Vector128.Create(0, 2, 4, 6);
        var (tv, ti) = Later(Sse.Shuffle(tLo, tHi, 0b10_00_10_00), ia, Sse.Shuffle(tLo, tHi, 0b11_01_11_01), ia + Vector128<int>.One);
        var (bv, bi) = Later(Sse.Shuffle(bLo, bHi, 0b10_00_10_00), ia + Vector128.Create(w), Sse.Shuffle(bLo, bHi, 0b11_01_11_01), ia + Vector128.Create(w + 1));
        var (v, idx) = Later(tv, ti, bv, bi);
        v.StoreUnsafe(ref MemoryMarshal.GetReference(outRow), (nuint)j);
        idx.StoreUnsafe(ref MemoryMarshal.GetReference(argRow), (nuint)j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector128<float> Value, Vector128<int> Index) Later(Vector128<float> x, Vector128<int> ix, Vector128<float> y, Vector128<int> iy)
    {
        var take = Vector128.GreaterThan(y, x) | ~Vector128.Equals(y, y);
        return (Vector128.ConditionalSelect(take, y, x), Vector128.ConditionalSelect(take.AsInt32(), iy, ix));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Value, Vector256<int> Index) Later(Vector256<float> x, Vector256<int> ix, Vector256<float> y, Vector256<int> iy)
    {
        var take = Vector256.GreaterThan(y, x) | ~Vector256.Equals(y, y);
        return (Vector256.ConditionalSelect(take, y, x), Vector256.ConditionalSelect(take.AsInt32(), iy, ix));
    }

    /// <summary>Sixteen consecutive floats split into the eight at even and the eight at odd positions, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Even, Vector256<float> Odd) Deinterleave(Vector256<float> lo, Vector256<float> hi)
    {
        // Within each 128-bit lane shuffle gives [lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6]; the 64-bit permute restores order.
        var even = Avx2.Permute4x64(Avx.Shuffle(lo, hi, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();
        var odd = Avx2.Permute4x64(Avx.Shuffle(lo, hi, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle();
        return (even, odd);
    }
}
