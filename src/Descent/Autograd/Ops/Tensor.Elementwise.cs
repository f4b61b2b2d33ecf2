using System.Numerics;
using Descent.Kernels;

namespace Descent;

public sealed partial class Tensor
{
    /// <summary>Runs a binary kernel with broadcasting into a new tensor (no graph recording).</summary>
    internal static Tensor BinaryKernel<TOp>(Tensor a, Tensor b, string op) where TOp : IBinaryOp
    {
        a.CheckSameDType(b, op);
        a.CheckFloat(op);
        var shape = Shapes.Broadcast(a.ShapeArray, b.ShapeArray, op);
        var result = new Tensor(shape, a.DType);
        if (a.DType == DType.Float32) BinaryInto<float, TOp>(a, b, result);
        else BinaryInto<double, TOp>(a, b, result);
        return result;
    }

    private static void BinaryInto<T, TOp>(Tensor a, Tensor b, Tensor result)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : IBinaryOp
    {
        var d = result.AsSpan<T>();
        bool aFull = Shapes.SameShape(a.ShapeArray, result.ShapeArray);
        bool bFull = Shapes.SameShape(b.ShapeArray, result.ShapeArray);
        if (b.NumEl == 1 && aFull)
        {
            TOp.Apply(a.Contiguous().AsSpan<T>(), ((T[])b.Storage)[b.Offset], d);
            return;
        }
        if (a.NumEl == 1 && bFull)
        {
            TOp.Apply(((T[])a.Storage)[a.Offset], b.Contiguous().AsSpan<T>(), d);
            return;
        }
        if (aFull && IsTrailingBlock(b, result))
        {
            // b repeats over leading dimensions (a bias row): one span call per block.
            var x = a.Contiguous().AsSpan<T>();
            var y = b.Contiguous().AsSpan<T>();
            for (int i = 0; i < d.Length; i += y.Length) TOp.Apply(x.Slice(i, y.Length), y, d.Slice(i, y.Length));
            return;
        }
        if (bFull && IsTrailingBlock(a, result))
        {
            var x = a.Contiguous().AsSpan<T>();
            var y = b.Contiguous().AsSpan<T>();
            for (int i = 0; i < d.Length; i += x.Length) TOp.Apply(x, y.Slice(i, x.Length), d.Slice(i, x.Length));
            return;
        }
        var ax = aFull ? a.Contiguous() : a.ExpandNoGrad(result.ShapeArray).Contiguous();
        var bx = bFull ? b.Contiguous() : b.ExpandNoGrad(result.ShapeArray).Contiguous();
        TOp.Apply(ax.AsSpan<T>(), bx.AsSpan<T>(), d);
    }

    /// <summary>True when <paramref name="small"/>'s shape equals the trailing dims of <paramref name="full"/> (after dropping leading 1s).</summary>
    private static bool IsTrailingBlock(Tensor small, Tensor full)
    {
        var s = small.ShapeArray.AsSpan();
        while (s.Length > 0 && s[0] == 1) s = s[1..];
        if (s.Length > full.Rank || small.NumEl == 0) return false;
        return s.SequenceEqual(full.ShapeArray.AsSpan(full.Rank - s.Length));
    }

    /// <summary>Runs a unary kernel into a new tensor (no graph recording).</summary>
    internal static Tensor UnaryKernel<TOp>(Tensor x, string op) where TOp : IUnaryOp
    {
        x.CheckFloat(op);
        var src = x.Contiguous();
        var result = new Tensor((int[])x.ShapeArray.Clone(), x.DType);
        if (x.DType == DType.Float32) TOp.Apply<float>(src.AsSpan<float>(), result.AsSpan<float>());
        else TOp.Apply<double>(src.AsSpan<double>(), result.AsSpan<double>());
        return result;
    }

    /// <summary>A kernel from one span into another.</summary>
    internal delegate void SpanMap<T>(ReadOnlySpan<T> x, Span<T> d);

    /// <summary>A kernel from two spans of one length into a third.</summary>
    internal delegate void SpanMap2<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d);

    /// <summary>Runs a span kernel, in the tensor's dtype, into a new tensor (no graph recording).</summary>
    internal static Tensor SpanKernel(Tensor x, string op, SpanMap<float> f32, SpanMap<double> f64)
    {
        x.CheckFloat(op);
        var src = x.Contiguous();
        var result = new Tensor((int[])x.ShapeArray.Clone(), x.DType);
        if (x.DType == DType.Float32) f32(src.AsSpan<float>(), result.AsSpan<float>());
        else f64(src.AsSpan<double>(), result.AsSpan<double>());
        return result;
    }

    /// <summary>Runs a span kernel over two tensors of one shape and dtype (an input and its upstream gradient) into a new tensor.</summary>
    internal static Tensor SpanKernel(Tensor x, Tensor y, SpanMap2<float> f32, SpanMap2<double> f64)
    {
        var a = x.Contiguous();
        var b = y.Contiguous();
        var result = new Tensor((int[])x.ShapeArray.Clone(), x.DType);
        if (x.DType == DType.Float32) f32(a.AsSpan<float>(), b.AsSpan<float>(), result.AsSpan<float>());
        else f64(a.AsSpan<double>(), b.AsSpan<double>(), result.AsSpan<double>());
        return result;
    }

    /// <summary>Applies a scalar function to every element into a new tensor (no graph recording): the slow, general path.</summary>
    internal Tensor MapScalar(Func<double, double> f32, Func<double, double> f64, string op)
    {
        CheckFloat(op);
        var src = Contiguous();
        var result = new Tensor((int[])ShapeArray.Clone(), DType);
        if (DType == DType.Float32)
        {
            var s = src.AsSpan<float>();
            var d = result.AsSpan<float>();
            for (int i = 0; i < s.Length; i++) d[i] = (float)f32(s[i]);
        }
        else
        {
            var s = src.AsSpan<double>();
            var d = result.AsSpan<double>();
            for (int i = 0; i < s.Length; i++) d[i] = f64(s[i]);
        }
        return result;
    }

    /// <summary>Sums a broadcast gradient back down to <paramref name="shape"/>.</summary>
    internal static Tensor SumToShape(Tensor g, int[] shape)
    {
        if (Shapes.SameShape(g.ShapeArray, shape)) return g;
        int lead = g.Rank - shape.Length;
        var dims = new List<int>();
        for (int i = 0; i < g.Rank; i++)
            if (i < lead || (shape[i - lead] == 1 && g.ShapeArray[i] != 1)) dims.Add(i);
        var summed = dims.Count > 0 ? g.Sum([.. dims], keepDim: true) : g;
        return summed.Reshape(shape);
    }
}
