using Descent.IO;
using Descent.Kernels;
using Descent.NN;
using F = Descent.NN.Functional;

namespace Descent.Tests.NN;

/// <summary>BatchNorm1d and BatchNorm2d against hand computations of PyTorch's rules, their state, and their errors.</summary>
[Collection(ThreadCountCollection.Name)]
public class BatchNormTests
{
    private const double Eps = 1e-5;

    /// <summary>Three [4, 2] batches with different means and spreads per channel.</summary>
    private static readonly double[][] Batches =
    [
        [1, 10, 2, 20, 4, 15, 7, 11],
        [-3, 0.5, 0, 1.5, 3, -2, 6, 0],
        [0.25, 8, 0.5, 9, 1, 7, 2, 12],
    ];

    private static Tensor Batch(int k) => Tensor.FromArray((double[])Batches[k].Clone(), [4, 2]);

    /// <summary>Channel c of a [N, C] batch.</summary>
    private static double[] Channel(double[] batch, int c, int channels = 2) =>
        [.. batch.Where((_, i) => i % channels == c)];

    private static double Mean(double[] v) => v.Average();

    private static double Variance(double[] v, int correction)
    {
        double m = Mean(v);
        return v.Sum(x => (x - m) * (x - m)) / (v.Length - correction);
    }

    [Fact]
    public void TrainingNormalisesWithTheBatchAndRunningStatsFollowWithTheUnbiasedVariance()
    {
        var bn = new BatchNorm1d(2, dtype: DType.Float64);
        double[] runningMean = [0, 0], runningVar = [1, 1];
        for (int k = 0; k < Batches.Length; k++)
        {
            var y = bn.Forward(Batch(k)).ToArray<double>();
            for (int c = 0; c < 2; c++)
            {
                var values = Channel(Batches[k], c);
                double m = Mean(values), biased = Variance(values, 0);
                var normalised = Channel(y, c);
                for (int n = 0; n < 4; n++) Assert.Equal((values[n] - m) / Math.Sqrt(biased + Eps), normalised[n], 1e-12);
                runningMean[c] = 0.9 * runningMean[c] + 0.1 * m;
                runningVar[c] = 0.9 * runningVar[c] + 0.1 * Variance(values, 1);
            }
        }
        AssertClose(runningMean, bn.RunningMean!.ToArray<double>());
        AssertClose(runningVar, bn.RunningVar!.ToArray<double>());
        Assert.Equal(3L, bn.NumBatchesTracked!.ToArray<long>()[0]);
    }

    [Fact]
    public void EvaluationUsesTheRunningStatsAndLeavesThemAndTheCounterAlone()
    {
        var bn = new BatchNorm1d(2, dtype: DType.Float64);
        using (Descent.Autograd.NoGrad())
        {
            bn.Weight!.CopyFrom_(Tensor.FromArray(new double[] { 2, -1 }));
            bn.Bias!.CopyFrom_(Tensor.FromArray(new double[] { 0.5, 3 }));
        }
        bn.Forward(Batch(0));
        bn.Forward(Batch(1));
        var rm = bn.RunningMean!.ToArray<double>();
        var rv = bn.RunningVar!.ToArray<double>();
        bn.Eval();
        var y = bn.Forward(Batch(2)).ToArray<double>();
        double[] w = [2, -1], b = [0.5, 3];
        for (int i = 0; i < y.Length; i++)
        {
            int c = i % 2;
            Assert.Equal((Batches[2][i] - rm[c]) / Math.Sqrt(rv[c] + Eps) * w[c] + b[c], y[i], 1e-12);
        }
        Assert.Equal(rm, bn.RunningMean!.ToArray<double>());
        Assert.Equal(rv, bn.RunningVar!.ToArray<double>());
        Assert.Equal(2L, bn.NumBatchesTracked!.ToArray<long>()[0]);
    }

