namespace Descent;

public sealed partial class Tensor
{
    // Comparisons produce 1/0 masks outside the graph: the inputs' dtype when it is floating point, else float32.
    private Tensor Compare<TCmp>(Tensor other, string op) where TCmp : struct, IComparisonOp
    {
        CheckSameDType(other, op);
        var shape = Shapes.Broadcast(ShapeArray, other.ShapeArray, op);
        var maskType = DType.IsFloatingPoint() ? DType : DType.Float32;
        var result = new Tensor(shape, maskType);
        switch (DType)
        {
            case DType.Float32: CompareInto<float, float, TCmp>(this, other, result); break;
            case DType.Float64: CompareInto<double, double, TCmp>(this, other, result); break;
            default: CompareInto<long, float, TCmp>(this, other, result); break;
        }
        return result;
    }

    private static void CompareInto<T, TMask, TCmp>(Tensor a, Tensor b, Tensor result)
        where T : unmanaged, System.Numerics.INumber<T> where TMask : unmanaged, System.Numerics.INumber<TMask> where TCmp : struct, IComparisonOp
    {
        var d = result.AsSpan<TMask>();
        if (b.NumEl == 1)
        {
            var x = (Shapes.SameShape(a.ShapeArray, result.ShapeArray) ? a : a.ExpandNoGrad(result.ShapeArray)).Contiguous().AsSpan<T>();
            T y = ((T[])b.Storage)[b.Offset];
            for (int i = 0; i < d.Length; i++) d[i] = TCmp.Test(x[i], y) ? TMask.One : TMask.Zero;
            return;
        }
        var xs = a.ExpandNoGrad(result.ShapeArray).Contiguous().AsSpan<T>();
        var ys = b.ExpandNoGrad(result.ShapeArray).Contiguous().AsSpan<T>();
        for (int i = 0; i < d.Length; i++) d[i] = TCmp.Test(xs[i], ys[i]) ? TMask.One : TMask.Zero;
    }

    internal interface IComparisonOp
    {
        static abstract bool Test<T>(T x, T y) where T : System.Numerics.INumber<T>;
    }

    private readonly struct EqOp : IComparisonOp { public static bool Test<T>(T x, T y) where T : System.Numerics.INumber<T> => x == y; }
    private readonly struct GtOp : IComparisonOp { public static bool Test<T>(T x, T y) where T : System.Numerics.INumber<T> => x > y; }
    private readonly struct LtOp : IComparisonOp { public static bool Test<T>(T x, T y) where T : System.Numerics.INumber<T> => x < y; }
    private readonly struct GeOp : IComparisonOp { public static bool Test<T>(T x, T y) where T : System.Numerics.INumber<T> => x >= y; }
    private readonly struct LeOp : IComparisonOp { public static bool Test<T>(T x, T y) where T : System.Numerics.INumber<T> => x <= y; }

    private Tensor AsScalarLike(double value) => Scalar(value, DType);

    /// <summary>1 where the elements are equal, else 0.</summary>
    public Tensor Eq(Tensor other) => Compare<EqOp>(other, "eq");

    /// <summary>1 where the element equals <paramref name="value"/>, else 0.</summary>
    public Tensor Eq(double value) => Eq(AsScalarLike(value));

    /// <summary>1 where this &gt; other, else 0.</summary>
    public Tensor Gt(Tensor other) => Compare<GtOp>(other, "gt");

    /// <summary>1 where this &gt; value, else 0.</summary>
    public Tensor Gt(double value) => Gt(AsScalarLike(value));

    /// <summary>1 where this &lt; other, else 0.</summary>
    public Tensor Lt(Tensor other) => Compare<LtOp>(other, "lt");

    /// <summary>1 where this &lt; value, else 0.</summary>
    public Tensor Lt(double value) => Lt(AsScalarLike(value));

    /// <summary>1 where this &gt;= other, else 0.</summary>
    public Tensor Ge(Tensor other) => Compare<GeOp>(other, "ge");

    /// <summary>1 where this &gt;= value, else 0.</summary>
    public Tensor Ge(double value) => Ge(AsScalarLike(value));

    /// <summary>1 where this &lt;= other, else 0.</summary>
    public Tensor Le(Tensor other) => Compare<LeOp>(other, "le");

    /// <summary>1 where this &lt;= value, else 0.</summary>
    public Tensor Le(double value) => Le(AsScalarLike(value));

    /// <summary>A copy with <paramref name="value"/> wherever <paramref name="mask"/> is non-zero (mask broadcasts to this shape).</summary>
    public Tensor MaskedFill(Tensor mask, double value)
    {
        CheckFloat("masked_fill");
        var m = mask.To(DType).ExpandNoGrad(ShapeArray).Contiguous();
        var result = Contiguous().Detach().Clone().Detach();
        if (DType == DType.Float32)
        {
            var d = result.AsSpan<float>();
            var ms = m.AsSpan<float>();
            for (int i = 0; i < d.Length; i++) if (ms[i] != 0) d[i] = (float)value;
        }
        else
        {
            var d = result.AsSpan<double>();
            var ms = m.AsSpan<double>();
            for (int i = 0; i < d.Length; i++) if (ms[i] != 0) d[i] = value;
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
