using Descent.Data;
using Descent.NN;
using Descent.Training;

namespace Descent.Tests.Training;

/// <summary>SwaUtils.UpdateBn as torch.optim.swa_utils.update_bn: the recomputed statistics and what it restores.</summary>
public class SwaUtilsTests
{
    /// <summary>12 samples of 3 features with different means and spreads, in 3 batches of 4.</summary>
    private static Tensor Data() => Tensor.Randn([12, 3], DType.Float64, new Generator(21)) * Tensor.FromArray(new double[] { 1, 3, 0.5 })
        + Tensor.FromArray(new double[] { 2, -1, 10 });

    private static (Sequential Model, BatchNorm1d Bn) Model(double? momentum = 0.1)
    {
        var bn = new BatchNorm1d(3, momentum: momentum, dtype: DType.Float64);
        return (new Sequential(bn, new ReLU()), bn);
    }

    [Fact]
    public void RecomputesTheStatisticsAsTheAverageOfTheBatchStatisticsOverTheLoader()
    {
        var x = Data();
        var loader = new DataLoader(new TensorDataset(x, Tensor.Zeros([12], DType.Float64)), batchSize: 4);
        var (model, bn) = Model();
        bn.Forward(x * 5.0);  // stale statistics that must not survive
        model.Eval();
        SwaUtils.UpdateBn(loader, model);

        // With equal batches, the cumulative average of the batch means is the dataset's mean, and of the unbiased
        // batch variances their mean.
        var batches = Enumerable.Range(0, 3).Select(b => x.Narrow(0, 4 * b, 4)).ToArray();
        var expectedVar = batches.Select(b => b.Var(0, correction: 1).ToArray<double>()).ToArray();
        var mean = x.Mean(0).ToArray<double>();
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(mean[c], bn.RunningMean!.ToArray<double>()[c], 1e-12);
            Assert.Equal(expectedVar.Average(v => v[c]), bn.RunningVar!.ToArray<double>()[c], 1e-12);
        }
        Assert.Equal(3L, bn.NumBatchesTracked!.ToArray<long>()[0]);
        Assert.Equal(0.1, bn.Momentum);
        Assert.False(model.IsTraining);
        Assert.False(bn.IsTraining);
    }

    [Fact]
    public void OneBatchOfTheWholeDatasetGivesItsMeanAndUnbiasedVariance()
    {
        var x = Data();
        var (model, bn) = Model(momentum: 0.3);
        SwaUtils.UpdateBn([x], model);
        Assert.Equal(x.Mean(0).ToArray<double>(), bn.RunningMean!.ToArray<double>(), new Tolerant(1e-12));
        Assert.Equal(x.Var(0, correction: 1).ToArray<double>(), bn.RunningVar!.ToArray<double>(), new Tolerant(1e-12));
        Assert.Equal(0.3, bn.Momentum);
        Assert.True(model.IsTraining);
    }

    [Fact]
    public void RecordsNoGradientsAndFindsNestedLayers()
    {
        var inner = new BatchNorm2d(2, dtype: DType.Float64);
        var model = new Sequential(new Sequential(new Conv2d(1, 2, 1, dtype: DType.Float64), inner), new Flatten());
        var x = Tensor.Randn([6, 1, 3, 3], DType.Float64, new Generator(22));
        SwaUtils.UpdateBn([x], model);
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));
        Assert.Equal(1L, inner.NumBatchesTracked!.ToArray<long>()[0]);
        Assert.NotEqual(new double[] { 0, 0 }, inner.RunningMean!.ToArray<double>());
    }

    [Fact]
    public void RestoresMomentumAndModeWhenTheModelThrows()
    {
        var (model, bn) = Model();
        model.Eval();
        Assert.Throws<ArgumentException>(() => SwaUtils.UpdateBn([Tensor.Zeros([4, 5], DType.Float64)], model));
        Assert.Equal(0.1, bn.Momentum);
        Assert.False(bn.IsTraining);
    }

    private sealed class Tolerant(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(double v) => 0;
    }
}
