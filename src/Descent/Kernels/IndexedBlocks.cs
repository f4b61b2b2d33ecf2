using System.Numerics;
using System.Numerics.Tensors;

namespace Descent.Kernels;

/// <summary>
/// Copies and accumulates contiguous blocks picked by an index along one dimension: a tensor viewed as
/// [outer, size, inner], of which the blocks [o, index[k], :] are read or written (index_select and its gradient).
/// </summary>
internal static class IndexedBlocks
{
    /// <summary>dst[o, k, :] = src[o, index[k], :] for every o &lt; outer and k &lt; index.Length.</summary>
    public static void Select<T>(ReadOnlySpan<T> src, ReadOnlySpan<long> index, Span<T> dst, int outer, int size, int inner)
        where T : unmanaged
    {
        int n = index.Length;
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < n; k++)
                src.Slice((o * size + (int)index[k]) * inner, inner).CopyTo(dst.Slice((o * n + k) * inner, inner));
    }

    /// <summary>dst[o, index[k], :] += src[o, k, :], in order of k, so a repeated index accumulates.</summary>
    public static void AddInto<T>(ReadOnlySpan<T> src, ReadOnlySpan<long> index, Span<T> dst, int outer, int size, int inner)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = index.Length;
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < n; k++)
            {
                var to = dst.Slice((o * size + (int)index[k]) * inner, inner);
                TensorPrimitives.Add(to, src.Slice((o * n + k) * inner, inner), to);
            }
    }
}
