using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>Gradient clipping against values computed by hand.</summary>
public class GradientClippingTests
{
    private static Tensor WithGrad(double[] grad, DType dtype = DType.Float64)
    {
        var p = Tensor.Zeros([grad.Length], dtype, requiresGrad: true);
        p.Grad = OptimizerConformanceTests.Make(grad, [grad.Length], dtype, requiresGrad: false);
        return p;
    }

    [Fact]
    public void TwoNormOverAllGradientsScalesThemTogether()
    {
        // ‖(3, 4, 12)‖₂ = 13; scale = 6.5 / (13 + 1e-6).
        var a = WithGrad([3, 4]);
        var b = WithGrad([12]);
        var none = Tensor.Zeros([2], requiresGrad: true);
        double norm = GradientClipping.ClipGradNorm([a, b, none], maxNorm: 6.5);
        Assert.Equal(13, norm, 12);
        double scale = 6.5 / (13 + 1e-6);
        Assert.Equal([3 * scale, 4 * scale], a.Grad!.ToDoubleArray());
        Assert.Equal([12 * scale], b.Grad!.ToDoubleArray());
        Assert.Null(none.Grad);
    }

    [Fact]
    public void GradientsBelowTheLimitAreUnchanged()
    {
        var a = WithGrad([0.3, -0.4], DType.Float32);
        double norm = GradientClipping.ClipGradNorm([a], maxNorm: 1);
        Assert.Equal(0.5, norm, 6);
        Assert.Equal([0.3f, -0.4f], a.Grad!.ToArray<float>());
    }

    [Fact]
    public void InfinityNormIsTheLargestMagnitude()
    {
        var a = WithGrad([1, -7]);
        var b = WithGrad([2]);
        double norm = GradientClipping.ClipGradNorm([a, b], maxNorm: 3.5, normType: double.PositiveInfinity);
        Assert.Equal(7, norm);
        double scale = 3.5 / (7 + 1e-6);
        Assert.Equal([1 * scale, -7 * scale], a.Grad!.ToDoubleArray());
    }

    [Fact]
    public void OneNormSumsMagnitudes()
    {
        var a = WithGrad([1, -2, 3]);
        Assert.Equal(6, GradientClipping.ClipGradNorm([a], maxNorm: 100, normType: 1));
        Assert.Equal([1, -2, 3], a.Grad!.ToDoubleArray());
    }

    [Fact]
    public void NonFiniteNormThrowsWhenAsked()
    {
        var a = WithGrad([1, double.PositiveInfinity]);
        var e = Assert.Throws<InvalidOperationException>(() => GradientClipping.ClipGradNorm([a], 1, errorIfNonfinite: true));
        Assert.Contains("Infinity", e.Message, StringComparison.Ordinal);
        Assert.Equal(double.PositiveInfinity, GradientClipping.ClipGradNorm([WithGrad([1, double.PositiveInfinity])], 1));
    }

    [Fact]
    public void NoGradientsGiveZeroNorm() =>
        Assert.Equal(0, GradientClipping.ClipGradNorm([Tensor.Zeros([2], requiresGrad: true)], 1));

    [Fact]
    public void ClipGradValueClampsEachElement()
    {
        var a = WithGrad([-3, -0.5, 0.25, 2], DType.Float32);
        GradientClipping.ClipGradValue([a], 1);
        Assert.Equal([-1f, -0.5f, 0.25f, 1f], a.Grad!.ToArray<float>());
    }

    [Theory]
    [InlineData(-1.0, 2.0, "maxNorm")]
    [InlineData(1.0, 0.0, "normType")]
    [InlineData(1.0, -2.0, "normType")]
    [InlineData(double.NaN, 2.0, "maxNorm")]
    public void InvalidArgumentsThrowNamingThem(double maxNorm, double normType, string argument)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradNorm([WithGrad([1])], maxNorm, normType));
        Assert.Equal(argument, e.ParamName);
    }

    [Fact]
    public void NegativeClipValueThrows() =>
        Assert.Equal("clipValue", Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradValue([WithGrad([1])], -1)).ParamName);
}
