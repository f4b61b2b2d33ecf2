using System.Numerics;

namespace Descent;

/// <summary>ReLU's gradient in one pass: g where x &gt; 0, else 0 (PyTorch's threshold_backward).</summary>
internal static class ReluGrad
{
    /// <summary>
    /// The input gradient for <c>relu(x)</c> given the output gradient <paramref name="g"/> (same shape as x). When a
    /// graph of the backward pass is being built, it is the differentiable product g·(x &gt; 0); otherwise one fused
    /// kernel selects g or 0 without materialising the mask.
    /// </summary>
    public static Tensor Of(Tensor g, Tensor x)
    {
        if ((Autograd.IsGradEnabled && g.RequiresGrad) || g.DType != x.DType || !x.DType.IsFloatingPoint() || !Shapes.SameShape(g.ShapeArray, x.ShapeArray))
            return g * x.Gt(0.0);
        var gc = g.Contiguous().Detach();
        var xc = x.Contiguous().Detach();
        var result = new Tensor((int[])x.ShapeArray.Clone(), x.DType);
        if (x.DType == DType.Float32) Select<float>(gc.AsSpan<float>(), xc.AsSpan<float>(), result.AsSpan<float>());
        else Select<double>(gc.AsSpan<double>(), xc.AsSpan<double>(), result.AsSpan<double>());
        return result;
    }

    private static void Select<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= d.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var positive = Vector.GreaterThan(new Vector<T>(x[i..]), Vector<T>.Zero);
                Vector.ConditionalSelect(positive, new Vector<T>(g[i..]), Vector<T>.Zero).CopyTo(d[i..]);
            }
        }
        for (; i < d.Length; i++) d[i] = x[i] > T.Zero ? g[i] : T.Zero;
    }
}
