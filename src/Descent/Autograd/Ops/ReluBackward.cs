using System.Numerics;

namespace Descent;

/// <summary>ReLU's value split over threads, and its gradient in one pass: g where x &gt; 0, else 0 (PyTorch's threshold_backward).</summary>
internal static class ReluGrad
{
    /// <summary>max(x, 0) elementwise (NaN stays NaN), as the unary kernel computes it, with large tensors split over threads.</summary>
    public static Tensor Forward(Tensor x)
    {
        x.CheckFloat("relu");
        if (x.NumEl <= 1 << 18) return Tensor.UnaryKernel<ReluOp>(x, "relu");
        var src = x.Contiguous().Detach();
        var result = Tensor.Uninitialized((int[])x.ShapeArray.Clone(), x.DType);
        if (x.DType == DType.Float32) MaxZero<float>(src, result);
        else MaxZero<double>(src, result);
        return result;
    }

    private static void MaxZero<T>(Tensor x, Tensor result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var xs = (T[])x.Storage; int xOff = x.Offset;
        var ds = (T[])result.Storage;
        int n = result.NumEl, threads = Kernels.Parallelism.MaxThreads;
        Kernels.Parallelism.For(threads, threads, part =>
        {
            int start = (int)((long)part * n / threads), end = (int)((long)(part + 1) * n / threads);
            ReluOp.Apply<T>(xs.AsSpan(xOff + start, end - start), ds.AsSpan(start, end - start));
        });
    }

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
        var result = Tensor.Uninitialized((int[])x.ShapeArray.Clone(), x.DType);
        if (x.DType == DType.Float32) Run<float>(gc, xc, result);
        else Run<double>(gc, xc, result);
        return result;
    }

    /// <summary>Elementwise, so any split over threads gives the same result.</summary>
    private static void Run<T>(Tensor g, Tensor x, Tensor result) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gs = (T[])g.Storage; int gOff = g.Offset;
        var xs = (T[])x.Storage; int xOff = x.Offset;
        var ds = (T[])result.Storage;
        int n = result.NumEl;
        int threads = n > 1 << 18 ? Kernels.Parallelism.MaxThreads : 1;
        Kernels.Parallelism.For(threads, threads, part =>
        {
            int start = (int)((long)part * n / threads), end = (int)((long)(part + 1) * n / threads);
            Select<T>(gs.AsSpan(gOff + start, end - start), xs.AsSpan(xOff + start, end - start), ds.AsSpan(start, end - start));
        });
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
