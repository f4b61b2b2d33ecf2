using Descent.NN;
using F = Descent.NN.Functional;

namespace Descent.Tests.Autograd;

/// <summary>IndexSelect and x[idx]: the slices picked, the gradient of repeated indices, and bad indices.</summary>
public class IndexSelectTests
{
    private static Tensor Index(params long[] values) => Tensor.FromArray(values);

    [Fact]
    public void RepeatedIndicesAccumulateTheirGradients()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, [3, 2], requiresGrad: true);
        var y = x.IndexSelect(0, Index(2, 0, 2, 2));
        Assert.Equal(new[] { 4, 2 }, y.Shape);
        Assert.Equal(new double[] { 5, 6, 1, 2, 5, 6, 5, 6 }, y.ToArray<double>());
        var upstream = Tensor.FromArray(new double[] { 1, 10, 100, 1000, 2, 20, 3, 30 }, [4, 2]);
        y.Backward(upstream);
        // Row 0 once (100, 1000), row 1 never, row 2 three times (1 + 2 + 3, 10 + 20 + 30).
        Assert.Equal(new double[] { 100, 1000, 0, 0, 6, 60 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void SelectsAlongAnInnerDimension()
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 12).Select(v => (float)v).ToArray(), [2, 3, 2]);
        var y = x.IndexSelect(1, Index(2, 2, 0));
        Assert.Equal(new[] { 2, 3, 2 }, y.Shape);
        Assert.Equal(new float[] { 4, 5, 4, 5, 0, 1, 10, 11, 10, 11, 6, 7 }, y.ToArray<float>());
    }

    [Fact]
    public void TheTensorIndexerPicksRowsOfFeaturesAndOfInt64Labels()
    {
        var features = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [3, 2]);
        var labels = Tensor.FromArray(new long[] { 7, 8, 9 });
        var batch = Index(1, 2);
        Assert.Equal(new float[] { 3, 4, 5, 6 }, features[batch].ToArray<float>());
        Assert.Equal(new long[] { 8, 9 }, labels[batch].ToArray<long>());
    }

    [Fact]
    public void AnEmptyIndexGivesAnEmptyDimensionAndZeroGradient()
    {
        var x = Tensor.Ones([3, 2], DType.Float64, requiresGrad: true);
        var y = x.IndexSelect(0, Tensor.FromArray(Array.Empty<long>()));
        Assert.Equal(new[] { 0, 2 }, y.Shape);
        y.Sum().Backward();
        Assert.All(x.Grad!.ToArray<double>(), g => Assert.Equal(0, g));
    }

    [Fact]
    public void BadIndicesAreRejectedWithTheirValue()
    {
        var x = Tensor.Zeros([3, 2]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(0, Index(0, 3)));
        Assert.Equal("index", e.ParamName);
        Assert.Contains("index 3 is out of range for dimension 0 of size 3", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(1, Index(-1)));
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => x.IndexSelect(0, Tensor.Zeros([2]))).Message);
        Assert.Contains("1-D", Assert.Throws<ArgumentException>(() => x.IndexSelect(0, Tensor.FromArray(new long[] { 0, 1 }, [1, 2]))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(2, Index(0)));
    }

    [Fact]
    public void SiluAndGeluModulesApplyTheirFunctions()
    {
        var x = Tensor.FromArray(new double[] { -2, -0.5, 0, 0.7, 3 });
        double[] silu = [.. x.ToArray<double>().Select(v => v / (1 + Math.Exp(-v)))];
        double[] geluTanh = [.. x.ToArray<double>().Select(v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))))];
        AssertClose(silu, new SiLU().Forward(x).ToArray<double>());
        AssertClose(geluTanh, new GELU("tanh").Forward(x).ToArray<double>());
        AssertClose(F.Gelu(x).ToArray<double>(), new GELU().Forward(x).ToArray<double>());
        Assert.NotEqual(new GELU().Forward(x).ToArray<double>()[3], geluTanh[3]);
        Assert.Equal("approximate", Assert.Throws<ArgumentException>(() => new GELU("erf")).ParamName);
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-14);
    }
}
