namespace Descent;

public sealed partial class Tensor
{
    // Comparisons produce 1/0 masks outside the graph: the inputs' dtype when it is floating point, else float32.
    private Tensor Compare(Tensor other, Func<double, double, bool> cmp, string op)
    {
        CheckSameDType(other, op);
        var shape = Shapes.Broadcast(ShapeArray, other.ShapeArray, op);
        var a = ExpandNoGrad(shape).ToDoubleArray();
        var b = other.ExpandNoGrad(shape).ToDoubleArray();
        var maskType = DType.IsFloatingPoint() ? DType : DType.Float32;
        var result = new Tensor(shape, maskType);
        if (maskType == DType.Float32)
        {
            var d = result.AsSpan<float>();
            for (int i = 0; i < d.Length; i++) d[i] = cmp(a[i], b[i]) ? 1f : 0f;
        }
        else
        {
            var d = result.AsSpan<double>();
            for (int i = 0; i < d.Length; i++) d[i] = cmp(a[i], b[i]) ? 1.0 : 0.0;
        }
        return result;
    }

    private Tensor AsScalarLike(double value) => Scalar(value, DType);

    /// <summary>1 where the elements are equal, else 0.</summary>
    public Tensor Eq(Tensor other) => Compare(other, (x, y) => x == y, "eq");

    /// <summary>1 where the element equals <paramref name="value"/>, else 0.</summary>
    public Tensor Eq(double value) => Eq(AsScalarLike(value));

    /// <summary>1 where this &gt; other, else 0.</summary>
    public Tensor Gt(Tensor other) => Compare(other, (x, y) => x > y, "gt");

    /// <summary>1 where this &gt; value, else 0.</summary>
    public Tensor Gt(double value) => Gt(AsScalarLike(value));

    /// <summary>1 where this &lt; other, else 0.</summary>
    public Tensor Lt(Tensor other) => Compare(other, (x, y) => x < y, "lt");

    /// <summary>1 where this &lt; value, else 0.</summary>
    public Tensor Lt(double value) => Lt(AsScalarLike(value));

    /// <summary>1 where this &gt;= other, else 0.</summary>
    public Tensor Ge(Tensor other) => Compare(other, (x, y) => x >= y, "ge");

    /// <summary>1 where this &gt;= value, else 0.</summary>
    public Tensor Ge(double value) => Ge(AsScalarLike(value));

    /// <summary>1 where this &lt;= other, else 0.</summary>
    public Tensor Le(Tensor other) => Compare(other, (x, y) => x <= y, "le");

    /// <summary>1 where this &lt;= value, else 0.</summary>
    public Tensor Le(double value) => Le(AsScalarLike(value));

    /// <summary>A copy with <paramref name="value"/> wherever <paramref name="mask"/> is non-zero (mask broadcasts to this shape).</summary>
    public Tensor MaskedFill(Tensor mask, double value)
    {
        CheckFloat("masked_fill");
        var m = mask.ExpandNoGrad(ShapeArray).ToDoubleArray();
        var result = Contiguous().Detach().Clone().Detach();
        if (DType == DType.Float32)
        {
            var d = result.AsSpan<float>();
            for (int i = 0; i < d.Length; i++) if (m[i] != 0) d[i] = (float)value;
        }
        else
        {
            var d = result.AsSpan<double>();
            for (int i = 0; i < d.Length; i++) if (m[i] != 0) d[i] = value;
        }
        return Autograd.Record(result, "MaskedFillBackward", [this], g => [g.MaskedFill(mask, 0)]);
    }

    /// <summary>Picks <paramref name="a"/> where <paramref name="condition"/> is non-zero, else <paramref name="b"/> (all broadcast together).</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var shape = Shapes.Broadcast(Shapes.Broadcast(condition.ShapeArray, a.ShapeArray, "where"), b.ShapeArray, "where");
        var c = condition.ExpandNoGrad(shape).Contiguous().To(a.DType).Detach();
        return a * c + b * (1.0 - c);
    }
}
