using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Descent.Kernels;

/// <summary>
/// The transposing half of GEMM packing: <c>rows</c> source rows, each contiguous in p, interleaved into
/// d[p*stride + r]. Done as 8×8 (float32) or 4×4 (float64) register transposes where AVX allows, else element by element.
/// </summary>
internal static unsafe class GemmTranspose
{
    /// <summary>d[p*stride + r] = src[r*ld + p] for r in [0, rows), p in [0, kc).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Interleave<T>(T* src, nint ld, int rows, int kc, int stride, T* d) where T : unmanaged
    {
        int r = 0, done = 0;
        if (Avx.IsSupported && typeof(T) == typeof(float))
        {
            done = kc & ~7;
            for (; r + 8 <= rows; r += 8)
                for (int p = 0; p < done; p += 8)
                    Transpose8x8((float*)src + r * ld + p, ld, (float*)d + p * stride + r, stride, six: false);
            if (rows - r == 6)
            {
                // The 6-row panels of the 6×16 kernel: the same transpose with two empty rows, storing 6 lanes.
                for (int p = 0; p < done; p += 8)
                    Transpose8x8((float*)src + r * ld + p, ld, (float*)d + p * stride + r, stride, six: true);
                r += 6;
            }
        }
        else if (Avx.IsSupported && typeof(T) == typeof(double))
        {
            done = kc & ~3;
            for (; r + 4 <= rows; r += 4)
                for (int p = 0; p < done; p += 4)
                    Transpose4x4((double*)src + r * ld + p, ld, (double*)d + p * stride + r, stride);
        }
        // Rows the blocks did not cover take every p; the covered rows take the p tail.
        for (int rr = 0; rr < rows; rr++)
        {
            T* s = src + rr * ld;
            for (int p = rr < r ? done : 0; p < kc; p++) d[p * stride + rr] = s[p];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* s, nint ld, float* d, nint stride, bool six)
    {
        var r0 = Avx.LoadVector256(s); var r1 = Avx.LoadVector256(s + ld);
        var r2 = Avx.LoadVector256(s + 2 * ld); var r3 = Avx.LoadVector256(s + 3 * ld);
        var r4 = Avx.LoadVector256(s + 4 * ld); var r5 = Avx.LoadVector256(s + 5 * ld);
        var r6 = six ? default : Avx.LoadVector256(s + 6 * ld);
        var r7 = six ? default : Avx.LoadVector256(s + 7 * ld);
        // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Store(d, Avx.Permute2x128(u0, u4, 0x20), six);
        Store(d + stride, Avx.Permute2x128(u1, u5, 0x20), six);
        Store(d + 2 * stride, Avx.Permute2x128(u2, u6, 0x20), six);
        Store(d + 3 * stride, Avx.Permute2x128(u3, u7, 0x20), six);
        Store(d + 4 * stride, Avx.Permute2x128(u0, u4, 0x31), six);
        Store(d + 5 * stride, Avx.Permute2x128(u1, u5, 0x31), six);
        Store(d + 6 * stride, Avx.Permute2x128(u2, u6, 0x31), six);
        Store(d + 7 * stride, Avx.Permute2x128(u3, u7, 0x31), six);
    }

    /// <summary>Stores 8 lanes, or only the first 6 (a 16-byte and an 8-byte store) so as not to touch the next row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* d, Vector256<float> v, bool six)
    {
        if (!six)
        {
            Avx.Store(d, v);
            return;
        }
        Sse.Store(d, v.GetLower());
        Sse2.StoreScalar((double*)(d + 4), v.GetUpper().AsDouble());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(double* s, nint ld, double* d, nint stride)
    {
        var r0 = Avx.LoadVector256(s); var r1 = Avx.LoadVector256(s + ld);
        var r2 = Avx.LoadVector256(s + 2 * ld); var r3 = Avx.LoadVector256(s + 3 * ld);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        Avx.Store(d, Avx.Permute2x128(t0, t2, 0x20));
        Avx.Store(d + stride, Avx.Permute2x128(t1, t3, 0x20));
        Avx.Store(d + 2 * stride, Avx.Permute2x128(t0, t2, 0x31));
        Avx.Store(d + 3 * stride, Avx.Permute2x128(t1, t3, 0x31));
    }
}
