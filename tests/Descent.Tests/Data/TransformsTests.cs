using Descent.Data;

namespace Descent.Tests.Data;

public class TransformsTests
{
    [Fact]
    public void StandardScalerFitsOnTrainingDataAndAppliesToOthers()
    {
        var train = Tensor.FromArray(new double[] { 1, 10, 3, 10, 5, 10 }, [3, 2]); // feature 1 is constant
        var scaler = new StandardScaler().Fit(train);
        Assert.Equal(new[] { 3.0, 10 }, scaler.Mean.ToArray<double>());
        double std0 = Math.Sqrt(8.0 / 3); // population std
        Assert.Equal(new[] { std0, 1 }, scaler.Std.ToArray<double>());
        var z = scaler.Transform(train).ToArray<double>();
        Assert.Equal(new[] { -2 / std0, 0, 0, 0, 2 / std0, 0 }, z);
        var other = Tensor.FromArray(new double[] { 7, 12 }, [1, 2]);
        Assert.Equal(new[] { 4 / std0, 2 }, scaler.Transform(other).ToArray<double>());
        Assert.Equal(other.ToArray<double>(), scaler.InverseTransform(scaler.Transform(other)).ToArray<double>());
    }

    [Fact]
    public void StandardisedFloat32ImagesHaveZeroMeanAndUnitStd()
    {
        var x = Tensor.Uniform([200, 1, 3, 3], 0, 5, generator: new Generator(3));
        var z = new StandardScaler().FitTransform(x);
        Assert.Equal(DType.Float32, z.DType);
        Assert.Equal(x.Shape, z.Shape);
        var v = z.ToDoubleArray();
        for (int j = 0; j < 9; j++)
        {
            var col = Enumerable.Range(0, 200).Select(i => v[i * 9 + j]).ToArray();
            Assert.Equal(0, col.Average(), 5);
            Assert.Equal(1, Math.Sqrt(col.Select(c => c * c).Average()), 4);
        }
    }

    [Fact]
    public void GlobalStandardScalerUsesOneMeanAndStd()
    {
        var x = Tensor.FromArray(new float[] { 0, 2, 4, 6 }, [2, 2]);
        var scaler = new StandardScaler(perFeature: false).Fit(x);
        Assert.Equal(3.0, scaler.Mean.Item<double>());
        Assert.Equal(Math.Sqrt(5), scaler.Std.Item<double>(), 12);
        Assert.Equal([3, 5], scaler.Transform(Tensor.Zeros([3, 5])).Shape); // any feature count
    }

    [Fact]
    public void MinMaxScalerMapsTheTrainingRange()
    {
        var train = Tensor.FromArray(new float[] { 0, 5, 10, 5, 5, 5 }, [3, 2]);
        var scaler = new MinMaxScaler().Fit(train);
        Assert.Equal(new float[] { 0, 0, 1, 0, 0.5f, 0 }, scaler.Transform(train).ToArray<float>());
        Assert.Equal(new float[] { 2, 1 }, scaler.Transform(Tensor.FromArray(new float[] { 20, 6 }, [1, 2])).ToArray<float>());
        var wide = new MinMaxScaler(-1, 1).Fit(train);
        Assert.Equal(new float[] { -1, -1, 1, -1, 0, -1 }, wide.Transform(train).ToArray<float>());
        Assert.Equal(train.ToArray<float>(), wide.InverseTransform(wide.Transform(train)).ToArray<float>());
        Assert.Equal(new[] { 0.0, 5 }, scaler.DataMin.ToArray<double>());
        Assert.Equal(new[] { 10.0, 1 }, scaler.DataRange.ToArray<double>());
    }

    [Fact]
    public void ScalerErrors()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new StandardScaler().Transform(Tensor.Zeros([2, 2])));
        Assert.Contains("not fitted", e.Message);
        var scaler = new StandardScaler().Fit(Tensor.Zeros([4, 3]));
        var a = Assert.Throws<ArgumentException>(() => scaler.Transform(Tensor.Zeros([4, 2])));
        Assert.Contains("2 features per example, but the scaler was fitted on 3", a.Message);
        a = Assert.Throws<ArgumentException>(() => new StandardScaler().Fit(Tensor.Zeros([2], DType.Int64)));
        Assert.Contains("float32 or float64, got int64", a.Message);
        a = Assert.Throws<ArgumentException>(() => new StandardScaler().Fit(Tensor.Zeros([0, 3])));
        Assert.Contains("at least one value", a.Message);
        a = Assert.Throws<ArgumentException>(() => new StandardScaler().Fit(Tensor.FromArray(new[] { 1f, float.NaN }, [2, 1])));
        Assert.Contains("not finite", a.Message);
        a = Assert.Throws<ArgumentException>(() => new MinMaxScaler(1, 1));
        Assert.Contains("min 1, max 1", a.Message);
    }
}