    [Fact]
    public void NullMomentumGivesTheCumulativeAverageOfTheBatchStatistics()
    {
        var bn = new BatchNorm1d(2, momentum: null, dtype: DType.Float64);
        foreach (var k in new[] { 0, 1, 2 }) bn.Forward(Batch(k));
        for (int c = 0; c < 2; c++)
        {
            var perBatch = Batches.Select(batch => Channel(batch, c)).ToArray();
            Assert.Equal(perBatch.Average(Mean), bn.RunningMean!.ToArray<double>()[c], 1e-12);
            Assert.Equal(perBatch.Average(v => Variance(v, 1)), bn.RunningVar!.ToArray<double>()[c], 1e-12);
        }
    }

    [Fact]
    public void WithoutTrackedStatsBatchStatisticsNormaliseInBothModesAndNoBuffersExist()
    {
        var bn = new BatchNorm2d(3, trackRunningStats: false, dtype: DType.Float64);
        Assert.Null(bn.RunningMean);
        Assert.Null(bn.NumBatchesTracked);
        Assert.Equal(new[] { "weight", "bias" }, bn.StateDict().Keys.Order().Reverse());
        var x = Tensor.Randn([4, 3, 2, 2], DType.Float64, new Generator(5));
        var training = bn.Forward(x).ToArray<double>();
        bn.Eval();
        Assert.Equal(training, bn.Forward(x).ToArray<double>());
        var expected = F.BatchNorm(x, null, null, training: true).ToArray<double>();
        Assert.Equal(expected, training);
        var e = Assert.Throws<ArgumentException>(() => bn.Forward(Tensor.Zeros([1, 3, 1, 1], DType.Float64)));
        Assert.Contains("Expected more than 1 value per channel when training", e.Message);
    }

    [Fact]
    public void BatchNorm2dReducesOverTheBatchAndThePlane()
    {
        var bn = new BatchNorm2d(2, momentum: 0.5, dtype: DType.Float64);
        var x = Tensor.Randn([3, 2, 4, 5], DType.Float64, new Generator(6));
        var y = bn.Forward(x);
        var data = x.ToArray<double>();
        for (int c = 0; c < 2; c++)
        {
            double[] values = [.. Enumerable.Range(0, 3).SelectMany(n => data.Skip((n * 2 + c) * 20).Take(20))];
            Assert.Equal(0.5 * Mean(values), bn.RunningMean!.ToArray<double>()[c], 1e-12);
            Assert.Equal(0.5 + 0.5 * Variance(values, 1), bn.RunningVar!.ToArray<double>()[c], 1e-12);
            var channelOut = y.Select(1, c).ToArray<double>();
            Assert.Equal(0, channelOut.Average(), 1e-12);
            Assert.Equal(Variance(values, 0) / (Variance(values, 0) + Eps), Variance(channelOut, 0), 1e-10);
        }
    }

    [Fact]
    public void BatchNorm1dAcceptsNclInputsPerChannel()
    {
        var bn = new BatchNorm1d(3, dtype: DType.Float64);
        var x = Tensor.Randn([4, 3, 6], DType.Float64, new Generator(7));
        bn.Forward(x);
        var expectedMean = x.Mean([0, 2]).ToArray<double>();
        var expectedVar = x.Var([0, 2], correction: 1).ToArray<double>();
        AssertClose([.. expectedMean.Select(m => 0.1 * m)], bn.RunningMean!.ToArray<double>());
        AssertClose([.. expectedVar.Select(v => 0.9 + 0.1 * v)], bn.RunningVar!.ToArray<double>());
    }

