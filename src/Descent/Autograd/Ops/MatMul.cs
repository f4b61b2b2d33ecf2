using Descent.Kernels;

namespace Descent;

public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product with PyTorch's rules: 1-D·1-D is a dot product, 2-D·2-D a matrix product, a 1-D operand is
    /// treated as a row (left) or column (right) vector and that dimension removed, and higher ranks are batches whose
    /// leading dimensions broadcast.
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        CheckSameDType(other, "matmul");
        CheckFloat("matmul");
        if (Rank == 0 || other.Rank == 0)
            throw new ArgumentException($"matmul needs tensors of rank >= 1, got shapes {Shapes.Format(ShapeArray)} and {Shapes.Format(other.ShapeArray)}");
        var a = Rank == 1 ? Unsqueeze(0) : this;
        var b = other.Rank == 1 ? other.Unsqueeze(-1) : other;
        var r = BatchedMatMul(a, b);
        if (other.Rank == 1) r = r.Squeeze(-1);
        if (Rank == 1) r = r.Squeeze(Rank == 1 && other.Rank == 1 ? 0 : -2);
        return r;
    }

    /// <summary>Matrix product of tensors of rank ≥ 2 whose batch dimensions broadcast.</summary>
    private static Tensor BatchedMatMul(Tensor a, Tensor b)
    {
        int m = a.ShapeArray[^2], k = a.ShapeArray[^1], k2 = b.ShapeArray[^2], n = b.ShapeArray[^1];
        if (k != k2)
            throw new ArgumentException($"matmul: shapes {Shapes.Format(a.ShapeArray)} and {Shapes.Format(b.ShapeArray)} cannot be multiplied ({k} columns vs {k2} rows)");
        var batch = Shapes.Broadcast(a.ShapeArray[..^2], b.ShapeArray[..^2], "matmul");
        var ae = a.ExpandNoGrad([.. batch, m, k]).Contiguous();
        var be = b.ExpandNoGrad([.. batch, k, n]).Contiguous();
        var result = new Tensor([.. batch, m, n], a.DType);
        int count = Shapes.NumEl(batch);
        for (int i = 0; i < count; i++)
        {
            if (a.DType == DType.Float32)
                Gemm.Multiply(m, n, k, ae.AsSpan<float>().Slice(i * m * k, m * k), be.AsSpan<float>().Slice(i * k * n, k * n), result.AsSpan<float>().Slice(i * m * n, m * n));
            else
                Gemm.Multiply(m, n, k, ae.AsSpan<double>().Slice(i * m * k, m * k), be.AsSpan<double>().Slice(i * k * n, k * n), result.AsSpan<double>().Slice(i * m * n, m * n));
        }
        return Autograd.Record(result, "MmBackward", [a, b], g => [
            a.RequiresGrad ? SumToShape(g.MatMul(b.Transpose(-1, -2)), a.ShapeArray) : null,
            b.RequiresGrad ? SumToShape(a.Transpose(-1, -2).MatMul(g), b.ShapeArray) : null]);
    }
}
