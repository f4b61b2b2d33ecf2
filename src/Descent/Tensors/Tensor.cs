using System.Numerics;

namespace Descent;

/// <summary>
/// An n-dimensional array of float32 (the default), float64 or int64 elements with reverse-mode automatic
/// differentiation. Tensors are ordinary garbage-collected objects; views (reshape, transpose, narrow, expand…)
/// share their storage with the tensor they come from.
/// </summary>
public sealed partial class Tensor
{
    // Storage is a float[], double[] or long[]; the tensor reads it through shape, strides and offset. It is null once
    // a TensorScope has released the tensor.
    private Array? _storage;
    internal readonly int[] ShapeArray;
    internal readonly int[] StridesArray;
    internal readonly int Offset;

    // A number unique to this tensor object, for cheap identity hashing in the backward pass (an object's identity hash
    // code is computed and stored on first use, which is slow for the many short-lived tensors of a training step).
    private static long s_nextId;
    internal readonly long Id = Interlocked.Increment(ref s_nextId);

    internal Tensor(Array storage, int[] shape, int[] strides, int offset, DType dtype)
    {
        _storage = storage;
        ShapeArray = shape;
        StridesArray = strides;
        DType = dtype;
        NumEl = Shapes.NumEl(shape);
        // A view with no elements addresses nothing: its offset (which a stride of an empty shape may have pushed
        // anywhere) is 0, so that its empty span lies inside any storage.
        Offset = NumEl == 0 ? 0 : offset;
        TensorScope.Register(this, storage);
    }

    /// <summary>The elements' array (float[], double[] or long[]).</summary>
    /// <exception cref="ObjectDisposedException">A <see cref="TensorScope"/> released the tensor.</exception>
    internal Array Storage => _storage ?? throw new ObjectDisposedException(nameof(Tensor),
        $"this tensor (shape {Shapes.Format(ShapeArray)}) was released when the TensorScope it was created in ended; keep it with scope.Keep(tensor), or read it before the scope ends");

    /// <summary>The storage, or null when released.</summary>
    internal Array? StorageOrNull => _storage;

    /// <summary>Drops the storage (a scope gives it to the pool); any later read throws.</summary>
    internal void Release() => _storage = null;

    /// <summary>A new contiguous tensor of the given shape and dtype, filled with zeros.</summary>
    internal Tensor(int[] shape, DType dtype)
        : this(AllocateStorage(dtype, Shapes.NumEl(shape)), shape, Shapes.ContiguousStrides(shape), 0, dtype)
    {
    }

    internal static Array AllocateStorage(DType dtype, int n) => TensorScope.Rent(dtype, n, zeroed: true) ?? StoragePool.AllocateZeroed(dtype, n);

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The number of elements.</summary>
    public int NumEl { get; }

    /// <summary>The number of dimensions (0 for a scalar).</summary>
    public int Rank => ShapeArray.Length;

    /// <summary>The size of each dimension (a copy).</summary>
    public int[] Shape => (int[])ShapeArray.Clone();

    /// <summary>
    /// The stride of each dimension in elements (a copy). A tensor without elements may have sizes whose products do not
    /// fit an int ([0, 2147483647, 2147483647]); a stride that would exceed int.MaxValue is then int.MaxValue, since it
    /// never addresses an element.
    /// </summary>
    public int[] Strides => (int[])StridesArray.Clone();

    /// <summary>The size of one dimension; negative indices count from the end.</summary>
    public int Size(int dim) => ShapeArray[Shapes.NormalizeDim(dim, Rank)];

    /// <summary>True when the elements lie in row-major order with no gaps (so the tensor can be read as one span).</summary>
    public bool IsContiguous
    {
        get
        {
            if (NumEl == 0) return true;
            int expected = 1;
            for (int i = Rank - 1; i >= 0; i--)
            {
                if (ShapeArray[i] == 1) continue;
                if (StridesArray[i] != expected) return false;
                expected *= ShapeArray[i];
            }
            return true;
        }
    }

