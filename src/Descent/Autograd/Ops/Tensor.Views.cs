namespace Descent;

public sealed partial class Tensor
{
    private Tensor ViewOf(int[] shape, int[] strides, int offset) => new(Storage, shape, strides, offset, DType);

    private int[] InferShape(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var result = (int[])shape.Clone();
        int infer = -1;
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"only one dimension can be -1, got {Shapes.Format(shape)}", nameof(shape));
                infer = i;
            }
            else if (result[i] < 0) throw new ArgumentException($"invalid size {result[i]} in shape {Shapes.Format(shape)}", nameof(shape));
        }
        if (infer >= 0)
        {
            result[infer] = 1;
            long known = Shapes.Product(result); // the other sizes' product, saturated: never wraps
            if (known == 0 || NumEl % known != 0)
                throw new ArgumentException($"shape {Shapes.Format(shape)} is invalid for a tensor of {NumEl} elements (shape {Shapes.Format(ShapeArray)})", nameof(shape));
            result[infer] = (int)(NumEl / known);
        }
        if (Shapes.Product(result) != NumEl)
            throw new ArgumentException($"shape {Shapes.Format(shape)} is invalid for a tensor of {NumEl} elements (shape {Shapes.Format(ShapeArray)})", nameof(shape));
        return result;
    }

    /// <summary>The same elements with another shape, sharing storage; the tensor must be contiguous. One size may be -1.</summary>
    public Tensor View(params int[] shape)
    {
        var s = InferShape(shape);
        if (!IsContiguous)
            throw new InvalidOperationException($"View needs a contiguous tensor (shape {Shapes.Format(ShapeArray)}, strides {Shapes.Format(StridesArray)}); use Reshape, which copies when needed");
        int[] orig = ShapeArray;
        return Autograd.Record(ViewOf(s, Shapes.ContiguousStrides(s), Offset), "ViewBackward", [this], g => [g.Reshape(orig)]);
    }

    /// <summary>The same elements with another shape: a view when the tensor is contiguous, else a copy. One size may be -1.</summary>
    public Tensor Reshape(params int[] shape) => IsContiguous ? View(shape) : Contiguous().View(shape);

    /// <summary>Flattens dimensions <paramref name="startDim"/>..<paramref name="endDim"/> into one.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0) return Reshape(1);
        int s = Shapes.NormalizeDim(startDim, Rank, nameof(startDim)), e = Shapes.NormalizeDim(endDim, Rank, nameof(endDim));
        if (s > e) throw new ArgumentException($"startDim ({startDim}) must not come after endDim ({endDim})");
        var shape = new List<int>();
        for (int i = 0; i < s; i++) shape.Add(ShapeArray[i]);
        // In a tensor without elements the merged size may not fit an int ([0, 65536, 65536] flattened from 1).
        long merged = Shapes.Product(ShapeArray.AsSpan(s, e - s + 1));
        if (merged > int.MaxValue)
            throw new ArgumentException($"flatten: dimensions {s}..{e} of shape {Shapes.Format(ShapeArray)} merge into a size of {merged}, more than {int.MaxValue}");
        shape.Add((int)merged);
        for (int i = e + 1; i < Rank; i++) shape.Add(ShapeArray[i]);
        return Reshape([.. shape]);
    }

    /// <summary>Swaps two dimensions (a view).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        int a = Shapes.NormalizeDim(dim0, Rank, nameof(dim0)), b = Shapes.NormalizeDim(dim1, Rank, nameof(dim1));
        if (Rank == 0) return this;
        var shape = (int[])ShapeArray.Clone();
        var strides = (int[])StridesArray.Clone();
        (shape[a], shape[b]) = (shape[b], shape[a]);
        (strides[a], strides[b]) = (strides[b], strides[a]);
        return Autograd.Record(ViewOf(shape, strides, Offset), "TransposeBackward", [this], g => [g.Transpose(a, b)]);
    }

    /// <summary>The transpose of a matrix (rank ≤ 2), as PyTorch's <c>.t()</c>.</summary>
    public Tensor T()
    {
        if (Rank > 2) throw new InvalidOperationException($"T() needs a tensor of rank <= 2, got shape {Shapes.Format(ShapeArray)}; use Transpose(dim0, dim1)");
        return Rank < 2 ? this : Transpose(0, 1);
    }

    /// <summary>Reorders the dimensions (a view).</summary>
    public Tensor Permute(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length != Rank) throw new ArgumentException($"permute needs {Rank} dims for shape {Shapes.Format(ShapeArray)}, got {Shapes.Format(dims)}", nameof(dims));
        var seen = new bool[Rank];
        var shape = new int[Rank];
        var strides = new int[Rank];
        var inverse = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int d = Shapes.NormalizeDim(dims[i], Rank, nameof(dims));
            if (seen[d]) throw new ArgumentException($"permute: dimension {d} repeats in {Shapes.Format(dims)}", nameof(dims));
            seen[d] = true;
            shape[i] = ShapeArray[d];
            strides[i] = StridesArray[d];
            inverse[d] = i;
        }
        return Autograd.Record(ViewOf(shape, strides, Offset), "PermuteBackward", [this], g => [g.Permute(inverse)]);
    }

    /// <summary>Elements <paramref name="start"/>..<paramref name="start"/>+<paramref name="length"/>−1 along a dimension (a view).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = Shapes.NormalizeDim(dim, Rank);
        int size = ShapeArray[d];
        if (start < 0) start += size;
        if (start < 0 || length < 0 || length > size - start)
            throw new ArgumentOutOfRangeException(nameof(start), $"narrow: start {start} and length {length} do not fit dimension {d} of size {size}");
        var shape = (int[])ShapeArray.Clone();
        shape[d] = length;
        var view = ViewOf(shape, StridesArray, Offset + start * StridesArray[d]);
        int[] orig = ShapeArray;
        return Autograd.Record(view, "NarrowBackward", [this], g => [ScatterIntoView(g, orig, z => z.Narrow(d, start, length))]);
    }

    /// <summary>The slice at <paramref name="index"/> along a dimension, which is removed (a view).</summary>
    public Tensor Select(int dim, int index)
    {
        int d = Shapes.NormalizeDim(dim, Rank);
        int size = ShapeArray[d];
        if (index < -size || index >= size)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"index {index} is out of range for dimension {d} of size {size}");
        if (index < 0) index += size;
        var shape = ShapeArray.Where((_, i) => i != d).ToArray();
        var strides = StridesArray.Where((_, i) => i != d).ToArray();
        var view = ViewOf(shape, strides, Offset + index * StridesArray[d]);
        int[] orig = ShapeArray;
        int at = index;
        return Autograd.Record(view, "SelectBackward", [this], g => [ScatterIntoView(g, orig, z => z.Select(d, at))]);
    }

    /// <summary>Row <paramref name="index"/> of the first dimension.</summary>
    [System.Runtime.CompilerServices.IndexerName("Row")]
    public Tensor this[int index] => Select(0, index);

    /// <summary>Removes dimensions of size 1 (all, or the one given).</summary>
    public Tensor Squeeze(int? dim = null)
    {
        int[] shape;
        if (dim is int d0)
        {
            int d = Shapes.NormalizeDim(d0, Rank);
            if (Rank == 0 || ShapeArray[d] != 1) return this;
            shape = ShapeArray.Where((_, i) => i != d).ToArray();
        }
        else shape = ShapeArray.Where(s => s != 1).ToArray();
        return Reshape(shape);
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/>.</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = Shapes.NormalizeDim(dim, Rank + 1);
        var shape = ShapeArray.ToList();
        shape.Insert(d, 1);
        return Reshape([.. shape]);
    }

    /// <summary>Repeats dimensions of size 1 (and adds leading ones) to reach <paramref name="shape"/> without copying; -1 keeps a size.</summary>
    public Tensor Expand(params int[] shape)
    {
        var view = ExpandNoGrad(shape);
        int[] orig = ShapeArray;
        return Autograd.Record(view, "ExpandBackward", [this], g => [SumToShape(g, orig)]);
    }

    internal Tensor ExpandNoGrad(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length < Rank)
            throw new ArgumentException($"cannot expand shape {Shapes.Format(ShapeArray)} to {Shapes.Format(shape)}: fewer dimensions", nameof(shape));
        int lead = shape.Length - Rank;
        var newShape = new int[shape.Length];
        var strides = new int[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            int target = shape[i];
            if (i < lead)
            {
                if (target < 0) throw new ArgumentException($"cannot expand shape {Shapes.Format(ShapeArray)} to {Shapes.Format(shape)}", nameof(shape));
                newShape[i] = target;
                strides[i] = 0;
                continue;
            }
            int own = ShapeArray[i - lead];
            if (target == -1) target = own;
            if (own == target) { newShape[i] = own; strides[i] = StridesArray[i - lead]; }
            else if (own == 1) { newShape[i] = target; strides[i] = 0; }
            else throw new ArgumentException($"cannot expand shape {Shapes.Format(ShapeArray)} to {Shapes.Format(shape)} (dimension {i}: {own} vs {target})", nameof(shape));
        }
        return ViewOf(newShape, strides, Offset);
    }

    /// <summary>Zeros of <paramref name="baseShape"/> with <paramref name="g"/> added into the view that <paramref name="viewOf"/> selects.</summary>
    private static Tensor ScatterIntoView(Tensor g, int[] baseShape, Func<Tensor, Tensor> viewOf)
    {
        var z = new Tensor((int[])baseShape.Clone(), g.DType);
        Tensor target;
        using (Autograd.NoGrad()) target = viewOf(z);
        var src = g.Contiguous();
        if (g.DType == DType.Float32) Kernels.Strided.AddInto(src.AsSpan<float>(), (float[])z.Storage, target.Offset, target.ShapeArray, target.StridesArray);
        else Kernels.Strided.AddInto(src.AsSpan<double>(), (double[])z.Storage, target.Offset, target.ShapeArray, target.StridesArray);
        return Autograd.Record(z, "ScatterBackward", [g], gg => [viewOf(gg)]);
    }

    /// <summary>Joins tensors of equal shapes but along <paramref name="dim"/>.</summary>
    public static Tensor Cat(Tensor[] tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("cat needs at least one tensor", nameof(tensors));
        var first = tensors[0];
        int d = Shapes.NormalizeDim(dim, first.Rank);
        var shape = (int[])first.ShapeArray.Clone();
        shape[d] = 0;
        foreach (var t in tensors)
        {
            first.CheckSameDType(t, "cat");
            if (t.Rank != first.Rank || Enumerable.Range(0, t.Rank).Any(i => i != d && t.ShapeArray[i] != first.ShapeArray[i]))
                throw new ArgumentException($"cat: shapes {Shapes.Format(first.ShapeArray)} and {Shapes.Format(t.ShapeArray)} differ outside dimension {d}");
            long size = (long)shape[d] + t.ShapeArray[d];
            if (size > int.MaxValue)
                throw new ArgumentException($"cat: the sizes along dimension {d} add up to more than {int.MaxValue} (at shape {Shapes.Format(t.ShapeArray)})", nameof(tensors));
            shape[d] = (int)size;
        }
        var result = new Tensor(shape, first.DType);
        int at = 0;
        var starts = new int[tensors.Length];
        for (int k = 0; k < tensors.Length; k++)
        {
            starts[k] = at;
            var t = tensors[k];
            var slot = result.ViewOf(t.ShapeArray, result.StridesArray, at * result.StridesArray[d]);
            var src = t.Contiguous();
            switch (t.DType)
            {
                case DType.Float32: Kernels.Strided.AddInto(src.AsSpan<float>(), (float[])result.Storage, slot.Offset, slot.ShapeArray, slot.StridesArray); break;
                case DType.Float64: Kernels.Strided.AddInto(src.AsSpan<double>(), (double[])result.Storage, slot.Offset, slot.ShapeArray, slot.StridesArray); break;
                default: Kernels.Strided.AddInto(src.AsSpan<long>(), (long[])result.Storage, slot.Offset, slot.ShapeArray, slot.StridesArray); break;
            }
            at += t.ShapeArray[d];
        }
        return Autograd.Record(result, "CatBackward", tensors, g =>
            tensors.Select((t, k) => (Tensor?)g.Narrow(d, starts[k], t.ShapeArray[d])).ToArray());
    }

    /// <summary>Stacks tensors of one shape along a new dimension.</summary>
    public static Tensor Stack(Tensor[] tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("stack needs at least one tensor", nameof(tensors));
        return Cat(tensors.Select(t => t.Unsqueeze(dim)).ToArray(), dim);
    }
}
