using Descent.Data;

namespace Descent.Tests.Data;

public class TransformsSplitTests
{
    [Fact]
    public void SplitIsAPartitionOfTheRequestedSizes()
    {
        var (train, validation) = Split.TrainValidation(150, 0.2, seed: 7);
        Assert.Equal(30, validation.Length);
        Assert.Equal(120, train.Length);
        Assert.Equal(Enumerable.Range(0, 150), train.Concat(validation).Order());
        Assert.Equal(train.Order(), train);
        Assert.Equal(validation.Order(), validation);
        Assert.Equal(4, Split.TrainValidation(10, 0.31).Validation.Length); // ceil, as scikit-learn
        Assert.Empty(Split.TrainValidation(10, 0).Validation);
        Assert.Empty(Split.TrainValidation(10, 1).Train);
    }

    [Fact]
    public void SameSeedSameSplitOtherSeedOtherSplit()
    {
        Assert.Equal(Split.TrainValidation(100, 0.3, seed: 1).Validation, Split.TrainValidation(100, 0.3, seed: 1).Validation);
        Assert.NotEqual(Split.TrainValidation(100, 0.3, seed: 1).Validation, Split.TrainValidation(100, 0.3, seed: 2).Validation);
        Assert.NotEqual(Enumerable.Range(0, 30), Split.TrainValidation(100, 0.3, seed: 1).Validation); // shuffled
    }

    [Fact]
    public void SplitsDataSetsRowByRow()
    {
        var x = Tensor.Arange(20).Reshape([10, 2]);
        var y = Tensor.Arange(10, DType.Int64);
        var data = new LabeledData(x, y, ["a"]);
        var (train, validation) = Split.TrainValidation(data, 0.3, seed: 5);
        var (ti, vi) = Split.TrainValidation(10, 0.3, seed: 5);
        Assert.Equal(vi.Select(i => (long)i), validation.Labels.ToArray<long>());
        Assert.Equal(ti.Select(i => (long)i), train.Labels.ToArray<long>());
        Assert.Equal(vi.SelectMany(i => new float[] { 2 * i, 2 * i + 1 }), validation.Features.ToArray<float>());
        Assert.Equal(["a"], train.ClassNames);
    }

    [Fact]
    public void RowsTakesAnyIndicesInOrder()
    {
        var x = Tensor.Arange(6, DType.Float64).Reshape([3, 1, 2]);
        Assert.Equal(new double[] { 4, 5, 0, 1, 4, 5 }, Split.Rows(x, [2, 0, 2]).ToArray<double>());
        Assert.Equal([0, 1, 2], Split.Rows(x, []).Shape);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Split.Rows(x, [3]));
        Assert.Contains("row index 3 is out of range for 3 rows", e.Message);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void FractionOutsideZeroOneIsRejected(double fraction)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Split.TrainValidation(10, fraction));
        Assert.Contains("validationFraction must be in [0, 1]", e.Message);
    }
}
