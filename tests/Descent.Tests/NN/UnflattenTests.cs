using Descent.NN;

namespace Descent.Tests.NN;

/// <summary>Unflatten, as PyTorch's nn.Unflatten.</summary>
public class UnflattenTests
{
    [Fact]
    public void RowsBecomeImagesWithTheSameElementsInOrder()
    {
        var rows = Tensor.Arange(0, 2 * 12).Reshape(2, 12);
        var images = new Unflatten(1, 3, 2, 2).Forward(rows);
        Assert.Equal([2, 3, 2, 2], images.Shape);
        Assert.Equal(rows.ToArray<float>(), images.ToArray<float>());
    }

    [Fact]
    public void ANegativeDimCountsFromTheEndAndOneSizeMayBeInferred()
    {
        var x = Tensor.Zeros([2, 5, 12]);
        Assert.Equal([2, 5, 3, 4], new Unflatten(-1, 3, -1).Forward(x).Shape);
        Assert.Equal([2, 5, 12], new Unflatten(2, -1).Forward(x).Shape);
        Assert.Equal([1, 2, 5, 12], new Unflatten(0, 1, 2).Forward(x).Shape);
    }

    [Fact]
    public void GradientsFlowBackThroughTheReshape()
    {
        var x = Tensor.Randn([2, 6], generator: new Generator(1)).RequiresGrad_();
        new Unflatten(1, 2, 3).Forward(x).Sum().Backward();
        Assert.All(x.Grad!.ToArray<float>(), g => Assert.Equal(1f, g));
    }

    [Fact]
    public void SizesThatDoNotFitAreArgumentErrors()
    {
        Assert.Throws<ArgumentException>("sizes", () => new Unflatten(1));
        Assert.Throws<ArgumentException>("sizes", () => new Unflatten(1, 0, 4));
        Assert.Throws<ArgumentException>("sizes", () => new Unflatten(1, -1, -1));
        Assert.Throws<ArgumentNullException>("sizes", () => new Unflatten(1, null!));
        var e = Assert.Throws<ArgumentException>("input", () => new Unflatten(1, 3, 3).Forward(Tensor.Zeros([2, 8])));
        Assert.Contains("size 8", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>("input", () => new Unflatten(1, 3, -1).Forward(Tensor.Zeros([2, 8])));
        Assert.Throws<ArgumentOutOfRangeException>("dim", () => new Unflatten(2, 2).Forward(Tensor.Zeros([2, 8])));
    }
}
