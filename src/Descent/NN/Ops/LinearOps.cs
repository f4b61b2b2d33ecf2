using System.Numerics;

namespace Descent.NN;

/// <summary>The affine map of a fully connected layer.</summary>
internal static class LinearOps
{
    /// <summary>x · wᵀ + b with w [out, in] (or [in]), x [*, in], b [out] (or a scalar).</summary>
    public static Tensor Linear(Tensor x, Tensor w, Tensor? b)
    {
        x.CheckFloat("linear");
        x.CheckSameDType(w, "linear");
        if (w.Rank is not (1 or 2)) throw new ArgumentException($"linear: weight must be [out, in] or [in], got shape {Shapes.Format(w.ShapeArray)}", nameof(w));
        if (x.Rank == 0 || x.ShapeArray[^1] != w.ShapeArray[^1])
            throw new ArgumentException($"linear: input of shape {Shapes.Format(x.ShapeArray)} does not match weight of shape {Shapes.Format(w.ShapeArray)} (need input.shape[-1] == weight.shape[-1])");
        int outFeatures = w.Rank == 2 ? w.ShapeArray[0] : 1;
        if (b is not null)
        {
            x.CheckSameDType(b, "linear");
            if (b.NumEl != outFeatures || b.Rank > 1)
                throw new ArgumentException($"linear: bias of shape {Shapes.Format(b.ShapeArray)} does not match weight of shape {Shapes.Format(w.ShapeArray)} (need [{outFeatures}])", nameof(b));
        }
        if (x.Rank == 2 && w.Rank == 2 && b is null or { Rank: 1 }) return Addmm(x, w, b);
        var y = x.MatMul(w.Rank == 2 ? w.Transpose(0, 1) : w);
        return b is null ? y : y + b;
    }

    /// <summary>
    /// The common case x [m, in] · w [out, in]ᵀ + b [out] in one matrix product that starts from the bias (PyTorch's
    /// addmm), with the gradients each computed in the layout of its input: g·w, gᵀ·x (a row-major weight gradient) and
    /// the column sums of g.
    /// </summary>
    private static Tensor Addmm(Tensor x, Tensor w, Tensor? b)
    {
        int m = x.ShapeArray[0], k = x.ShapeArray[1], n = w.ShapeArray[0];
        var xc = x.Contiguous().Detach();
        var wc = w.Contiguous().Detach();
        var y = Tensor.Uninitialized([m, n], x.DType);
        if (x.DType == DType.Float32) Forward<float>(xc, wc, b, y, m, n, k);
        else Forward<double>(xc, wc, b, y, m, n, k);
        Tensor[] inputs = b is null ? [x, w] : [x, w, b];
        return Autograd.Record(y, "AddmmBackward", inputs, g =>
        {
            var gx = x.RequiresGrad ? g.MatMul(w) : null;
            var gw = w.RequiresGrad ? g.Transpose(0, 1).MatMul(x) : null;
            if (b is null) return [gx, gw];
            return [gx, gw, b.RequiresGrad ? g.Sum([0]).Reshape(b.ShapeArray) : null];
        });
    }

    private static void Forward<T>(Tensor x, Tensor w, Tensor? b, Tensor y, int m, int n, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ys = y.AsSpan<T>();
        if (b is not null)
        {
            var bias = b.Contiguous().AsSpan<T>();
            for (int r = 0; r < m; r++) bias.CopyTo(ys.Slice(r * n, n));
        }
        Kernels.Gemm.Multiply<T>(false, true, m, n, k, x.AsSpan<T>(), k, w.AsSpan<T>(), k, ys, n, accumulate: b is not null);
    }
}
