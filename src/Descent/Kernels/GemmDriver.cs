using System.Runtime.CompilerServices;

namespace Descent.Kernels;

/// <summary>
/// The blocked GEMM loop nest (GotoBLAS/BLIS order) on one thread: for each N block, for each K block, pack the
/// Kc×Nc block of B; for each M block, pack the Mc×Kc block of A and sweep the register tiles. K blocks always start
/// at 0 and step by Kc, so every element of C sees the same sequence of operations whatever part of C this call
/// covers.
/// </summary>
internal static unsafe class GemmDriver<T, TKernel>
    where T : unmanaged
    where TKernel : IGemmKernel<T>
{
    /// <summary>
    /// C[m,n] (row stride ldc) = (accumulate ? C : 0) + op(A)[m,k] · op(B)[k,n]. With <paramref name="transC"/>, the
    /// product is stored transposed: element (i, j) goes to c[j*ldc + i].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int m, int n, int k, MatrixRef<T> a, MatrixRef<T> b, T* c, nint ldc, bool accumulate, bool transC = false)
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0)
        {
            if (!accumulate)
                for (int i = 0; i < (transC ? n : m); i++) new Span<T>(c + i * ldc, transC ? m : n).Clear();
            return;
        }
        int mr = TKernel.Mr, nr = TKernel.Nr;
        int kcMax = Math.Min(TKernel.Kc, k);
        int ncMax = Math.Min(TKernel.Nc, n), mcMax = Math.Min(TKernel.Mc, m);
        T* bp = PackBuffer<T>.ForB.Get(kcMax * RoundUp(ncMax, nr));
        T* ap = PackBuffer<T>.ForA.Get(RoundUp(mcMax, mr) * kcMax);
        for (int jc = 0; jc < n; jc += TKernel.Nc)
        {
            int nc = Math.Min(TKernel.Nc, n - jc);
            for (int pc = 0; pc < k; pc += TKernel.Kc)
            {
                int kc = Math.Min(TKernel.Kc, k - pc);
                bool add = accumulate || pc > 0;
                GemmPacking.PackB(b, pc, jc, kc, nc, nr, bp);
                for (int ic = 0; ic < m; ic += TKernel.Mc)
                {
                    int mc = Math.Min(TKernel.Mc, m - ic);
                    GemmPacking.PackA(a, ic, pc, mc, kc, mr, ap);
                    MacroKernel(mc, nc, kc, ap, bp, transC ? c + jc * ldc + ic : c + ic * ldc + jc, ldc, add, transC);
                }
            }
        }
    }

    /// <summary>Sweeps the register tiles of one packed Mc×Kc block of A and Kc×Nc block of B.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MacroKernel(int mc, int nc, int kc, T* ap, T* bp, T* c, nint ldc, bool add, bool transC)
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        T* tile = stackalloc T[mr * nr];
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            T* bPanel = bp + (nint)jr * kc;
            for (int ir = 0; ir < mc; ir += mr)
            {
                int rows = Math.Min(mr, mc - ir);
                T* aPanel = ap + (nint)ir * kc;
                T* cTile = transC ? c + jr * ldc + ir : c + ir * ldc + jr;
                if (rows == mr && cols == nr && !transC)
                {
                    TKernel.Run(kc, aPanel, bPanel, cTile, ldc, add);
                }
                else
                {
                    // Edge or transposed tile: compute the full tile into scratch, then add (or copy) the valid part,
                    // which is the same arithmetic the full-tile path does in place.
                    TKernel.Run(kc, aPanel, bPanel, tile, nr, add: false);
                    if (transC)
                    {
                        for (int r = 0; r < rows; r++)
                            for (int j = 0; j < cols; j++)
                            {
                                T* dst = cTile + j * ldc + r;
                                *dst = add ? Add(*dst, tile[r * nr + j]) : tile[r * nr + j];
                            }
                        continue;
                    }
                    for (int r = 0; r < rows; r++)
                    {
                        T* dst = cTile + r * ldc;
                        T* src = tile + r * nr;
                        if (add) AddTo(src, dst, cols);
                        else for (int j = 0; j < cols; j++) dst[j] = src[j];
                    }
                }
            }
        }
    }

    private static T Add(T x, T y)
    {
        if (typeof(T) == typeof(float)) return (T)(object)((float)(object)x + (float)(object)y);
        if (typeof(T) == typeof(double)) return (T)(object)((double)(object)x + (double)(object)y);
        throw new NotSupportedException($"GEMM supports float and double, not {typeof(T).Name}");
    }

    private static void AddTo(T* src, T* dst, int count)
    {
        if (typeof(T) == typeof(float))
        {
            float* s = (float*)src, d = (float*)dst;
            for (int j = 0; j < count; j++) d[j] += s[j];
        }
        else if (typeof(T) == typeof(double))
        {
            double* s = (double*)src, d = (double*)dst;
            for (int j = 0; j < count; j++) d[j] += s[j];
        }
        else throw new NotSupportedException($"GEMM supports float and double, not {typeof(T).Name}");
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}
