using System.Numerics.Tensors;

namespace Descent;

// Whether a tensor holds only finite numbers: what SkipNonFinite, the trainer's divergence checks and anomaly detection
// ask. Reads any strides without recording an operation.
public sealed partial class Tensor
{
    /// <summary>True when no element is NaN or infinite (always for int64 and for an empty tensor).</summary>
    internal bool IsAllFinite()
    {
        if (!DType.IsFloatingPoint() || NumEl == 0) return true;
        var t = ContiguousUnrecorded();
        return DType == DType.Float32 ? TensorPrimitives.IsFiniteAll<float>(t.AsSpan<float>()) : TensorPrimitives.IsFiniteAll<double>(t.AsSpan<double>());
    }

    /// <summary>
    /// How many elements are NaN or infinite, and the first of them in row-major order (its index and value), for an
    /// error message: "3 of 64 elements, the first NaN at index 5".
    /// </summary>
    internal string DescribeNonFinite()
    {
        var values = ContiguousUnrecorded().ToDoubleArrayUnrecorded();
        int count = 0, first = -1;
        for (int i = 0; i < values.Length; i++)
        {
            if (double.IsFinite(values[i])) continue;
            if (count++ == 0) first = i;
        }
        return count == 0 ? "no element that is not finite"
            : $"{count} of {values.Length} elements not finite, the first {Require.Format(values[first])} at index {first}";
    }

    /// <summary>
    /// The first element below zero in row-major order (its index and value), or null when there is none (always for
    /// int64 and for an empty tensor). Reads the elements in place: a large optimizer state is not copied to check it.
    /// </summary>
    internal (int Index, double Value)? FirstNegative()
    {
        if (!DType.IsFloatingPoint() || NumEl == 0) return null;
        var t = ContiguousUnrecorded();
        if (DType == DType.Float32)
        {
            var f = t.AsSpan<float>();
            int i = f.IndexOfAnyInRange(float.NegativeInfinity, -float.Epsilon); // -0 is not below zero
            return i < 0 ? null : (i, f[i]);
        }
        var d = t.AsSpan<double>();
        int j = d.IndexOfAnyInRange(double.NegativeInfinity, -double.Epsilon);
        return j < 0 ? null : (j, d[j]);
    }

    /// <summary>This tensor if contiguous, else a contiguous copy that is not recorded in the graph.</summary>
    private Tensor ContiguousUnrecorded()
    {
        if (IsContiguous) return this;
        var copy = Uninitialized((int[])ShapeArray.Clone(), DType);
        CopyInto(copy);
        return copy;
    }

    private double[] ToDoubleArrayUnrecorded() => DType switch
    {
        DType.Float64 => AsSpan<double>().ToArray(),
        DType.Float32 => Array.ConvertAll(AsSpan<float>().ToArray(), v => (double)v),
        _ => Array.ConvertAll(AsSpan<long>().ToArray(), v => (double)v),
    };
}
