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
        var r = BatchedMatMul(a, b, ShapeArray, other.ShapeArray);
        if (other.Rank == 1) r = r.Squeeze(-1);
        if (Rank == 1) r = r.Squeeze(Rank == 1 && other.Rank == 1 ? 0 : -2);
        return r;
    }

    /// <summary>
    /// Matrix product of tensors of rank ≥ 2 whose batch dimensions broadcast; errors name the shapes the user passed
    /// (<paramref name="userA"/>, <paramref name="userB"/>), before a 1-D operand became a row or a column.
    /// </summary>
    private static Tensor BatchedMatMul(Tensor a, Tensor b, int[] userA, int[] userB)
    {
        int m = a.ShapeArray[^2], k = a.ShapeArray[^1], k2 = b.ShapeArray[^2], n = b.ShapeArray[^1];
        if (k != k2)
            throw new ArgumentException($"matmul: shapes {Shapes.Format(userA)} and {Shapes.Format(userB)} cannot be multiplied ({k} columns vs {k2} rows)");
        var batch = Shapes.BroadcastOrNull(a.ShapeArray[..^2], b.ShapeArray[..^2])
            ?? throw new ArgumentException($"matmul: shapes {Shapes.Format(userA)} and {Shapes.Format(userB)} cannot be multiplied (their batch dimensions {Shapes.Format(a.ShapeArray[..^2])} and {Shapes.Format(b.ShapeArray[..^2])} do not broadcast)");
        var ae = MatrixOperand(a.ExpandNoGrad([.. batch, m, k]), out bool transA, out int lda);
        var be = MatrixOperand(b.ExpandNoGrad([.. batch, k, n]), out bool transB, out int ldb);
        // The product overwrites every element unless the inner dimension is empty (then the result is zeros).
        var result = k > 0 ? Uninitialized([.. batch, m, n], a.DType) : new Tensor([.. batch, m, n], a.DType);
        // An empty result has nothing to compute (its batch may still count many matrices of no elements).
        int count = result.NumEl == 0 ? 0 : Shapes.NumEl(batch);
        for (int i = 0; i < count; i++)
        {
            int ao = BatchOffset(ae, i), bo = BatchOffset(be, i);
            if (a.DType == DType.Float32)
                Gemm.Multiply<float>(transA, transB, m, n, k, ((float[])ae.Storage).AsSpan(ao), lda, ((float[])be.Storage).AsSpan(bo), ldb, result.AsSpan<float>().Slice(i * m * n, m * n), n);
            else
                Gemm.Multiply<double>(transA, transB, m, n, k, ((double[])ae.Storage).AsSpan(ao), lda, ((double[])be.Storage).AsSpan(bo), ldb, result.AsSpan<double>().Slice(i * m * n, m * n), n);
        }
        return Autograd.Record(result, "MmBackward", [a, b], g => [
            a.RequiresGrad ? SumToShape(ProductInLayoutOf(a, g, b.Transpose(-1, -2)), a.ShapeArray) : null,
            b.RequiresGrad ? SumToShape(ProductInLayoutOf(b, a.Transpose(-1, -2), g), b.ShapeArray) : null]);
    }

    /// <summary>
    /// left · right, laid out like <paramref name="operand"/>: when the operand is a transposed matrix (a linear layer's
    /// weight seen as wᵀ), the product is computed as (rightᵀ · leftᵀ)ᵀ so that the gradient reaches the weight as a
    /// row-major matrix, as PyTorch's mm backward does, instead of a transposed view that must be copied element by element.
    /// </summary>
    private static Tensor ProductInLayoutOf(Tensor operand, Tensor left, Tensor right)
    {
        bool transposed = operand.Rank == 2 && operand.StridesArray[0] == 1 && operand.StridesArray[1] != 1 && operand.ShapeArray[0] > 1;
        return transposed ? right.Transpose(-1, -2).MatMul(left.Transpose(-1, -2)).Transpose(-1, -2) : left.MatMul(right);
    }

    /// <summary>
    /// A batch of matrices the GEMM kernel can read in place: row-major (unit column stride) or transposed (unit row
    /// stride) with a leading dimension; any other layout is copied to contiguous first.
    /// </summary>
    private static Tensor MatrixOperand(Tensor x, out bool transposed, out int ld)
    {
        int rows = x.ShapeArray[^2], cols = x.ShapeArray[^1];
        int rowStride = x.StridesArray[^2], colStride = x.StridesArray[^1];
        if ((cols == 1 || colStride == 1) && (rows == 1 || rowStride >= cols))
        {
            (transposed, ld) = (false, rows == 1 ? cols : rowStride);
            return x;
        }
        if ((rows == 1 || rowStride == 1) && (cols == 1 || colStride >= rows))
        {
            (transposed, ld) = (true, cols == 1 ? rows : colStride);
            return x;
        }
        (transposed, ld) = (false, cols);
        return x.Detach().Contiguous();
    }

    /// <summary>The storage offset of matrix <paramref name="index"/> (row-major over the batch dimensions) of a batch.</summary>
    private static int BatchOffset(Tensor x, int index)
    {
        int offset = x.Offset;
        for (int d = x.Rank - 3; d >= 0 && index > 0; d--)
        {
            offset += index % x.ShapeArray[d] * x.StridesArray[d];
            index /= x.ShapeArray[d];
        }
        return offset;
    }
}
