using Descent.Kernels;

namespace Descent;

/// <summary>ReLU's value, split over threads when large, and its gradient in one pass: g where x &gt; 0, else 0 (PyTorch's threshold_backward).</summary>
internal static class ReluGrad
{
    /// <summary>max(x, 0) elementwise (NaN stays NaN), as the unary kernel computes it, with large tensors split over threads.</summary>
    public static Tensor Forward(Tensor x)
    {
        x.CheckFloat("relu");
        if (x.NumEl <= 1 << 18) return Tensor.UnaryKernel<ReluOp>(x, "relu");
        var src = x.Contiguous().Detach();
        var result = Tensor.Uninitialized((int[])x.ShapeArray.Clone(), x.DType);
        if (x.DType == DType.Float32) Relu.Forward((float[])src.Storage, src.Offset, (float[])result.Storage, result.NumEl);
        else Relu.Forward((double[])src.Storage, src.Offset, (double[])result.Storage, result.NumEl);
        return result;
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
        if (x.DType == DType.Float32) Relu.Backward((float[])gc.Storage, gc.Offset, (float[])xc.Storage, xc.Offset, (float[])result.Storage, result.NumEl);
        else Relu.Backward((double[])gc.Storage, gc.Offset, (double[])xc.Storage, xc.Offset, (double[])result.Storage, result.NumEl);
        return result;
    }
}