    /// <summary>
    /// The elements as a span, for contiguous tensors. Writing through it changes the tensor outside of autograd's
    /// knowledge, as PyTorch's <c>.data</c> does.
    /// </summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        CheckElementType<T>();
        if (!IsContiguous) throw new InvalidOperationException($"AsSpan needs a contiguous tensor; this one has shape {Shapes.Format(ShapeArray)} and strides {Shapes.Format(StridesArray)} (call Contiguous() first)");
        return new Span<T>((T[])Storage, Offset, NumEl);
    }

    internal void CheckElementType<T>()
    {
        if (DTypeExtensions.Of<T>() != DType)
            throw new InvalidOperationException($"element type {typeof(T).Name} does not match the tensor's dtype {DType.Name()}");
    }

    /// <summary>The elements in row-major order, as a new array.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        CheckElementType<T>();
        return Contiguous().AsSpan<T>().ToArray();
    }

    /// <summary>The elements converted to double, in row-major order.</summary>
    public double[] ToDoubleArray() => DType switch
    {
        DType.Float64 => ToArray<double>(),
        DType.Float32 => Array.ConvertAll(ToArray<float>(), v => (double)v),
        _ => Array.ConvertAll(ToArray<long>(), v => (double)v),
    };

    /// <summary>The value of a one-element tensor.</summary>
    public T Item<T>() where T : unmanaged
    {
        if (NumEl != 1) throw new InvalidOperationException($"Item() needs a tensor with one element, this one has shape {Shapes.Format(ShapeArray)}");
        CheckElementType<T>();
        return ((T[])Storage)[Offset];
    }

    /// <summary>The value of a one-element tensor as a double, whatever its dtype.</summary>
    public double Item() => ToDoubleArray() is [var v] ? v
        : throw new InvalidOperationException($"Item() needs a tensor with one element, this one has shape {Shapes.Format(ShapeArray)}");

    /// <summary>A contiguous tensor with the same elements: this one if it is contiguous already, else a copy.</summary>
    public Tensor Contiguous()
    {
        if (IsContiguous) return this;
        var copy = Uninitialized((int[])ShapeArray.Clone(), DType); // CopyInto writes every element
        CopyInto(copy);
        return Autograd.Record(copy, "CloneBackward", [this], g => [g]);
    }

    /// <summary>A copy with its own storage, recorded in the graph.</summary>
    public Tensor Clone()
    {
        var copy = Uninitialized((int[])ShapeArray.Clone(), DType); // CopyInto writes every element
        CopyInto(copy);
        return Autograd.Record(copy, "CloneBackward", [this], g => [g]);
    }

    /// <summary>Copies this tensor's elements (any strides) into a contiguous tensor of the same shape and dtype.</summary>
    internal void CopyInto(Tensor dest)
    {
        switch (DType)
        {
            case DType.Float32: Kernels.Strided.Copy((float[])Storage, Offset, ShapeArray, StridesArray, dest.AsSpan<float>()); break;
            case DType.Float64: Kernels.Strided.Copy((double[])Storage, Offset, ShapeArray, StridesArray, dest.AsSpan<double>()); break;
            default: Kernels.Strided.Copy((long[])Storage, Offset, ShapeArray, StridesArray, dest.AsSpan<long>()); break;
        }
    }

    /// <summary>This tensor converted to another dtype (itself if the dtype is the same). Differentiable between float types.</summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        var src = Contiguous();
        var result = new Tensor((int[])ShapeArray.Clone(), dtype);
        ConvertSpan(src, result);
        if (!dtype.IsFloatingPoint()) return result;
        DType from = DType;
        return Autograd.Record(result, "ToCopyBackward", [this], g => [g.To(from)]);
    }

    private static void ConvertSpan(Tensor src, Tensor dst)
    {
        switch (src.DType, dst.DType)
        {
            case (DType.Float32, DType.Float64): TensorPrimitivesConvert(src.AsSpan<float>(), dst.AsSpan<double>()); break;
            case (DType.Float64, DType.Float32): TensorPrimitivesConvert(src.AsSpan<double>(), dst.AsSpan<float>()); break;
            case (DType.Int64, DType.Float32): TensorPrimitivesConvert(src.AsSpan<long>(), dst.AsSpan<float>()); break;
            case (DType.Int64, DType.Float64): TensorPrimitivesConvert(src.AsSpan<long>(), dst.AsSpan<double>()); break;
            case (DType.Float32, DType.Int64): TensorPrimitivesConvert(src.AsSpan<float>(), dst.AsSpan<long>()); break;
            case (DType.Float64, DType.Int64): TensorPrimitivesConvert(src.AsSpan<double>(), dst.AsSpan<long>()); break;
            default: throw new InvalidOperationException($"cannot convert {src.DType.Name()} to {dst.DType.Name()}");
        }
    }

    private static void TensorPrimitivesConvert<TFrom, TTo>(ReadOnlySpan<TFrom> src, Span<TTo> dst)
        where TFrom : INumberBase<TFrom> where TTo : INumberBase<TTo>
    {
        for (int i = 0; i < src.Length; i++) dst[i] = TTo.CreateTruncating(src[i]);
    }

    internal void CheckSameDType(Tensor other, string op)
    {
        if (other.DType != DType)
            throw new ArgumentException($"{op}: dtypes differ ({DType.Name()} and {other.DType.Name()}); convert one with To(...)");
    }

    internal void CheckFloat(string op)
    {
        if (!DType.IsFloatingPoint())
            throw new ArgumentException($"{op} needs a floating-point tensor, got {DType.Name()}");
    }
}
