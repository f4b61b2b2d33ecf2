using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Descent.Kernels;

/// <summary>
/// A GEMM micro-kernel and the cache blocking that suits it. <see cref="Run"/> multiplies a packed Mr×kc panel of A
/// by a packed kc×Nr panel of B. Accumulators always start at zero and C is added only at the end, so an element's
/// value depends on the K blocking alone, never on which tile (full or edge) or thread computed it.
/// </summary>
internal unsafe interface IGemmKernel<T> where T : unmanaged
{
    /// <summary>Rows of the register tile.</summary>
    static abstract int Mr { get; }
    /// <summary>Columns of the register tile.</summary>
    static abstract int Nr { get; }
    /// <summary>Depth of a K block (panels of A and B of this depth stay in L1).</summary>
    static abstract int Kc { get; }
    /// <summary>Rows of an M block (a packed Mc×Kc block of A stays in L2).</summary>
    static abstract int Mc { get; }
    /// <summary>Columns of an N block (a packed Kc×Nc block of B stays in L3).</summary>
    static abstract int Nc { get; }

    /// <summary>
    /// C[0..Mr, 0..Nr] = (add ? C : 0) + Σ_p a[p*Mr + i] · b[p*Nr + j] over p in [0, kc); C has row stride ldc.
    /// </summary>
    static abstract void Run(int kc, T* a, T* b, T* c, nint ldc, bool add);
}

/// <summary>float32 6×16 tile with AVX and FMA: 12 accumulators of 8 lanes.</summary>
internal readonly unsafe struct Fma256SingleKernel : IGemmKernel<float>
{
    public static int Mr => 6;
    public static int Nr => 16;
    public static int Kc => 256;
    public static int Mc => 144;
    public static int Nc => 2048;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, bool add)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            var b1 = Avx.LoadVector256(b + 8);
            var ai = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(ai, b0, c00); c01 = Fma.MultiplyAdd(ai, b1, c01);
            ai = Avx.BroadcastScalarToVector256(a + 1);
            c10 = Fma.MultiplyAdd(ai, b0, c10); c11 = Fma.MultiplyAdd(ai, b1, c11);
            ai = Avx.BroadcastScalarToVector256(a + 2);
            c20 = Fma.MultiplyAdd(ai, b0, c20); c21 = Fma.MultiplyAdd(ai, b1, c21);
            ai = Avx.BroadcastScalarToVector256(a + 3);
            c30 = Fma.MultiplyAdd(ai, b0, c30); c31 = Fma.MultiplyAdd(ai, b1, c31);
            ai = Avx.BroadcastScalarToVector256(a + 4);
            c40 = Fma.MultiplyAdd(ai, b0, c40); c41 = Fma.MultiplyAdd(ai, b1, c41);
            ai = Avx.BroadcastScalarToVector256(a + 5);
            c50 = Fma.MultiplyAdd(ai, b0, c50); c51 = Fma.MultiplyAdd(ai, b1, c51);
            a += 6;
            b += 16;
        }
        Store(c, c00, c01, add); Store(c + ldc, c10, c11, add); Store(c + 2 * ldc, c20, c21, add);
        Store(c + 3 * ldc, c30, c31, add); Store(c + 4 * ldc, c40, c41, add); Store(c + 5 * ldc, c50, c51, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> v0, Vector256<float> v1, bool add)
    {
        if (add)
        {
            v0 = Avx.Add(Avx.LoadVector256(c), v0);
            v1 = Avx.Add(Avx.LoadVector256(c + 8), v1);
        }
        Avx.Store(c, v0);
        Avx.Store(c + 8, v1);
    }
}

/// <summary>float64 6×8 tile with AVX and FMA: 12 accumulators of 4 lanes.</summary>
internal readonly unsafe struct Fma256DoubleKernel : IGemmKernel<double>
{
    public static int Mr => 6;
    public static int Nr => 8;
    public static int Kc => 256;
    public static int Mc => 72;
    public static int Nc => 2048;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, double* a, double* b, double* c, nint ldc, bool add)
    {
        Vector256<double> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<double> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            var b1 = Avx.LoadVector256(b + 4);
            var ai = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(ai, b0, c00); c01 = Fma.MultiplyAdd(ai, b1, c01);
            ai = Avx.BroadcastScalarToVector256(a + 1);
            c10 = Fma.MultiplyAdd(ai, b0, c10); c11 = Fma.MultiplyAdd(ai, b1, c11);
            ai = Avx.BroadcastScalarToVector256(a + 2);
            c20 = Fma.MultiplyAdd(ai, b0, c20); c21 = Fma.MultiplyAdd(ai, b1, c21);
            ai = Avx.BroadcastScalarToVector256(a + 3);
            c30 = Fma.MultiplyAdd(ai, b0, c30); c31 = Fma.MultiplyAdd(ai, b1, c31);
            ai = Avx.BroadcastScalarToVector256(a + 4);
            c40 = Fma.MultiplyAdd(ai, b0, c40); c41 = Fma.MultiplyAdd(ai, b1, c41);
            ai = Avx.BroadcastScalarToVector256(a + 5);
            c50 = Fma.MultiplyAdd(ai, b0, c50); c51 = Fma.MultiplyAdd(ai, b1, c51);
            a += 6;
            b += 8;
        }
        Store(c, c00, c01, add); Store(c + ldc, c10, c11, add); Store(c + 2 * ldc, c20, c21, add);
        Store(c + 3 * ldc, c30, c31, add); Store(c + 4 * ldc, c40, c41, add); Store(c + 5 * ldc, c50, c51, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(double* c, Vector256<double> v0, Vector256<double> v1, bool add)
    {
        if (add)
        {
            v0 = Avx.Add(Avx.LoadVector256(c), v0);
            v1 = Avx.Add(Avx.LoadVector256(c + 4), v1);
        }
        Avx.Store(c, v0);
        Avx.Store(c + 4, v1);
    }
}

/// <summary>
/// Portable 4×(2·Vector128 lanes) tile for machines without AVX/FMA (multiply then add, two roundings). Also the
/// reference the tests force on machines that have AVX, so that this path is tested everywhere.
/// </summary>
internal readonly unsafe struct PortableKernel<T> : IGemmKernel<T> where T : unmanaged
{
    public static int Mr => 4;
    public static int Nr => 2 * Vector128<T>.Count;
    public static int Kc => 256;
    public static int Mc => 128;
    public static int Nc => 2048;

    public static void Run(int kc, T* a, T* b, T* c, nint ldc, bool add)
    {
        int w = Vector128<T>.Count;
        Vector128<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector128<T> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + w);
            var ai = Vector128.Create(a[0]);
            c00 += ai * b0; c01 += ai * b1;
            ai = Vector128.Create(a[1]);
            c10 += ai * b0; c11 += ai * b1;
            ai = Vector128.Create(a[2]);
            c20 += ai * b0; c21 += ai * b1;
            ai = Vector128.Create(a[3]);
            c30 += ai * b0; c31 += ai * b1;
            a += 4;
            b += 2 * w;
        }
        Store(c, w, c00, c01, add); Store(c + ldc, w, c10, c11, add);
        Store(c + 2 * ldc, w, c20, c21, add); Store(c + 3 * ldc, w, c30, c31, add);
    }

    private static void Store(T* c, int w, Vector128<T> v0, Vector128<T> v1, bool add)
    {
        if (add)
        {
            v0 = Vector128.Load(c) + v0;
            v1 = Vector128.Load(c + w) + v1;
        }
        v0.Store(c);
        v1.Store(c + w);
    }
}
