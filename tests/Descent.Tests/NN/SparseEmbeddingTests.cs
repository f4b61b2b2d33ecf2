using Descent.NN;
using Descent.Optim;

namespace Descent.Tests.NN;

/// <summary>Embedding's padding row and its row-sparse gradient (<see cref="Tensor.SparseGrad"/>).</summary>
public class SparseEmbeddingTests
{
    private static readonly long[] Lookups = [4, 0, 4, 2, 4, 7];

    /// <summary>The same table and upstream gradient through a dense and a sparse embedding.</summary>
    private static (Tensor Dense, RowSparseGrad Sparse) BothGradients(DType dtype, long? paddingIdx = null)
    {
        var idx = Tensor.FromArray(Lookups, [2, 3]);
        var upstream = Tensor.Randn([2, 3, 5], dtype, new Generator(3));
        var dense = new Embedding(9, 5, dtype, new Generator(1), paddingIdx);
        var sparse = new Embedding(9, 5, dtype, new Generator(1), paddingIdx, sparse: true);
        dense.Forward(idx).Backward(upstream);
        sparse.Forward(idx).Backward(upstream);
        Assert.Null(sparse.Weight.Grad);
        Assert.Null(dense.Weight.SparseGrad);
        return (dense.Weight.Grad!, sparse.Weight.SparseGrad!);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void TheSparseGradientIsTheDenseGradientsTouchedRowsBitForBit(DType dtype)
    {
        var (dense, sparse) = BothGradients(dtype);
        Assert.Equal([0L, 2, 4, 7], sparse.Indices.ToArray<long>());
        Assert.Equal([4, 5], sparse.Values.Shape);
        Assert.Equal(dense.ToDoubleArray(), sparse.ToDense().ToDoubleArray());
        // Row 4 was looked up three times: its gradient is the sum of the three upstream rows, in their order.
        var upstream = Tensor.Randn([2, 3, 5], dtype, new Generator(3)).Reshape(6, 5).ToDoubleArray();
        var row4 = sparse.Values.Select(0, 2).ToDoubleArray();
        for (int j = 0; j < 5; j++)
        {
            double expected = dtype == DType.Float32 ? (float)((float)((float)upstream[j] + (float)upstream[10 + j]) + (float)upstream[20 + j]) : upstream[j] + upstream[10 + j] + upstream[20 + j];
            Assert.Equal(expected, row4[j]);
        }
    }

    [Fact]
    public void ThePaddingRowGetsNoGradientAndStartsAtZero()
    {
        var (dense, sparse) = BothGradients(DType.Float64, paddingIdx: -5); // row 4 of 9
        Assert.Equal([0L, 2, 7], sparse.Indices.ToArray<long>());
        Assert.All(dense.Select(0, 4).ToDoubleArray(), v => Assert.Equal(0, v));
        Assert.Equal(dense.ToDoubleArray(), sparse.ToDense().ToDoubleArray());
        var e = new Embedding(9, 5, DType.Float64, new Generator(1), paddingIdx: 4);
        Assert.Equal(4L, e.PaddingIdx);
        Assert.All(e.Weight.Select(0, 4).ToDoubleArray(), v => Assert.Equal(0, v));
        Assert.Contains(e.Weight.Select(0, 3).ToDoubleArray(), v => v != 0);
    }

    [Fact]
    public void BackwardPassesAccumulateAndADenseGradientMakesTheSumDense()
    {
        var e = new Embedding(6, 2, DType.Float64, new Generator(1), sparse: true);
        e.Forward(Tensor.FromArray(new long[] { 1, 3 })).Sum().Backward();
        e.Forward(Tensor.FromArray(new long[] { 3, 5, 3 })).Sum().Backward();
        Assert.Equal([1L, 3, 5], e.Weight.SparseGrad!.Indices.ToArray<long>());
        Assert.Equal(new double[] { 1, 1, 3, 3, 1, 1 }, e.Weight.SparseGrad.Values.ToArray<double>());
        // The weight used densely as well (tied output weights): dense onto sparse is dense, and sparse onto dense too.
        (e.Weight * 2.0).Sum().Backward();
        Assert.Null(e.Weight.SparseGrad);
        Assert.Equal(new double[] { 2, 2, 3, 3, 2, 2, 5, 5, 2, 2, 3, 3 }, e.Weight.Grad!.ToArray<double>());
        e.Forward(Tensor.FromArray(new long[] { 0 })).Sum().Backward();
        Assert.Null(e.Weight.SparseGrad);
        Assert.Equal(3, e.Weight.Grad!.ToArray<double>()[0]);
    }

    [Fact]
    public void ZeroGradClearsTheSparseGradient()
    {
        var e = new Embedding(6, 2, DType.Float64, new Generator(1), sparse: true);
        var optimizer = new SparseAdam(e.Parameters());
        e.Forward(Tensor.FromArray(new long[] { 1, 3 })).Sum().Backward();
        optimizer.ZeroGrad(setToNone: false);
        Assert.Equal(0, e.Weight.SparseGrad!.RowCount); // as PyTorch's zero_() of a sparse gradient: empty, not gone
        Assert.Null(e.Weight.Grad);
        e.Forward(Tensor.FromArray(new long[] { 2 })).Sum().Backward();
        Assert.Equal([2L], e.Weight.SparseGrad!.Indices.ToArray<long>());
        optimizer.ZeroGrad();
        Assert.Null(e.Weight.SparseGrad);
        Assert.Null(e.Weight.Grad);
    }

    [Fact]
    public void ARecordedBackwardGivesADifferentiableDenseGradient()
    {
        var e = new Embedding(4, 2, DType.Float64, new Generator(1), paddingIdx: 0, sparse: true);
        var y = e.Forward(Tensor.FromArray(new long[] { 0, 2, 2 }));
        (y * y).Sum().Backward(createGraph: true);
        Assert.Null(e.Weight.SparseGrad);
        var w = e.Weight.ToArray<double>();
        Assert.Equal(new double[] { 0, 0, 0, 0, 4 * w[4], 4 * w[5], 0, 0 }, e.Weight.Grad!.ToArray<double>());
        Assert.True(e.Weight.Grad.RequiresGrad);
    }

    [Fact]
    public void BadIndicesAndPaddingAreRefusedByName()
    {
        var e = new Embedding(4, 2);
        var ex = Assert.Throws<ArgumentException>(() => e.Forward(Tensor.FromArray(new long[] { 1, 4 })));
        Assert.Equal("input", ex.ParamName);
        Assert.Contains("index 4", ex.Message);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => e.Forward(Tensor.FromArray(new float[] { 1 }))).ParamName);
        var pad = Assert.Throws<ArgumentOutOfRangeException>(() => new Embedding(4, 2, paddingIdx: 4));
        Assert.Equal("paddingIdx", pad.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Embedding(4, 2, paddingIdx: -5));
    }

    [Fact]
    public void ARowSparseGradientChecksItsParts()
    {
        var values = Tensor.Zeros([2, 3]);
        Assert.Equal("indices", Assert.Throws<ArgumentException>(() => new RowSparseGrad(Tensor.FromArray(new long[] { 2, 1 }), values, [4, 3])).ParamName);
        Assert.Contains("out of range", Assert.Throws<ArgumentException>(() => new RowSparseGrad(Tensor.FromArray(new long[] { 1, 4 }), values, [4, 3])).Message);
        Assert.Equal("values", Assert.Throws<ArgumentException>(() => new RowSparseGrad(Tensor.FromArray(new long[] { 1, 2 }), Tensor.Zeros([2, 2]), [4, 3])).ParamName);
        var p = Tensor.Zeros([5, 3]);
        var g = new RowSparseGrad(Tensor.FromArray(new long[] { 1, 2 }), values, [4, 3]);
        Assert.Throws<ArgumentException>(() => p.SparseGrad = g);
    }
}
