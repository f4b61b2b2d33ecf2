using Descent.NN;

namespace Descent.Tests.NN;

/// <summary>
/// Layer size arithmetic (fans, output sizes, padding, column buffers, windows) never wraps: sizes that do not fit are
/// an ArgumentException naming them, and empty inputs with large sizes give empty results, as in PyTorch.
/// </summary>
public class SizeOverflowTests
{
    private const int Max = int.MaxValue;

    [Fact]
    public void FansThatDoNotFitAnIntAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Init.Fans(Tensor.Zeros([0, 65536, 65536, 1])));
        Assert.Contains("[0, 65536, 65536, 1]", e.Message);
        Assert.Equal((12, 0), Init.Fans(Tensor.Zeros([0, 3, 2, 2])));
    }

    [Fact]
    public void BatchNormOfAnEmptyInputWithLargeSpatialSizes()
    {
        // N·H·W = 2³³ > 1 value per channel (as PyTorch counts), over no channel: an empty result, no error.
        var y = Functional.BatchNorm(Tensor.Zeros([2, 0, 65536, 65536]), null, null, training: true);
        Assert.Equal(new[] { 2, 0, 65536, 65536 }, y.Shape);
    }

    [Fact]
    public void AvgPoolOfAnEmptyInputWhosePlaneHasMoreWindowsThanAnInt()
    {
        var y = Functional.AvgPool2d(Tensor.Zeros([0, 1, 46341, 46341]), 1);
        Assert.Equal(new[] { 0, 1, 46341, 46341 }, y.Shape);
    }

    [Fact]
    public void PoolingArgumentsWhoseArithmeticOverflowsAnInt()
    {
        var x = Tensor.Zeros([1, 1, 4, 4]);
        // dilation·(k − 1) = 2·(2³¹ − 1) wraps in an int; the window is larger than the input.
        Assert.Throws<ArgumentException>(() => Functional.MaxPool2d(x, 3, dilation: Max));
        Assert.Equal(new[] { 1, 1, 1, 1 }, Functional.AvgPool2d(x, 4).Shape);
    }

    [Fact]
    public void ConvolutionSizesThatDoNotFitAnIntAreRefused()
    {
        var x = Tensor.Zeros([1, 1, 4, 4]);
        var w = Tensor.Zeros([1, 1, 3, 3]);
        var e = Assert.Throws<ArgumentException>(() => Functional.Conv2d(x, w, padding: Max));
        Assert.Contains("padded input", e.Message);
        // The padding "same" needs for a dilation of 2³⁰ is 2³¹ along each side pair.
        e = Assert.Throws<ArgumentException>(() => Functional.Conv2d(x, w, null, "same", dilation: 1 << 30));
        Assert.Equal("dilation", e.ParamName);
        // One sample's columns would be 256·256 rows × 256·256 output positions = 2³² elements.
        e = Assert.Throws<ArgumentException>(() => Functional.Conv2d(Tensor.Zeros([1, 1, 511, 511]), Tensor.Zeros([1, 1, 256, 256])));
        Assert.Contains("column buffer", e.Message);
        Assert.Contains("[1, 1, 511, 511]", e.Message);
    }
}
