using System.Numerics.Tensors;

namespace Descent;

public sealed partial class Tensor
{
    /// <summary>Normalises <paramref name="dims"/>, rejecting repeats.</summary>
    private int[] NormalizeDims(int[] dims)
    {
        var result = dims.Select(d => Shapes.NormalizeDim(d, Rank, "dim")).ToArray();
        if (result.Distinct().Count() != result.Length) throw new ArgumentException($"dim {Shapes.Format(dims)} repeats a dimension", nameof(dims));
        return result;
    }

    /// <summary>
    /// Moves the reduced dims to the end and makes the result contiguous, so that every output element reduces one row.
    /// Returns the rows, the row length and the output shape.
    /// </summary>
    private (Tensor Rows, int RowLength, int[] OutShape) ReductionRows(int[] dims, bool keepDim)
    {
        var reduced = new bool[Rank];
        foreach (int d in dims) reduced[d] = true;
        var order = Enumerable.Range(0, Rank).Where(i => !reduced[i]).Concat(Enumerable.Range(0, Rank).Where(i => reduced[i])).ToArray();
        var outShape = keepDim
            ? ShapeArray.Select((s, i) => reduced[i] ? 1 : s).ToArray()
            : ShapeArray.Where((_, i) => !reduced[i]).ToArray();
        int rowLength = ReducedExtent(dims);
        Tensor rows;
        using (Autograd.NoGrad()) rows = Permute(order).Contiguous();
        return (rows, rowLength, outShape);
    }

    private Tensor ReduceRows(int[] dims, bool keepDim, Func<ReadOnlySpan<float>, float> f32, Func<ReadOnlySpan<double>, double> f64, string op)
    {
        CheckFloat(op);
        var (rows, n, outShape) = ReductionRows(dims, keepDim);
        var result = new Tensor(outShape, DType);
        if (n == 0 && op is "max" or "min") throw new ArgumentException($"{op} over an empty dimension of shape {Shapes.Format(ShapeArray)}");
        if (DType == DType.Float32)
        {
            var src = rows.AsSpan<float>();
            var dst = result.AsSpan<float>();
            for (int i = 0; i < dst.Length; i++) dst[i] = f32(src.Slice(i * n, n));
        }
        else
        {
            var src = rows.AsSpan<double>();
            var dst = result.AsSpan<double>();
            for (int i = 0; i < dst.Length; i++) dst[i] = f64(src.Slice(i * n, n));
        }
        return result;
    }

    private int[] AllDims() => Enumerable.Range(0, Rank).ToArray();

    /// <summary>
    /// The product of the sizes of <paramref name="dims"/>: exact when the tensor has elements, 0 when it has none (then
    /// nothing is reduced, and the true product, which may not fit an int, is 0 whenever the result has elements).
    /// </summary>
    private int ReducedExtent(int[] dims)
    {
        Span<int> sizes = dims.Length <= 8 ? stackalloc int[dims.Length] : new int[dims.Length];
        for (int i = 0; i < dims.Length; i++) sizes[i] = ShapeArray[dims[i]];
        return Shapes.Extent(sizes, NumEl);
    }

    /// <summary>Expands a reduced gradient (or result) back to this tensor's shape.</summary>
    private Tensor ExpandReduced(Tensor g, int[] dims, bool keepDim)
    {
        if (!keepDim)
        {
            var shape = ShapeArray.Select((s, i) => dims.Contains(i) ? 1 : s).ToArray();
            g = g.Reshape(shape);
        }
        return g.Expand(ShapeArray);
    }

    /// <summary>The sum of all elements, as a scalar tensor.</summary>
    public Tensor Sum() => Sum(AllDims(), false);

    /// <summary>The sum over one dimension.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => Sum([dim], keepDim);

