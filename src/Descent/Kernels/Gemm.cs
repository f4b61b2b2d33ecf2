using System.Numerics;
using System.Numerics.Tensors;

namespace Descent.Kernels;

/// <summary>General matrix multiply on row-major spans: C = A·B (or C += A·B).</summary>
internal static class Gemm
{
    /// <summary>C[m,n] = A[m,k] · B[k,n] (added to C when <paramref name="accumulate"/>), all row-major and contiguous.</summary>
    public static void Multiply<T>(int m, int n, int k, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!accumulate) c[..(m * n)].Clear();
        for (int i = 0; i < m; i++)
        {
            var cRow = c.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                T aip = a[i * k + p];
                if (aip == T.Zero) continue;
                TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), aip, cRow, cRow);
            }
        }
    }
}
