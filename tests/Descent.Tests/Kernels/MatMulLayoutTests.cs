namespace Descent.Tests.Kernels;

/// <summary>
/// Tensor-level matmul reads transposed, sliced and broadcast operands in place through the GEMM kernel's leading
/// dimensions and transpose flags; every layout must give the textbook product.
/// </summary>
public class MatMulLayoutTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Transposed_views_multiply_like_their_contiguous_copies(bool transA, bool transB)
    {
        var g = new Generator(3);
        int m = 7, k = 19, n = 11;
        var a = transA ? Tensor.Randn([k, m], DType.Float64, g).T() : Tensor.Randn([m, k], DType.Float64, g);
        var b = transB ? Tensor.Randn([n, k], DType.Float64, g).T() : Tensor.Randn([k, n], DType.Float64, g);
        AssertClose(Naive(a, b), a.MatMul(b));
    }

    [Fact]
    public void Sliced_operands_use_their_row_stride()
    {
        var g = new Generator(4);
        var a = Tensor.Randn([9, 30], DType.Float32, g).Narrow(1, 5, 17);     // row stride 30, offset 5
        var b1 = Tensor.Randn([40, 6], DType.Float32, g).Narrow(0, 3, 17);    // [17, 6], offset 18
        var b2 = Tensor.Randn([6, 40], DType.Float32, g).Narrow(1, 3, 17).T(); // [17, 6] transposed, leading dimension 40
        AssertClose(Naive(a, b1), a.MatMul(b1));
        AssertClose(Naive(a, b2), a.MatMul(b2));
        AssertClose(Naive(b2.T(), a.T()), b2.T().MatMul(a.T()));
    }

    [Fact]
    public void Broadcast_and_transposed_batches_match_per_matrix_products()
    {
        var g = new Generator(5);
        var a = Tensor.Randn([2, 3, 5, 4], DType.Float64, g);
        var w = Tensor.Randn([6, 4], DType.Float64, g).T();           // [4, 6] transposed view, broadcast over the batch
        var bt = Tensor.Randn([3, 4, 5], DType.Float64, g).Transpose(-1, -2); // [3, 5, 4] batch of transposed views
        var r1 = a.MatMul(w);
        var r2 = bt.MatMul(w);
        Assert.Equal(new[] { 2, 3, 5, 6 }, r1.Shape);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                AssertClose(Naive(a[i][j], w), r1[i][j]);
        for (int j = 0; j < 3; j++) AssertClose(Naive(bt[j], w), r2[j]);
    }

    [Fact]
    public void Gradients_through_transposed_operands_match_hand_formulas()
    {
        var g = new Generator(6);
        var x = Tensor.Randn([5, 8], DType.Float64, g).RequiresGrad_();
        var w = Tensor.Randn([3, 8], DType.Float64, g).RequiresGrad_();   // like nn.Linear: y = x·wᵀ
        var upstream = Tensor.Randn([5, 3], DType.Float64, g);
        (x.MatMul(w.T()) * upstream).Sum().Backward();
        AssertClose(Naive(upstream, w), x.Grad!);          // dx = g·w
        AssertClose(Naive(upstream.T(), x), w.Grad!);      // dw = gᵀ·x
    }

    private static Tensor Naive(Tensor a, Tensor b)
    {
        int m = a.Size(0), k = a.Size(1), n = b.Size(1);
        var r = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[i][p].Item() * b[p][j].Item();
                r[i * n + j] = s;
            }
        return Tensor.FromArray(r, [m, n]);
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToDoubleArray();
        var a = actual.Contiguous().ToDoubleArray();
        double tol = actual.DType == DType.Float32 ? 1e-5 : 1e-12;
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"element {i}: {a[i]} vs {e[i]}");
    }
}