    /// <summary>The sum over the given dimensions.</summary>
    public Tensor Sum(int[] dims, bool keepDim = false)
    {
        var d = NormalizeDims(dims);
        var r = SumLeadingRows(d, keepDim) ?? ReduceRows(d, keepDim, s => TensorPrimitives.Sum(s), s => TensorPrimitives.Sum(s), "sum");
        return Autograd.Record(r, "SumBackward", [this], g => [ExpandReduced(g, d, keepDim)]);
    }

    /// <summary>
    /// The sum over leading dimensions of a contiguous tensor (a bias gradient) as row additions, with no transposing
    /// copy; null when the dims are not the leading ones.
    /// </summary>
    private Tensor? SumLeadingRows(int[] dims, bool keepDim)
    {
        if (!IsContiguous || dims.Length == 0 || dims.Length == Rank || dims.Max() != dims.Length - 1) return null;
        CheckFloat("sum");
        int rows = ReducedExtent(dims);
        var outShape = keepDim ? ShapeArray.Select((s, i) => i < dims.Length ? 1 : s).ToArray() : ShapeArray[dims.Length..];
        var result = new Tensor(outShape, DType);
        int n = result.NumEl;
        if (DType == DType.Float32) AddRows(AsSpan<float>(), result.AsSpan<float>(), rows, n);
        else AddRows(AsSpan<double>(), result.AsSpan<double>(), rows, n);
        return result;
    }

