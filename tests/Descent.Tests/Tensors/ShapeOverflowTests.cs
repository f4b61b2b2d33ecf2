namespace Descent.Tests.Tensors;

/// <summary>
/// Shape products and strides never wrap: a shape too large for one array is an ArgumentException naming it, and a
/// shape with a 0 has no elements whatever its other sizes are (its views and strides stay sound).
/// </summary>
public class ShapeOverflowTests
{
    private const int Max = int.MaxValue;

    [Fact]
    public void AShapeWhoseProductWrapsToZeroIsRefusedNamingIt()
    {
        // 65536⁴ = 2⁶⁴, which a long product wraps to 0.
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros([65536, 65536, 65536, 65536]));
        Assert.Contains("[65536, 65536, 65536, 65536]", e.Message);
        Assert.Equal("shape", e.ParamName);
        Assert.Throws<ArgumentException>(() => Tensor.Ones([Max, Max, Max, 3]));
    }

    [Fact]
    public void AShapeLargerThanAnArrayIsAnArgumentExceptionNotOutOfMemory()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros([Array.MaxLength + 1]));
        Assert.Contains($"[{Array.MaxLength + 1}]", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, Array.MaxLength / 2 + 1], DType.Float64));
    }

    [Fact]
    public void AShapeWithAZeroHasNoElementsWhateverItsOtherSizes()
    {
        foreach (int[] shape in new[] { new[] { Max, Max, 0 }, [0, Max, Max], [Max, 0, Max], [65536, 65536, 65536, 65536, 0] })
        {
            var t = Tensor.Zeros(shape);
            Assert.Equal(0, t.NumEl);
            Assert.Equal(shape, t.Shape);
            Assert.Empty(t.ToArray<float>());
            Assert.All(t.Strides, s => Assert.InRange(s, 1, Max));
        }
    }

    [Fact]
    public void StridesOfAnEmptyShapeSaturateInsteadOfWrapping()
    {
        // PyTorch's strides would be [(2³¹−1)², 2³¹−1, 1]; the first does not fit an int and addresses nothing.
        Assert.Equal(new[] { Max, Max, 1 }, Tensor.Zeros([0, Max, Max]).Strides);
        Assert.Equal(new[] { Max, 1, 1 }, Tensor.Zeros([Max, Max, 0]).Strides);
        Assert.Equal(new[] { 6, 3, 1 }, Tensor.Zeros([0, 2, 3]).Strides); // unchanged where it fits
    }

    [Fact]
    public void ViewsOfAnEmptyTensorStayReadable()
    {
        // The offset index·stride would be far outside the (empty) storage.
        var big = Tensor.Zeros([0, Max, Max]);
        var row = big.Select(1, Max - 1);
        Assert.Equal(new[] { 0, Max }, row.Shape);
        Assert.Empty(row.ToArray<float>());
        Assert.Empty(big.Narrow(2, Max - 2, 2).Contiguous().AsSpan<float>().ToArray());
        Assert.Empty(Tensor.Zeros([3, 0]).Select(0, 2).ToArray<float>());
        Assert.Empty(Tensor.Zeros([4, 0]).Narrow(0, 3, 1).ToArray<float>());
    }

    [Fact]
    public void ExpandToAShapeTooLargeIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Scalar(1).Expand(65536, 65536, 65536, 65536));
        Assert.Contains("[65536, 65536, 65536, 65536]", e.Message);
        Assert.Equal(new[] { 0, Max, Max }, Tensor.Zeros([1, 1, 1]).Expand(0, Max, Max).Shape);
    }

    [Fact]
    public void ReshapeInfersFromAProductThatDoesNotFitALong()
    {
        Assert.Equal(new[] { 65536, 65536, 65536, 65536, 0 }, Tensor.Zeros([0]).Reshape(65536, 65536, 65536, 65536, -1).Shape);
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros([6]).Reshape(65536, 65536, 65536, 65536, -1));
        Assert.Contains("[65536, 65536, 65536, 65536, -1]", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros([16]).Reshape(65536, 65536, 65536, 65536, 16));
    }

    [Fact]
    public void FlattenRefusesAMergedSizeThatDoesNotFitAnInt()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros([0, 65536, 65536]).Flatten(1));
        Assert.Contains("[0, 65536, 65536]", e.Message);
        Assert.Contains("4294967296", e.Message);
        Assert.Equal(new[] { 0, 6 }, Tensor.Zeros([0, 2, 3]).Flatten(1).Shape);
    }

    [Fact]
    public void CatRefusesSizesThatAddUpPastAnInt()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Cat([Tensor.Zeros([0, Max]), Tensor.Zeros([0, 1])], 1));
        Assert.Contains("dimension 1", e.Message);
        Assert.Equal(new[] { 0, Max }, Tensor.Cat([Tensor.Zeros([0, Max - 1]), Tensor.Zeros([0, 1])], 1).Shape);
    }

    [Fact]
    public void NarrowBeyondTheEndIsRefusedEvenWhenStartPlusLengthWraps()
    {
        var x = Tensor.Arange(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(0, 5, Max));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(0, Max, 1));
        Assert.Equal(new float[] { 5, 6 }, x.Narrow(0, 5, 2).ToArray<float>());
    }

    [Fact]
    public void ArangeWithMoreElementsThanAnArrayIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Arange(0, 3e9));
        Assert.Contains("3000000000", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Arange(-1e308, 1e308, 1e-10));
    }

    [Fact]
    public void ReductionsAndSoftmaxOfEmptyTensorsWithLargeSizes()
    {
        var x = Tensor.Zeros([0, 65536, 65536]);
        Assert.Equal(new[] { 0 }, x.Sum([1, 2]).Shape);
        Assert.Equal(new[] { 0, 65536 }, x.Mean(1).Shape);
        Assert.Equal(new[] { 0, 65536, 65536 }, x.Softmax(2).Shape);
        Assert.Equal(new[] { 0, 1, 65536 }, x.IndexSelect(1, Tensor.FromArray(new long[] { 3 })).Shape);
        Assert.Equal(new float[] { float.NaN, float.NaN }, Tensor.Zeros([0, 2]).Mean(0).ToArray<float>());
    }
}
