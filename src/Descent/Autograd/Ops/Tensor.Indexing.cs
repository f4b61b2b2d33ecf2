using Descent.Kernels;

namespace Descent;

public sealed partial class Tensor
{
    /// <summary>
    /// The slices of this tensor at the positions int64 <paramref name="index"/> (1-D, or a single index as 0-D) names
    /// along <paramref name="dim"/>, as <c>torch.index_select</c>: the result has index.NumEl in that dimension. Indices
    /// may repeat; their gradients then add up. Works on int64 tensors too (without gradients).
    /// </summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (Rank == 0) throw new ArgumentException("index_select needs a tensor of rank >= 1, got a scalar");
        int d = Shapes.NormalizeDim(dim, Rank);
        var idx = CheckedIndex(index, ShapeArray[d], d);
        var (outer, size, inner) = SplitAt(ShapeArray, d);
        var shape = (int[])ShapeArray.Clone();
        shape[d] = idx.NumEl;
        var result = new Tensor(shape, DType);
        var src = Contiguous();
        var at = idx.AsSpan<long>();
        switch (DType)
        {
            case DType.Float32: IndexedBlocks.Select(src.AsSpan<float>(), at, result.AsSpan<float>(), outer, size, inner); break;
            case DType.Float64: IndexedBlocks.Select(src.AsSpan<double>(), at, result.AsSpan<double>(), outer, size, inner); break;
            default: IndexedBlocks.Select(src.AsSpan<long>(), at, result.AsSpan<long>(), outer, size, inner); break;
        }
        int[] orig = ShapeArray;
        return Autograd.Record(result, "IndexSelectBackward", [this], g => [IndexAdd(g, d, idx, orig)]);
    }

    /// <summary>The rows of this tensor (along dimension 0) that int64 <paramref name="index"/> names: <c>x[idx]</c>, as <see cref="IndexSelect"/>.</summary>
    [System.Runtime.CompilerServices.IndexerName("Row")]
    public Tensor this[Tensor index] => IndexSelect(0, index);

    /// <summary>The index as a contiguous 1-D int64 tensor, every entry checked to lie in [0, size).</summary>
    private static Tensor CheckedIndex(Tensor index, int size, int d)
    {
        if (index.DType != DType.Int64) throw new ArgumentException($"index_select: index must be int64, got {index.DType.Name()}", nameof(index));
        if (index.Rank > 1) throw new ArgumentException($"index_select: index must be 1-D, got shape {Shapes.Format(index.ShapeArray)}", nameof(index));
        var idx = index.Contiguous().Reshape(-1);
        foreach (long at in idx.AsSpan<long>())
            if (at < 0 || at >= size) throw new ArgumentOutOfRangeException(nameof(index), at, $"index {at} is out of range for dimension {d} of size {size}");
        return idx;
    }

    /// <summary>Zeros of <paramref name="shape"/> with the slices of <paramref name="src"/> added at the positions <paramref name="index"/> names along <paramref name="d"/>.</summary>
    internal static Tensor IndexAdd(Tensor src, int d, Tensor index, int[] shape)
    {
        var result = new Tensor((int[])shape.Clone(), src.DType);
        var (outer, size, inner) = SplitAt(shape, d);
        var s = src.Contiguous();
        var at = index.AsSpan<long>();
        if (src.DType == DType.Float32) IndexedBlocks.AddInto(s.AsSpan<float>(), at, result.AsSpan<float>(), outer, size, inner);
        else IndexedBlocks.AddInto(s.AsSpan<double>(), at, result.AsSpan<double>(), outer, size, inner);
        return Autograd.Record(result, "IndexAddBackward", [src], g => [g.IndexSelect(d, index)]);
    }
}