    private static void AddRows<T>(ReadOnlySpan<T> src, Span<T> dst, int rows, int n) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(dst, src.Slice(r * n, n), dst);
    }

    /// <summary>The mean of all elements.</summary>
    public Tensor Mean() => Mean(AllDims(), false);

    /// <summary>The mean over one dimension.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>The mean over the given dimensions.</summary>
    public Tensor Mean(int[] dims, bool keepDim = false)
    {
        var d = NormalizeDims(dims);
        int n = ReducedExtent(d);
        return Sum(d, keepDim) / n;
    }

    /// <summary>The largest element (ties share the gradient equally, as PyTorch's full max).</summary>
    public Tensor Max() => FullExtreme(true);

    /// <summary>The smallest element (ties share the gradient equally).</summary>
    public Tensor Min() => FullExtreme(false);

    private Tensor FullExtreme(bool isMax)
    {
        if (NumEl == 0) throw new InvalidOperationException($"{(isMax ? "max" : "min")}() of an empty tensor");
        var dims = AllDims();
        var r = isMax
            ? ReduceRows(dims, false, s => TensorPrimitives.Max(s), s => TensorPrimitives.Max(s), "max")
            : ReduceRows(dims, false, s => TensorPrimitives.Min(s), s => TensorPrimitives.Min(s), "min");
        var x = this;
        return Autograd.Record(r, isMax ? "MaxBackward" : "MinBackward", [this], g =>
        {
            var mask = x.Detach().Eq(r.Detach());
            return [mask * (g / mask.Sum())];
        });
    }

    /// <summary>The largest values along <paramref name="dim"/> and their indices (int64; the first on ties).</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => DimExtreme(dim, keepDim, true);

    /// <summary>The smallest values along <paramref name="dim"/> and their indices (int64; the first on ties).</summary>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => DimExtreme(dim, keepDim, false);

    /// <summary>The index of the largest value along <paramref name="dim"/> (int64).</summary>
    public Tensor Argmax(int dim, bool keepDim = false) => DimExtreme(dim, keepDim, true).Indices;

    /// <summary>The index of the smallest value along <paramref name="dim"/> (int64).</summary>
    public Tensor Argmin(int dim, bool keepDim = false) => DimExtreme(dim, keepDim, false).Indices;

    private (Tensor Values, Tensor Indices) DimExtreme(int dim, bool keepDim, bool isMax)
    {
        CheckFloat(isMax ? "max" : "min");
        int d = Shapes.NormalizeDim(dim, Rank);
        if (Rank > 0 && ShapeArray[d] == 0) throw new ArgumentException($"{(isMax ? "max" : "min")} over an empty dimension of shape {Shapes.Format(ShapeArray)}");
        var (rows, n, outShape) = ReductionRows(Rank == 0 ? [] : [d], keepDim);
        var src = rows.ToDoubleArray();
        var indices = new Tensor(outShape, DType.Int64);
        var idx = indices.AsSpan<long>();
        for (int i = 0; i < idx.Length; i++)
        {
            int best = 0;
            double bestValue = src[i * n];
            for (int j = 1; j < n && !double.IsNaN(bestValue); j++)
            {
                double v = src[i * n + j];
                if (double.IsNaN(v) || (isMax ? v > bestValue : v < bestValue)) { best = j; bestValue = v; }
            }
            idx[i] = best;
        }
        var keptIdx = keepDim || Rank == 0 ? indices : indices.Unsqueeze(d);
        var values = GatherNoGrad(d, keptIdx);
        if (!keepDim && Rank > 0) values = values.Squeeze(d);
        int[] orig = ShapeArray;
        var recorded = Autograd.Record(values, isMax ? "MaxBackward" : "MinBackward", [this], g =>
            [ScatterAlong(keepDim || Rank == 0 ? g : g.Unsqueeze(d), d, keptIdx, orig)]);
        return (recorded, indices);
    }

    /// <summary>
    /// Picks, along <paramref name="dim"/>, the elements that int64 <paramref name="index"/> names, as <c>torch.gather</c>:
    /// out[i][j] = input[index[i][j]][j] for dim 0. The index has the input's rank and, outside dim, sizes no larger than
    /// the input's.
    /// </summary>
    public Tensor Gather(int dim, Tensor index)
    {
        int d = Shapes.NormalizeDim(dim, Rank);
        var r = GatherNoGrad(d, index);
        int[] orig = ShapeArray;
        return Autograd.Record(r, "GatherBackward", [this], g => [ScatterAlong(g, d, index, orig)]);
    }

    private Tensor GatherNoGrad(int d, Tensor index)
    {
        if (index.DType != DType.Int64) throw new ArgumentException($"gather: index must be int64, got {index.DType.Name()}", nameof(index));
        if (index.Rank != Rank) throw new ArgumentException($"gather: index shape {Shapes.Format(index.ShapeArray)} must have the rank of {Shapes.Format(ShapeArray)}", nameof(index));
        // As PyTorch: outside dim, the index may be smaller than the input but not larger.
        for (int i = 0; i < Rank; i++)
            if (i != d && index.ShapeArray[i] > ShapeArray[i])
                throw new ArgumentException($"gather: index of shape {Shapes.Format(index.ShapeArray)} is larger than the input of shape {Shapes.Format(ShapeArray)} in dimension {i} (only dimension {d} may be)", nameof(index));
        var src = Contiguous();
        var result = new Tensor(index.Shape, DType);
        var at = PositionsAlong(ShapeArray, d, index);
        if (DType == DType.Float32) { var from = src.AsSpan<float>(); var to = result.AsSpan<float>(); for (int k = 0; k < at.Length; k++) to[k] = from[at[k]]; }
        else { var from = src.AsSpan<double>(); var to = result.AsSpan<double>(); for (int k = 0; k < at.Length; k++) to[k] = from[at[k]]; }
        return result;
    }

    /// <summary>
    /// For each element of <paramref name="index"/>, in row-major order, the flat position in a contiguous tensor of
    /// <paramref name="shape"/> of the element at the same coordinates, with the one along <paramref name="d"/> replaced
    /// by the index's value (checked to lie in [0, shape[d])). The index may be smaller than the shape outside d.
    /// </summary>
    private static int[] PositionsAlong(int[] shape, int d, Tensor index)
    {
        var idx = index.Contiguous().AsSpan<long>();
        var positions = new int[idx.Length];
        if (idx.Length == 0) return positions;
        int rank = shape.Length, size = rank == 0 ? 1 : shape[d];
        var strides = Shapes.ContiguousStrides(shape);
        int[] ishape = index.ShapeArray;
        Span<int> coord = stackalloc int[rank];
        int rest = 0; // Σ coord[t]·strides[t] over t ≠ d
        for (int k = 0; k < idx.Length; k++)
        {
            long at = idx[k];
            if (at < 0 || at >= size) throw new ArgumentOutOfRangeException(nameof(index), at, $"index {at} is out of range for dimension {d} of size {size}");
            positions[k] = rest + (rank == 0 ? 0 : (int)at * strides[d]);
            for (int t = rank - 1; t >= 0; t--)
            {
                coord[t]++;
                if (t != d) rest += strides[t];
                if (coord[t] < ishape[t]) break;
                if (t != d) rest -= coord[t] * strides[t];
                coord[t] = 0;
            }
        }
        return positions;
    }

    /// <summary>Zeros of <paramref name="shape"/> with <paramref name="src"/> added at the positions <paramref name="index"/> names along <paramref name="d"/>.</summary>
    internal static Tensor ScatterAlong(Tensor src, int d, Tensor index, int[] shape)
    {
        var result = new Tensor((int[])shape.Clone(), src.DType);
        var s = src.Contiguous().ToDoubleArray();
        var at = PositionsAlong(shape, d, index);
        for (int k = 0; k < at.Length; k++)
        {
            if (src.DType == DType.Float32) result.AsSpan<float>()[at[k]] += (float)s[k];
            else result.AsSpan<double>()[at[k]] += s[k];
        }
        return Autograd.Record(result, "ScatterAddBackward", [src], g => [g.Gather(d, index)]);
    }

    /// <summary>
    /// A shape seen as [outer, size, inner] around dimension <paramref name="d"/>; a shape without elements has no blocks
    /// (outer and inner 0), as its outer or inner product may not fit an int ([0, 65536, 65536]).
    /// </summary>
    private static (int Outer, int Size, int Inner) SplitAt(int[] shape, int d)
    {
        if (shape.Length == 0) return (1, 1, 1);
        int numEl = Shapes.NumEl(shape);
        return (Shapes.Extent(shape.AsSpan(0, d), numEl), shape[d], Shapes.Extent(shape.AsSpan(d + 1), numEl));
    }

    /// <summary>log Σ exp over <paramref name="dim"/>, computed stably (the maximum is subtracted first).</summary>
    public Tensor LogSumExp(int dim, bool keepDim = false)
    {
        int d = Shapes.NormalizeDim(dim, Rank);
        Tensor m;
        using (Autograd.NoGrad())
        {
            m = Max(d, keepDim: true).Values;
            m = m.MaskedFill(m.MapScalar(v => double.IsInfinity(v) ? 1 : 0, v => double.IsInfinity(v) ? 1 : 0, "logsumexp"), 0);
        }
        var r = (this - m).Exp().Sum(d, keepDim: true).Log() + m;
        return keepDim ? r : r.Squeeze(d);
    }

    /// <summary>The variance over <paramref name="dim"/> with Bessel's <paramref name="correction"/> (1: unbiased, 0: population).</summary>
    public Tensor Var(int dim, int correction = 1, bool keepDim = false) => Var([dim], correction, keepDim);

    /// <summary>The variance over the given dims with Bessel's <paramref name="correction"/>.</summary>
    public Tensor Var(int[] dims, int correction = 1, bool keepDim = false)
    {
        var d = NormalizeDims(dims);
        int n = ReducedExtent(d);
        var centered = this - Mean(d, keepDim: true);
        return centered.Square().Sum(d, keepDim) / Math.Max(0, n - correction);
    }

    /// <summary>The variance of all elements with Bessel's <paramref name="correction"/>.</summary>
    public Tensor Var(int correction = 1) => Var(AllDims(), correction);
}
