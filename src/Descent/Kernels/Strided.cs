namespace Descent.Kernels;

/// <summary>Copies between strided layouts and contiguous spans.</summary>
internal static class Strided
{
    /// <summary>Copies the elements that <paramref name="shape"/>/<paramref name="strides"/> select from <paramref name="src"/> into <paramref name="dest"/> in row-major order.</summary>
    public static void Copy<T>(T[] src, int offset, int[] shape, int[] strides, Span<T> dest)
    {
        int rank = shape.Length;
        if (dest.Length == 0) return;
        if (rank == 0)
        {
            dest[0] = src[offset];
            return;
        }
        int inner = shape[rank - 1];
        int innerStride = strides[rank - 1];
        int outer = dest.Length / Math.Max(inner, 1);
        Span<int> index = stackalloc int[rank];
        int pos = offset;
        for (int o = 0, d = 0; o < outer; o++, d += inner)
        {
            var row = dest.Slice(d, inner);
            if (innerStride == 1) src.AsSpan(pos, inner).CopyTo(row);
            else if (innerStride == 0) row.Fill(src[pos]);
            else for (int i = 0, p = pos; i < inner; i++, p += innerStride) row[i] = src[p];

            // Advance the odometer over the outer dimensions.
            for (int dim = rank - 2; dim >= 0; dim--)
            {
                index[dim]++;
                pos += strides[dim];
                if (index[dim] < shape[dim]) break;
                pos -= strides[dim] * shape[dim];
                index[dim] = 0;
            }
        }
    }

    /// <summary>Adds contiguous <paramref name="src"/> into the strided destination (used to scatter gradients into views).</summary>
    public static void AddInto<T>(ReadOnlySpan<T> src, T[] dest, int offset, int[] shape, int[] strides)
        where T : System.Numerics.IAdditionOperators<T, T, T>
    {
        int rank = shape.Length;
        if (src.Length == 0) return;
        if (rank == 0)
        {
            dest[offset] += src[0];
            return;
        }
        int inner = shape[rank - 1];
        int innerStride = strides[rank - 1];
        int outer = src.Length / Math.Max(inner, 1);
        Span<int> index = stackalloc int[rank];
        int pos = offset;
        for (int o = 0, s = 0; o < outer; o++, s += inner)
        {
            for (int i = 0, p = pos; i < inner; i++, p += innerStride) dest[p] += src[s + i];
            for (int dim = rank - 2; dim >= 0; dim--)
            {
                index[dim]++;
                pos += strides[dim];
                if (index[dim] < shape[dim]) break;
                pos -= strides[dim] * shape[dim];
                index[dim] = 0;
            }
        }
    }
}
