using System.Numerics;
using Descent.Kernels;

namespace Descent.NN;

/// <summary>The lookup of an embedding table, with its dense or row-sparse gradient.</summary>
internal static class EmbeddingOps
{
    /// <summary>
    /// The rows of <paramref name="weight"/> [num, dim] picked by the int64 indices <paramref name="input"/> (any shape):
    /// output input.shape + [dim]. The padding row gets no gradient. With <paramref name="sparse"/> the weight's
    /// gradient is row-sparse (<see cref="Tensor.SparseGrad"/>) over the rows looked up, when the weight is a leaf and
    /// the backward pass is not itself recorded; otherwise it is dense.
    /// </summary>
    public static Tensor Embedding(Tensor input, Tensor weight, long? paddingIdx, bool sparse)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.DType != DType.Int64) throw new ArgumentException($"embedding expects int64 indices, got {input.DType.Name()}", nameof(input));
        weight.CheckFloat("embedding");
        if (weight.Rank != 2) throw new ArgumentException($"embedding: weight must be [numEmbeddings, embeddingDim], got shape {Shapes.Format(weight.ShapeArray)}", nameof(weight));
        int num = weight.ShapeArray[0], dim = weight.ShapeArray[1];
        long padding = NormalizePadding(paddingIdx, num);
        var rows = input.Contiguous().AsSpan<long>().ToArray();
        for (int i = 0; i < rows.Length; i++)
            if (rows[i] < 0 || rows[i] >= num)
                throw new ArgumentException($"embedding: index {rows[i]} (at position {i}) is out of range for a table of {num} rows", nameof(input));

        var table = weight.Contiguous().Detach();
        var output = Tensor.Uninitialized([.. input.ShapeArray, dim], weight.DType);
        if (weight.DType == DType.Float32) Lookup<float>(table, rows, output, dim);
        else Lookup<double>(table, rows, output, dim);
        return Autograd.Record(output, "EmbeddingBackward", [weight], g =>
        {
            var perLookup = g.Reshape(rows.Length, dim).Contiguous();
            // A recorded backward (createGraph) needs a differentiable gradient, and only a leaf holds a sparse one.
            if (sparse && weight.IsLeaf && !Autograd.IsGradEnabled)
            {
                Autograd.AccumulateSparse(weight, RowSparseGrad.FromLookup(rows, perLookup.Detach(), weight.ShapeArray, padding));
                return [null];
            }
            return [DenseGradient(rows, perLookup, num, dim, padding)];
        });
    }

    /// <summary>The padding row in [0, num), or −1 for none; a negative index counts from the end, as in PyTorch.</summary>
    internal static long NormalizePadding(long? paddingIdx, int num)
    {
        if (paddingIdx is not long p) return -1;
        if (p < -num || p >= num)
            throw new ArgumentOutOfRangeException(nameof(paddingIdx), p, $"paddingIdx must be within [-{num}, {num}) for a table of {num} rows, got {p}");
        return p < 0 ? p + num : p;
    }

    private static void Lookup<T>(Tensor table, long[] rows, Tensor output, int dim) where T : unmanaged, IFloatingPointIeee754<T> =>
        IndexedBlocks.Select(table.AsSpan<T>(), rows, output.AsSpan<T>(), 1, table.ShapeArray[0], dim);

    /// <summary>
    /// The dense gradient: each lookup's row of <paramref name="g"/> added, in order, into the zeroed row it read. When
    /// the backward pass is recorded, the same sum as a differentiable scatter.
    /// </summary>
    private static Tensor DenseGradient(long[] rows, Tensor g, int num, int dim, long padding)
    {
        if (Autograd.IsGradEnabled)
        {
            var kept = rows.Select(r => r == padding ? 0.0 : 1.0).ToArray();
            return Tensor.IndexAdd(g * Tensor.FromDoubles(kept, [rows.Length, 1], g.DType), 0, Tensor.FromArray(rows), [num, dim]);
        }
        var grad = Tensor.Zeros([num, dim], g.DType);
        if (g.DType == DType.Float32) AddRows<float>(grad, rows, g, dim, padding);
        else AddRows<double>(grad, rows, g, dim, padding);
        return grad;
    }

    /// <summary>Each lookup's gradient row added, in order, into the row it read; the padding row's sum is then dropped.</summary>
    private static void AddRows<T>(Tensor grad, long[] rows, Tensor g, int dim, long padding) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dst = grad.AsSpan<T>();
        IndexedBlocks.AddInto(g.AsSpan<T>(), rows, dst, 1, grad.ShapeArray[0], dim);
        if (padding >= 0) dst.Slice((int)padding * dim, dim).Clear();
    }
}
