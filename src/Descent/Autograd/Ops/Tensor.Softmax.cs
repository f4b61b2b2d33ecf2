using System.Numerics;
using System.Numerics.Tensors;

namespace Descent;

public sealed partial class Tensor
{
    /// <summary>
    /// Softmax along <paramref name="dim"/>: exp(xᵢ − max) / Σⱼ exp(xⱼ − max), as <c>torch.softmax</c>.
    /// Backward: y ⊙ (g − Σ g ⊙ y).
    /// </summary>
    public Tensor Softmax(int dim)
    {
        CheckFloat("softmax");
        int d = Shapes.NormalizeDim(dim, Rank);
        var y = SoftmaxKernel(d, log: false);
        return Autograd.Record(y, "SoftmaxBackward", [this], g =>
        {
            if (!Autograd.IsGradEnabled) return [SoftmaxGradient(y, g, d, log: false)];
            // Recording the backward pass (create_graph): compose from the recorded output, so that it can be
            // differentiated again.
            var gy = g * y;
            return [gy - y * gy.Sum(d, keepDim: true)];
        });
    }

    /// <summary>
    /// Logarithm of the softmax along <paramref name="dim"/>, computed stably as x − max − log Σ exp(x − max), as
    /// <c>torch.log_softmax</c>. Backward: g − softmax ⊙ Σ g.
    /// </summary>
    public Tensor LogSoftmax(int dim)
    {
        CheckFloat("log_softmax");
        int d = Shapes.NormalizeDim(dim, Rank);
        var y = SoftmaxKernel(d, log: true);
        return Autograd.Record(y, "LogSoftmaxBackward", [this], g => [Autograd.IsGradEnabled
            ? g - y.Exp() * g.Sum(d, keepDim: true)
            : SoftmaxGradient(y, g, d, log: true)]);
    }

    private Tensor SoftmaxKernel(int d, bool log)
    {
        var src = Contiguous();
        var result = new Tensor((int[])ShapeArray.Clone(), DType);
        var (outer, size, inner) = SplitAt(ShapeArray, d);
        if (DType == DType.Float32) Kernels.Softmax.Forward<float>(src.AsSpan<float>(), result.AsSpan<float>(), outer, size, inner, log);
        else Kernels.Softmax.Forward<double>(src.AsSpan<double>(), result.AsSpan<double>(), outer, size, inner, log);
        return result;
    }

    private static Tensor SoftmaxGradient(Tensor y, Tensor g, int d, bool log)
    {
        var gc = g.Contiguous();
        var dx = new Tensor((int[])y.ShapeArray.Clone(), y.DType);
        var (outer, size, inner) = SplitAt(y.ShapeArray, d);
        if (y.DType == DType.Float32) Kernels.Softmax.Backward<float>(y.AsSpan<float>(), gc.AsSpan<float>(), dx.AsSpan<float>(), outer, size, inner, log);
        else Kernels.Softmax.Backward<double>(y.AsSpan<double>(), gc.AsSpan<double>(), dx.AsSpan<double>(), outer, size, inner, log);
        return dx;
    }
}
