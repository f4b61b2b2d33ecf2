namespace Descent.Tests.Autograd;

public class BackwardTests
{
    [Fact]
    public void GradientOfSquareSumIsTwiceX()
    {
        var x = Tensor.FromArray(new[] { 1.0, -2.0, 3.0 }, requiresGrad: true);
        (x * x).Sum().Backward();
        Assert.Equal(new[] { 2.0, -4.0, 6.0 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void GradientsAccumulateAcrossCallsAndReuse()
    {
        var x = Tensor.FromArray(new[] { 2.0 }, requiresGrad: true);
        (x * x + x).Sum().Backward();
        (x * 3.0).Sum().Backward();
        Assert.Equal(5.0 + 3.0, x.Grad!.Item<double>());
    }

    [Fact]
    public void SecondBackwardThroughReleasedGraphThrows()
    {
        var x = Tensor.FromArray(new[] { 2.0 }, requiresGrad: true);
        var y = (x.Exp() * x).Sum();
        y.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("second time", e.Message);
    }

    [Fact]
    public void NonScalarBackwardWithoutGradientThrows()
    {
        var x = Tensor.FromArray(new[] { 2.0, 3.0 }, requiresGrad: true);
        var e = Assert.Throws<InvalidOperationException>(() => (x * 2.0).Backward());
        Assert.Contains("[2]", e.Message);
    }

    [Fact]
    public void ShapesThatDoNotBroadcastNameBothShapes()
    {
        var a = Tensor.Zeros([2, 3]);
        var b = Tensor.Zeros([4]);
        var e = Assert.Throws<ArgumentException>(() => a + b);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4]", e.Message);
    }

    [Fact]
    public void MixedDTypesAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2]) + Tensor.Zeros([2], DType.Float64));
        Assert.Contains("float32", e.Message);
        Assert.Contains("float64", e.Message);
    }

    [Fact]
    public void MatMulBackwardMatchesHandComputed()
    {
        var a = Tensor.FromArray(new[] { 1.0, 2.0, 3.0, 4.0 }, [2, 2], requiresGrad: true);
        var b = Tensor.FromArray(new[] { 5.0, 6.0, 7.0, 8.0 }, [2, 2], requiresGrad: true);
        a.MatMul(b).Sum().Backward();
        Assert.Equal(new[] { 11.0, 15.0, 11.0, 15.0 }, a.Grad!.ToArray<double>());
        Assert.Equal(new[] { 4.0, 4.0, 6.0, 6.0 }, b.Grad!.ToArray<double>());
    }

    [Fact]
    public void NoGradScopeRecordsNothing()
    {
        var x = Tensor.FromArray(new[] { 1.0 }, requiresGrad: true);
        Tensor y;
        using (Descent.Autograd.NoGrad()) y = x * 2.0;
        Assert.False(y.RequiresGrad);
        Assert.True((x * 2.0).RequiresGrad);
    }

    [Fact]
    public void ToStringLooksLikePyTorch()
    {
        Assert.Equal("tensor([[1., 2.],\n        [3., 4.]])", Tensor.FromArray(new float[] { 1, 2, 3, 4 }, [2, 2]).ToString());
    }
}
