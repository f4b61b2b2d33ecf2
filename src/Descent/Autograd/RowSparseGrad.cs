using System.Numerics;
using System.Numerics.Tensors;

namespace Descent;

/// <summary>
/// A row-sparse gradient: the gradient of a parameter of shape [rows, …] that is zero except in the rows listed in
/// <see cref="Indices"/>, whose values are the rows of <see cref="Values"/>. It is what PyTorch's sparse embedding gives
/// as <c>.grad</c> (a sparse COO tensor with one sparse dimension), always coalesced: the indices are strictly
/// increasing, so each touched row appears once, with the sum of every contribution to it. A parameter holds it in
/// <see cref="Tensor.SparseGrad"/>, in place of a dense <see cref="Tensor.Grad"/>.
/// </summary>
public sealed class RowSparseGrad
{
    private readonly int[] _shape;

    /// <summary>
    /// Creates the gradient of a parameter of shape <paramref name="shape"/> from the rows <paramref name="indices"/>
    /// (int64 [k], strictly increasing, each in [0, shape[0])) and their values <paramref name="values"/>
    /// ([k, shape[1], …], float32 or float64). The tensors are used as they are, not copied.
    /// </summary>
    public RowSparseGrad(Tensor indices, Tensor values, IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(shape);
        _shape = [.. shape];
        if (_shape.Length == 0) throw new ArgumentException("a row-sparse gradient needs a parameter of at least one dimension, got a scalar shape", nameof(shape));
        if (indices.DType != DType.Int64 || indices.Rank != 1)
            throw new ArgumentException($"indices must be an int64 vector, got {indices.DType.Name()} of shape {Shapes.Format(indices.ShapeArray)}", nameof(indices));
        if (!values.DType.IsFloatingPoint())
            throw new ArgumentException($"values must be float32 or float64, got {values.DType.Name()}", nameof(values));
        int[] expected = [indices.NumEl, .. _shape[1..]];
        if (!Shapes.SameShape(values.ShapeArray, expected))
            throw new ArgumentException($"values of a row-sparse gradient with {indices.NumEl} rows of a parameter of shape {Shapes.Format(_shape)} must have shape {Shapes.Format(expected)}, got {Shapes.Format(values.ShapeArray)}", nameof(values));
        Indices = indices.IsContiguous ? indices : indices.Contiguous();
        Values = values.IsContiguous ? values : values.Contiguous();
        var rows = Indices.AsSpan<long>();
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i] < 0 || rows[i] >= _shape[0])
                throw new ArgumentException($"row index {rows[i]} (at {i}) is out of range for a parameter with {_shape[0]} rows", nameof(indices));
            if (i > 0 && rows[i] <= rows[i - 1])
                throw new ArgumentException($"row indices must be strictly increasing (coalesced), got {rows[i - 1]} then {rows[i]} at {i}", nameof(indices));
        }
    }

    /// <summary>The touched rows: int64 [k], strictly increasing.</summary>
    public Tensor Indices { get; }

    /// <summary>The gradient's values in the touched rows: [k, shape[1], …], contiguous.</summary>
    public Tensor Values { get; }

    /// <summary>The shape of the parameter (and of the dense gradient this one stands for).</summary>
    public IReadOnlyList<int> Shape => _shape;

    internal int[] ShapeArray => _shape;

    /// <summary>The number of touched rows, k.</summary>
    public int RowCount => Indices.NumEl;

    /// <summary>The elements in one row: the product of the shape's dimensions after the first.</summary>
    public int RowLength => Shapes.NumEl(_shape.AsSpan(1));

    /// <summary>The dtype of the values (the parameter's).</summary>
    public DType DType => Values.DType;

    /// <summary>The same gradient as a dense tensor of <see cref="Shape"/> (zeros in the rows not touched).</summary>
    public Tensor ToDense()
    {
        var dense = Tensor.Zeros(_shape, DType);
        AddInto(dense);
        return dense;
    }

    /// <summary>A gradient with no touched row, as <c>zero_()</c> leaves a sparse gradient in PyTorch.</summary>
    public static RowSparseGrad Empty(IReadOnlyList<int> shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return new RowSparseGrad(Tensor.Zeros([0], DType.Int64), Tensor.Zeros([0, .. shape.Skip(1)], dtype), shape);
    }

    /// <summary>
    /// The gradient of a row lookup: <paramref name="rowOf"/>[i] is the parameter row that received
    /// <paramref name="contributions"/>' row i ([n, rowLength], contiguous); rows equal to <paramref name="skip"/> (a
    /// padding row) get nothing. Contributions to one row are summed in their order, starting from zero, exactly as the
    /// dense gradient sums them, so the two agree bit for bit.
    /// </summary>
    internal static RowSparseGrad FromLookup(ReadOnlySpan<long> rowOf, Tensor contributions, int[] shape, long skip = -1)
    {
        var distinct = new SortedSet<long>();
        foreach (var r in rowOf)
            if (r != skip) distinct.Add(r);
        var rows = distinct.ToArray();
        var values = Tensor.Zeros([rows.Length, .. shape[1..]], contributions.DType);
        int length = Shapes.NumEl(shape.AsSpan(1));
        if (contributions.DType == DType.Float32) SumRows<float>(rowOf, contributions, rows, values, length, skip);
        else SumRows<double>(rowOf, contributions, rows, values, length, skip);
        return new RowSparseGrad(Tensor.FromArray(rows), values, shape);
    }

    private static void SumRows<T>(ReadOnlySpan<long> rowOf, Tensor contributions, long[] rows, Tensor values, int length, long skip)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var src = contributions.AsSpan<T>();
        var dst = values.AsSpan<T>();
        for (int i = 0; i < rowOf.Length; i++)
        {
            if (rowOf[i] == skip) continue;
            AddRow(dst, Array.BinarySearch(rows, rowOf[i]), src, i, length);
        }
    }

    /// <summary>The sum of this gradient and <paramref name="other"/> (same shape and dtype): the union of their rows.</summary>
    internal RowSparseGrad Add(RowSparseGrad other)
    {
        var a = Indices.AsSpan<long>();
        var b = other.Indices.AsSpan<long>();
        var rows = new List<long>(a.Length + b.Length);
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            long next = j == b.Length || (i < a.Length && a[i] <= b[j]) ? a[i] : b[j];
            rows.Add(next);
            if (i < a.Length && a[i] == next) i++;
            if (j < b.Length && b[j] == next) j++;
        }
        var merged = rows.ToArray();
        var values = Tensor.Zeros([merged.Length, .. _shape[1..]], DType);
        // Each side added into the zeroed rows in turn: a row both touch gets this one's value plus the other's.
        ScatterInto(values, merged, Indices.AsSpan<long>(), Values);
        ScatterInto(values, merged, other.Indices.AsSpan<long>(), other.Values);
        return new RowSparseGrad(Tensor.FromArray(merged), values, _shape);
    }

    /// <summary>Adds this gradient into <paramref name="dense"/> (contiguous, of <see cref="Shape"/>) in place.</summary>
    internal void AddInto(Tensor dense)
    {
        var all = Indices.AsSpan<long>();
        if (DType == DType.Float32) AddRows<float>(dense.AsSpan<float>(), all, Values.AsSpan<float>(), RowLength);
        else AddRows<double>(dense.AsSpan<double>(), all, Values.AsSpan<double>(), RowLength);
    }

    /// <summary>Adds this gradient into <paramref name="dense"/>, the elements of a dense gradient of <see cref="Shape"/> in row-major order.</summary>
    internal void AddInto<T>(Span<T> dense) where T : unmanaged, IFloatingPointIeee754<T> =>
        AddRows(dense, Indices.AsSpan<long>(), Values.AsSpan<T>(), RowLength);

    /// <summary>Sets the entry of every touched row in <paramref name="rows"/> (one per row of the parameter) to one.</summary>
    internal void MarkRows<T>(Span<T> rows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (long row in Indices.AsSpan<long>()) rows[(int)row] = T.One;
    }

    /// <summary>Adds the rows <paramref name="values"/> of <paramref name="rows"/> into <paramref name="target"/>, whose rows are <paramref name="targetRows"/> (a superset).</summary>
    private void ScatterInto(Tensor target, long[] targetRows, ReadOnlySpan<long> rows, Tensor values)
    {
        int length = RowLength;
        for (int i = 0; i < rows.Length; i++)
        {
            int slot = Array.BinarySearch(targetRows, rows[i]);
            if (DType == DType.Float32) AddRow<float>(target.AsSpan<float>(), slot, values.AsSpan<float>(), i, length);
            else AddRow<double>(target.AsSpan<double>(), slot, values.AsSpan<double>(), i, length);
        }
    }

    private static void AddRows<T>(Span<T> dense, ReadOnlySpan<long> rows, ReadOnlySpan<T> values, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows.Length; i++) AddRow(dense, (int)rows[i], values, i, length);
    }

    private static void AddRow<T>(Span<T> target, int targetRow, ReadOnlySpan<T> values, int row, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dst = target.Slice(targetRow * length, length);
        TensorPrimitives.Add(dst, values.Slice(row * length, length), dst);
    }
}
