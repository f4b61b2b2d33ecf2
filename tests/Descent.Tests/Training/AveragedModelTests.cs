using Descent.NN;
using Descent.Training;

namespace Descent.Tests.Training;

/// <summary>AveragedModel: the SWA mean, the EMA recursion, buffers, the count, copying and swapping, its state dict.</summary>
public class AveragedModelTests
{
    /// <summary>A parameter, a floating-point buffer (like running statistics) and an integer one (like a batch count).</summary>
    private sealed class WithBuffers : Module
    {
        public WithBuffers(DType dtype = DType.Float64)
        {
            W = RegisterParameter("w", Tensor.Zeros([3], dtype));
            Stat = RegisterBuffer("stat", Tensor.Zeros([2], dtype));
            Count = RegisterBuffer("count", Tensor.Zeros([1], DType.Int64));
        }

        public Tensor W { get; }

        public Tensor Stat { get; }

        public Tensor Count { get; }

        public override Tensor Forward(Tensor input) => input * W;

        /// <summary>Sets every tensor, as a training step (and a forward pass in training mode) would.</summary>
        public void Set(double[] w, double[] stat, long count)
        {
            using var _ = Descent.Autograd.NoGrad();
            W.CopyFrom_(Tensor.FromArray(w));
            Stat.CopyFrom_(Tensor.FromArray(stat));
            Count.CopyFrom_(Tensor.FromArray(new[] { count }));
        }
    }

    private static double[][] Snapshots(int n, int length, long seed)
    {
        var g = new Generator(seed);
        return Enumerable.Range(0, n).Select(_ => Tensor.Randn([length], DType.Float64, g).ToArray<double>()).ToArray();
    }