    [Fact]
    public void StateDictUsesPyTorchsNamesAndRoundTripsThroughSafetensors()
    {
        var model = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2));
        model.Forward(Tensor.Randn([2, 1, 5, 5], DType.Float32, new Generator(8)));
        var state = model.StateDict();
        Assert.Equal(new[] { "0.bias", "0.weight", "1.bias", "1.num_batches_tracked", "1.running_mean", "1.running_var", "1.weight" },
            state.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(DType.Int64, state["1.num_batches_tracked"].DType);
        Assert.Empty(state["1.num_batches_tracked"].Shape);

        var restored = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2));
        var loaded = SafeTensors.Load(SafeTensors.Serialize(state));
        restored.LoadStateDict(loaded.Tensors);
        var bn = (BatchNorm2d)restored[1];
        Assert.Equal(state["1.running_mean"].ToArray<float>(), bn.RunningMean!.ToArray<float>());
        Assert.Equal(state["1.running_var"].ToArray<float>(), bn.RunningVar!.ToArray<float>());
        Assert.Equal(1L, bn.NumBatchesTracked!.ToArray<long>()[0]);
    }

    [Fact]
    public void ToDoubleConvertsTheStatisticsButKeepsTheCounterInt64()
    {
        var bn = new BatchNorm1d(2);
        bn.Forward(Batch(0).To(DType.Float32));
        bn.To(DType.Float64);
        Assert.Equal(DType.Float64, bn.RunningMean!.DType);
        Assert.Equal(DType.Float64, bn.Weight!.DType);
        Assert.Equal(DType.Int64, bn.NumBatchesTracked!.DType);
        bn.Forward(Batch(1));
        Assert.Equal(2L, bn.NumBatchesTracked!.ToArray<long>()[0]);
    }

    [Fact]
    public void ResetRunningStatsRestoresTheInitialState()
    {
        var bn = new BatchNorm1d(2, dtype: DType.Float64);
        bn.Forward(Batch(0));
        bn.ResetRunningStats();
        Assert.Equal(new double[] { 0, 0 }, bn.RunningMean!.ToArray<double>());
        Assert.Equal(new double[] { 1, 1 }, bn.RunningVar!.ToArray<double>());
        Assert.Equal(0L, bn.NumBatchesTracked!.ToArray<long>()[0]);
    }

    [Fact]
    public void BadInputsAreRejectedClearlyAndLeaveTheStateUnchanged()
    {
        var bn2 = new BatchNorm2d(3);
        var e = Assert.Throws<ArgumentException>(() => bn2.Forward(Tensor.Zeros([2, 4, 3, 3])));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("BatchNorm2d(3) expects 3 channels in dimension 1, got shape [2, 4, 3, 3]", e.Message);
        Assert.Contains("4-D", Assert.Throws<ArgumentException>(() => bn2.Forward(Tensor.Zeros([2, 3, 3]))).Message);

        var bn1 = new BatchNorm1d(3);
        Assert.Contains("2-D [N, C] or 3-D [N, C, L]", Assert.Throws<ArgumentException>(() => bn1.Forward(Tensor.Zeros([2, 3, 2, 2]))).Message);
        e = Assert.Throws<ArgumentException>(() => bn1.Forward(Tensor.Zeros([1, 3])));
        Assert.Equal("Expected more than 1 value per channel when training, got input size [1, 3] (Parameter 'input')", e.Message);
        Assert.Equal(0L, bn1.NumBatchesTracked!.ToArray<long>()[0]);
        Assert.Throws<ArgumentException>(() => bn1.Forward(Tensor.Zeros([4, 3], DType.Float64)));  // a float32 layer
        Assert.Equal(0L, bn1.NumBatchesTracked!.ToArray<long>()[0]);  // a rejected batch is not counted
        bn1.Forward(Tensor.Zeros([1, 3, 2]));  // two values per channel are enough
        Assert.Equal(1L, bn1.NumBatchesTracked!.ToArray<long>()[0]);
        bn1.Eval();
        Assert.Equal(new[] { 1, 3 }, bn1.Forward(Tensor.Zeros([1, 3])).Shape);  // and one is fine with running statistics

        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm1d(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm1d(2, momentum: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNorm1d(2, eps: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => bn1.Momentum = -0.1);
    }

    [Fact]
    public void TheFunctionalFormChecksItsPerChannelTensors()
    {
        var x = Tensor.Zeros([4, 3]);
        var e = Assert.Throws<ArgumentException>(() => F.BatchNorm(x, null, null, weight: Tensor.Ones([2]), training: true));
        Assert.Equal("weight", e.ParamName);
        Assert.Contains("must be [3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.BatchNorm(x, null, null));
        Assert.Contains("evaluation mode", e.Message);
        Assert.Throws<ArgumentException>(() => F.BatchNorm(x, Tensor.Zeros([3]), null, training: true));
        Assert.Throws<ArgumentException>(() => F.BatchNorm(Tensor.Zeros([4]), null, null, training: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.BatchNorm(x, null, null, training: true, momentum: 2));
    }

    [Fact]
    public void Float32AgreesWithFloat64OnACnnSizedBatch()
    {
        var x64 = Tensor.Randn([16, 8, 14, 14], DType.Float64, new Generator(9)) * 3.0 + 2.0;
        var w = Tensor.Randn([8], DType.Float64, new Generator(10));
        var b = Tensor.Randn([8], DType.Float64, new Generator(11));
        var y64 = F.BatchNorm(x64, null, null, w, b, training: true).ToArray<double>();
        var y32 = F.BatchNorm(x64.To(DType.Float32), null, null, w.To(DType.Float32), b.To(DType.Float32), training: true).ToArray<float>();
        for (int i = 0; i < y64.Length; i++) Assert.Equal(y64[i], y32[i], 1e-4);
    }

    [Fact]
    public void ValuesAndGradientsAreIdenticalAtOneAndTwoThreads()
    {
        int saved = Parallelism.MaxThreads;
        try
        {
            Parallelism.MaxThreads = 1;
            var one = RunLarge();
            Parallelism.MaxThreads = 2;
            var two = RunLarge();
            for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], two[i]);
        }
        finally { Parallelism.MaxThreads = saved; }
    }

    /// <summary>Output, dx, dw and db of a batch above the kernel's parallel threshold.</summary>
    private static float[][] RunLarge()
    {
        var x = Tensor.Randn([16, 6, 32, 32], DType.Float32, new Generator(12)).RequiresGrad_();
        var w = Tensor.Randn([6], DType.Float32, new Generator(13)).RequiresGrad_();
        var b = Tensor.Randn([6], DType.Float32, new Generator(14)).RequiresGrad_();
        var y = F.BatchNorm(x, null, null, w, b, training: true);
        y.Backward(Tensor.Randn(y.Shape, DType.Float32, new Generator(15)));
        return [y.ToArray<float>(), x.Grad!.ToArray<float>(), w.Grad!.ToArray<float>(), b.Grad!.ToArray<float>()];
    }

    [Fact]
    public void BatchNormGradientsCanBeDifferentiatedAgain()
    {
        var c = Tensor.Randn([4, 2, 3], DType.Float64, new Generator(16));
        Tensor GradientNorm(Tensor[] x)
        {
            using var scope = Descent.Autograd.EnableGrad();
            foreach (var t in x) t.Grad = null;
            (F.BatchNorm(x[0], null, null, x[1], x[2], training: true) * c).Sum().Backward(createGraph: true);
            var total = x.Select(t => t.Grad!.Square().Sum()).Aggregate((a, b) => a + b);
            foreach (var t in x) t.Grad = null;
            return total;
        }
        Tensor[] inputs = [
            Tensor.Randn([4, 2, 3], DType.Float64, new Generator(17)).RequiresGrad_(),
            Tensor.Randn([2], DType.Float64, new Generator(18)).RequiresGrad_(),
            Tensor.Randn([2], DType.Float64, new Generator(19)).RequiresGrad_()];
        var result = GradCheck.Run(GradientNorm, inputs);
        Assert.True(result.Passed, result.Message);
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-12);
    }
}
