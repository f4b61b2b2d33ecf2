namespace Descent.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void CreationFunctionsFillAsPyTorchDoes()
    {
        Assert.Equal(new float[] { 0, 0, 0, 0 }, Tensor.Zeros([2, 2]).ToArray<float>());
        Assert.Equal(new double[] { 1, 1, 1 }, Tensor.Ones([3], DType.Float64).ToArray<double>());
        Assert.Equal(new float[] { 7, 7 }, Tensor.Full([2], 7).ToArray<float>());
        Assert.Equal(new float[] { 1, 1.5f, 2, 2.5f }, Tensor.Arange(1, 3, 0.5).ToArray<float>());
        Assert.Equal(new double[] { 0, 0.25, 0.5, 0.75, 1 }, Tensor.Linspace(0, 1, 5, DType.Float64).ToArray<double>());
        Assert.Equal(new float[] { 1, 0, 0, 0, 1, 0 }, Tensor.Eye(2, 3).ToArray<float>());
        Assert.Equal(new long[] { 0, 1, 2 }, Tensor.Arange(3, DType.Int64).ToArray<long>());
        Assert.Equal(DType.Float32, Tensor.Zeros([1]).DType);
    }

    [Fact]
    public void RandomTensorsAreReproducibleFromASeed()
    {
        var a = Tensor.Randn([100], generator: new Generator(42)).ToArray<float>();
        var b = Tensor.Randn([100], generator: new Generator(42)).ToArray<float>();
        Assert.Equal(a, b);
        var u = Tensor.Uniform([1000], -2, 3, DType.Float64, new Generator(1)).ToArray<double>();
        Assert.All(u, v => Assert.InRange(v, -2, 3));
        var n = Tensor.Normal([20000], 5, 2, DType.Float64, new Generator(3)).ToArray<double>();
        Assert.InRange(n.Average(), 4.95, 5.05);
        Assert.InRange(Math.Sqrt(n.Select(v => (v - 5) * (v - 5)).Average()), 1.95, 2.05);
    }

    [Fact]
    public void GeneratorStateRoundTrips()
    {
        var g = new Generator(7);
        g.NextDouble();
        var state = g.GetState();
        double next = g.NextDouble();
        var h = new Generator(0);
        h.SetState(state);
        Assert.Equal(next, h.NextDouble());
    }

    [Fact]
    public void ViewsShareStorage()
    {
        var x = Tensor.Arange(6).Reshape(2, 3);
        var t = x.Transpose(0, 1);
        Assert.Equal([3, 2], t.Shape);
        Assert.False(t.IsContiguous);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, t.ToArray<float>());
        using (Descent.Autograd.NoGrad()) x.Fill_(1);
        Assert.Equal(new float[] { 1, 1, 1, 1, 1, 1 }, t.ToArray<float>());
    }

    [Fact]
    public void NarrowSelectSqueezeUnsqueezeExpandPermute()
    {
        var x = Tensor.Arange(24).Reshape(2, 3, 4);
        Assert.Equal(new float[] { 1, 2, 5, 6, 9, 10 }, x.Select(0, 0).Narrow(1, 1, 2).ToArray<float>());
        Assert.Equal([2, 1, 3, 4], x.Unsqueeze(1).Shape);
        Assert.Equal([2, 3, 4], x.Unsqueeze(1).Squeeze().Shape);
        Assert.Equal([4, 2, 3], x.Permute(2, 0, 1).Shape);
        Assert.Equal(x.Select(1, 2).ToArray<float>(), x.Permute(1, 0, 2)[2].ToArray<float>());
        var e = Tensor.FromArray(new float[] { 1, 2 }, [2, 1]).Expand(2, 3);
        Assert.Equal(new float[] { 1, 1, 1, 2, 2, 2 }, e.ToArray<float>());
        Assert.Equal([6, 4], x.Flatten(0, 1).Shape);
        Assert.Equal([2, 12], x.Reshape(2, -1).Shape);
    }

    [Fact]
    public void BroadcastingFollowsPyTorchRules()
    {
        var a = Tensor.Arange(3).Reshape(3, 1);
        var b = Tensor.Arange(4);
        var c = a + b;
        Assert.Equal([3, 4], c.Shape);
        Assert.Equal(new float[] { 0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5 }, c.ToArray<float>());
    }

    [Fact]
    public void DTypeConversionRoundTrips()
    {
        var x = Tensor.FromArray(new[] { 1.5, -2.25 });
        Assert.Equal(new float[] { 1.5f, -2.25f }, x.To(DType.Float32).ToArray<float>());
        Assert.Equal(new long[] { 1, -2 }, x.To(DType.Int64).ToArray<long>());
    }

    [Fact]
    public void ItemAndToStringBehave()
    {
        Assert.Equal(3.5, Tensor.Scalar(3.5, DType.Float64).Item<double>());
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros([2]).Item());
        Assert.Equal("tensor([0.5000, 1.2500], dtype=float64)", Tensor.FromArray(new[] { 0.5, 1.25 }).ToString());
        Assert.Equal("tensor([1, 2])", Tensor.FromArray(new long[] { 1, 2 }).ToString());
        var y = Tensor.FromArray(new[] { 1.0 }, requiresGrad: true) * 2.0;
        Assert.Contains("grad_fn=<MulBackward>", y.ToString());
    }

    [Fact]
    public void ArgmaxAndComparisonsServeMetrics()
    {
        var logits = Tensor.FromArray(new float[] { 0.1f, 0.9f, 0.0f, 0.7f, 0.2f, 0.1f }, [2, 3]);
        var predicted = logits.Argmax(1);
        Assert.Equal(new long[] { 1, 0 }, predicted.ToArray<long>());
        var correct = predicted.Eq(Tensor.FromArray(new long[] { 1, 2 }));
        Assert.Equal(1.0, correct.Sum().Item());
    }

    [Fact]
    public void BadArgumentsGetClearErrors()
    {
        Assert.Contains("-1", Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, -1])).Message);
        Assert.Contains("[6]", Assert.Throws<ArgumentException>(() => Tensor.Arange(6).Reshape(4, 2)).Message);
        Assert.Equal("step", Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Arange(0, 1, 0)).ParamName);
        Assert.Contains("data has 3", Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[] { 1, 2, 3 }, [2, 2])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros([2, 2]).Sum(2));
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros([2], DType.Int64).RequiresGrad = true);
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros([2]).AsSpan<double>());
        var mm = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 3]).MatMul(Tensor.Zeros([2, 3])));
        Assert.Contains("[2, 3]", mm.Message);
    }

    [Fact]
    public void SumsOverLeadingAndTrailingDimsAgree()
    {
        var x = Tensor.Randn([4, 5, 6], DType.Float64, new Generator(5));
        var viaLeading = x.Sum([0, 1]).ToArray<double>();
        var viaPermute = x.Permute(2, 0, 1).Sum([1, 2]).ToArray<double>();
        for (int i = 0; i < 6; i++) Assert.Equal(viaPermute[i], viaLeading[i], 12);
    }
}