    private static void Close(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    private static double[] Values(AveragedModel averaged, string name) => averaged.Weights[name].Contiguous().To(DType.Float64).ToArray<double>();

    [Theory]
    [InlineData(DType.Float64, 1e-14)]
    [InlineData(DType.Float32, 1e-6)]
    public void SwaIsTheArithmeticMeanOfTheSnapshots(DType dtype, double tolerance)
    {
        var model = new WithBuffers(dtype);
        var swa = AveragedModel.Swa(model);
        var w = Snapshots(7, 3, 1);
        foreach (var snapshot in w)
        {
            model.Set(snapshot, [0, 0], 0);
            swa.UpdateParameters(model);
        }
        var mean = Enumerable.Range(0, 3).Select(i => w.Average(s => s[i])).ToArray();
        Close(mean, Values(swa, "w"), tolerance);
        Assert.Equal(7, swa.NAveraged);
        Assert.Null(swa.Decay);
    }

    [Theory]
    [InlineData(0.9)]
    [InlineData(0.999)]
    [InlineData(0.3)] // a weight above one half: lerp's other form
    public void EmaFollowsTheRecursionFromTheFirstSnapshot(double decay)
    {
        var model = new WithBuffers();
        var ema = AveragedModel.Ema(model, decay);
        var w = Snapshots(20, 3, 2);
        double[] expected = [];
        foreach (var snapshot in w)
        {
            model.Set(snapshot, [0, 0], 0);
            ema.UpdateParameters(model);
            expected = expected.Length == 0 ? snapshot : expected.Select((e, i) => decay * e + (1 - decay) * snapshot[i]).ToArray();
            Close(expected, Values(ema, "w"), 1e-14);
        }
        Assert.Equal(20, ema.NAveraged);
        Assert.Equal(decay, ema.Decay);
    }

    [Theory]
    [InlineData(0.999)]
    [InlineData(0.3)]
    public void EmaRoundsAsPyTorchsLerpInFloat32(double decay)
    {
        // PyTorch's CPU lerp is one fused multiply-add per element, its form chosen by the weight: exact to the bit.
        var model = new WithBuffers(DType.Float32);
        var ema = AveragedModel.Ema(model, decay);
        var w = Snapshots(6, 3, 5);
        float[] expected = [];
        float weight = (float)(1 - decay);
        foreach (var snapshot in w)
        {
            model.Set(snapshot, [0, 0], 0);
            ema.UpdateParameters(model);
            var theta = snapshot.Select(v => (float)v).ToArray();
            expected = expected.Length == 0 ? theta : expected.Select((e, i) => weight < 0.5f
                ? MathF.FusedMultiplyAdd(weight, theta[i] - e, e)
                : MathF.FusedMultiplyAdd(e - theta[i], 1 - weight, theta[i])).ToArray();
            Assert.Equal(expected, ema.Weights["w"].ToArray<float>());
        }
    }

    [Fact]
    public void ACheckpointWithoutAnAverageCannotResumeOneAndChangesNothing()
    {
        var path = Path.Combine(Path.GetTempPath(), $"descent-avg-{Guid.NewGuid():N}.safetensors");
        try
        {
            var saved = new WithBuffers();
            saved.Set([1, 2, 3], [4, 5], 6);
            Checkpoint.Save(path, saved, new Descent.Optim.SGD(saved.Parameters(), lr: 0.1), 1);
            var model = new WithBuffers();
            var optimizer = new Descent.Optim.SGD(model.Parameters(), lr: 0.5);
            var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, optimizer, averaged: AveragedModel.Ema(model)));
            Assert.Contains(path, e.Message);
            Assert.Contains("holds no weight average", e.Message);
            Assert.Equal([0.0, 0, 0], model.W.ToArray<double>());
            Assert.Equal(0.5, optimizer.ParamGroups[0].Lr);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void BuffersAreCopiedUnlessUseBuffersAveragesThem()
    {
        var copied = new WithBuffers();
        var averaged = new WithBuffers();
        var swaCopies = AveragedModel.Swa(copied);
        var swaAverages = AveragedModel.Swa(averaged, useBuffers: true);
        double[][] stats = [[1, 10], [2, 20], [6, 60]];
        for (int k = 0; k < stats.Length; k++)
        {
            copied.Set([k, k, k], stats[k], k + 1);
            averaged.Set([k, k, k], stats[k], k + 1);
            swaCopies.UpdateParameters(copied);
            swaAverages.UpdateParameters(averaged);
        }
        Assert.Equal([6.0, 60.0], Values(swaCopies, "stat")); // the last one
        Assert.Equal([3.0, 30.0], Values(swaAverages, "stat")); // the mean
        Assert.Equal([1.0, 1.0, 1.0], Values(swaCopies, "w")); // parameters are averaged either way
        // An integer buffer is a count, not a quantity to average: copied in both.
        Assert.Equal([3.0], Values(swaCopies, "count"));
        Assert.Equal([3.0], Values(swaAverages, "count"));
    }

    [Fact]
    public void StartsAsACopyOfTheModelAndTheFirstUpdateCopiesIt()
    {
        var model = new WithBuffers();
        model.Set([1, 2, 3], [4, 5], 6);
        var ema = AveragedModel.Ema(model, 0.5);
        model.Set([7, 8, 9], [0, 0], 0);
        Assert.Equal([1.0, 2.0, 3.0], Values(ema, "w")); // a copy, not the model's tensor
        Assert.Equal(0, ema.NAveraged);
        ema.UpdateParameters(model);
        Assert.Equal([7.0, 8.0, 9.0], Values(ema, "w")); // n_averaged 0: copied, not averaged with the start
        Assert.Equal(1, ema.NAveraged);
    }

    [Fact]
    public void CopyToAndSwapIntoCarryTheAveragedWeights()
    {
        var model = new WithBuffers();
        var swa = AveragedModel.Swa(model);
        model.Set([0, 0, 0], [1, 1], 1);
        swa.UpdateParameters(model);
        model.Set([2, 4, 6], [3, 3], 2);
        swa.UpdateParameters(model);

        var other = new WithBuffers();
        swa.CopyTo(other);
        Assert.Equal([1.0, 2.0, 3.0], other.W.ToArray<double>());
        Assert.Equal([3.0, 3.0], other.Stat.ToArray<double>());

        var parameter = model.W;
        var x = Tensor.Ones([3], DType.Float64);
        using (swa.SwapInto(model))
        {
            Assert.Equal([1.0, 2.0, 3.0], model.Forward(x).ToArray<double>());
            Assert.Same(parameter, model.W); // in place: an optimizer over the model keeps its parameters
        }
        Assert.Equal([2.0, 4.0, 6.0], model.W.ToArray<double>()); // the model's own weights are back
        Assert.Equal(2, swa.NAveraged);
    }

    [Fact]
    public void StateDictHasPyTorchsNamesAndRestoresTheAverage()
    {
        var model = new WithBuffers();
        var swa = AveragedModel.Swa(model, useBuffers: true);
        var w = Snapshots(4, 3, 3);
        for (int k = 0; k < 3; k++)
        {
            model.Set(w[k], [k, -k], k);
            swa.UpdateParameters(model);
        }
        var state = swa.StateDict();
        Assert.Equal(["module.count", "module.stat", "module.w", "n_averaged"], state.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(DType.Int64, state["n_averaged"].DType);
        Assert.Equal(3.0, state["n_averaged"].Item());

        var restored = AveragedModel.Swa(new WithBuffers(), useBuffers: true);
        restored.LoadStateDict(state.ToDictionary(kv => kv.Key, kv => kv.Value.Clone()));
        Assert.Equal(3, restored.NAveraged);
        model.Set(w[3], [5, 5], 3);
        swa.UpdateParameters(model);
        restored.UpdateParameters(model); // the restored average continues as the original
        Assert.Equal(Values(swa, "w"), Values(restored, "w"));
        Assert.Equal(Values(swa, "stat"), Values(restored, "stat"));
    }

    [Fact]
    public void BadArgumentsNameTheArgument()
    {
        var swa = AveragedModel.Swa(new WithBuffers());
        var wrongModel = Assert.Throws<ArgumentException>(() => swa.UpdateParameters(new Linear(3, 1, dtype: DType.Float64)));
        Assert.Equal("model", wrongModel.ParamName);
        Assert.Contains("are not the averaged ones", wrongModel.Message);
        var wrongDType = Assert.Throws<ArgumentException>(() => swa.UpdateParameters(new WithBuffers(DType.Float32)));
        Assert.Contains("'w': dtype float32, but the average has float64", wrongDType.Message);
        var decay = Assert.Throws<ArgumentOutOfRangeException>(() => AveragedModel.Ema(new WithBuffers(), 1.5));
        Assert.Equal("decay", decay.ParamName);
        Assert.Contains("decay must be in [0, 1], got 1.5", decay.Message);

        var state = swa.StateDict();
        state.Remove("module.stat");
        var missing = Assert.Throws<ArgumentException>(() => swa.LoadStateDict(state));
        Assert.Equal("state", missing.ParamName);
        Assert.Contains("no 'module.stat'", missing.Message);
        state = swa.StateDict();
        state["module.extra"] = Tensor.Zeros([1]);
        Assert.Throws<ArgumentException>(() => swa.LoadStateDict(state));
        state = swa.StateDict();
        state["n_averaged"] = Tensor.Scalar(-1, DType.Int64);
        Assert.Contains("'n_averaged' must be >= 0, got -1", Assert.Throws<ArgumentException>(() => swa.LoadStateDict(state)).Message);
    }
}
