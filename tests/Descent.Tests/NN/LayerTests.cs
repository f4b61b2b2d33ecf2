using Descent.NN;

namespace Descent.Tests.NN;

public class LayerTests
{
    [Fact]
    public void Conv2dAndPoolingGiveTheExpectedShapesAndGradients()
    {
        var model = new Sequential(new Conv2d(1, 4, 3, padding: 1), new ReLU(), new MaxPool2d(2), new Conv2d(4, 2, 3, stride: 2), new AvgPool2d(2));
        var x = Tensor.Randn([2, 1, 12, 12], generator: new Generator(1));
        var y = model.Forward(x);
        Assert.Equal([2, 2, 1, 1], y.Shape);
        y.Sum().Backward();
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
        Assert.Equal(["0.weight", "0.bias", "3.weight", "3.bias"], model.NamedParameters().Select(p => p.Key));
    }

    [Fact]
    public void EmbeddingLooksUpRows()
    {
        var e = new Embedding(5, 3, DType.Float64);
        var idx = Tensor.FromArray(new long[] { 4, 0, 4, 2 }, [2, 2]);
        var y = e.Forward(idx);
        Assert.Equal([2, 2, 3], y.Shape);
        var w = e.Weight.ToArray<double>();
        Assert.Equal(w[12..15], y.ToArray<double>()[0..3]);
        y.Sum().Backward();
        // Row 4 was used twice, rows 1 and 3 never.
        Assert.Equal(new double[] { 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 2, 2, 2 }, e.Weight.Grad!.ToArray<double>());
        Assert.Throws<ArgumentException>(() => e.Forward(Tensor.Zeros([2])));
    }

    [Fact]
    public void DropoutIsIdentityInEvaluationMode()
    {
        var d = new Dropout(0.5, new Generator(3));
        var x = Tensor.Ones([1000]);
        var train = d.Forward(x).ToArray<float>();
        Assert.All(train, v => Assert.True(v == 0 || v == 2));
        Assert.InRange(train.Count(v => v == 0), 400, 600);
        d.Eval();
        Assert.Equal(x.ToArray<float>(), d.Forward(x).ToArray<float>());
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.5)).ParamName);
    }

    [Fact]
    public void LayerNormModuleNormalisesTheLastDimension()
    {
        var ln = new LayerNorm([4], dtype: DType.Float64);
        var y = ln.Forward(Tensor.FromArray(new[] { 1.0, 2, 3, 4, 10, 10, 10, 10 }, [2, 4])).ToArray<double>();
        Assert.Equal(0.0, y.Take(4).Sum(), 12);
        Assert.Equal(4.0, y.Take(4).Sum(v => v * v), 3);
        Assert.All(y.Skip(4), v => Assert.Equal(0.0, v, 12));
    }

    [Fact]
    public void LossModulesMatchTheirFunctions()
    {
        var x = Tensor.Randn([6, 3], DType.Float64, new Generator(2));
        var t = Tensor.FromArray(new long[] { 0, 2, 1, 1, 0, 2 });
        Assert.Equal(Functional.CrossEntropy(x, t).Item(), new CrossEntropyLoss().Forward(x, t).Item());
        Assert.Equal(Functional.NllLoss(x.LogSoftmax(1), t).Item(), new NLLLoss().Forward(x.LogSoftmax(1), t).Item());
        var y = Tensor.Randn([6, 3], DType.Float64, new Generator(3));
        Assert.Equal(Functional.MseLoss(x, y).Item(), new MSELoss().Forward(x, y).Item());
        Assert.Equal(Functional.L1Loss(x, y, Reduction.Sum).Item(), new L1Loss(Reduction.Sum).Forward(x, y).Item());
        Assert.Equal(Functional.HuberLoss(x, y, delta: 0.5).Item(), new HuberLoss(delta: 0.5).Forward(x, y).Item());
        var p = y.Sigmoid();
        Assert.Equal(Functional.BinaryCrossEntropyWithLogits(x, p).Item(), new BCEWithLogitsLoss().Forward(x, p).Item());
    }

    [Fact]
    public void InitialisersFollowTheirFormulas()
    {
        var w = Tensor.Zeros([200, 300], DType.Float64);
        double Std(Tensor t) => Math.Sqrt(t.ToArray<double>().Select(v => v * v).Average());
        Init.XavierUniform_(w, generator: new Generator(1));
        Assert.InRange(Std(w), 0.95 * Math.Sqrt(2.0 / 500), 1.05 * Math.Sqrt(2.0 / 500));
        Init.XavierNormal_(w, generator: new Generator(1));
        Assert.InRange(Std(w), 0.95 * Math.Sqrt(2.0 / 500), 1.05 * Math.Sqrt(2.0 / 500));
        Init.KaimingNormal_(w, nonlinearity: "relu", generator: new Generator(1));
        Assert.InRange(Std(w), 0.95 * Math.Sqrt(2.0 / 300), 1.05 * Math.Sqrt(2.0 / 300));
        Init.KaimingUniform_(w, nonlinearity: "relu", generator: new Generator(1));
        Assert.InRange(Std(w), 0.95 * Math.Sqrt(2.0 / 300), 1.05 * Math.Sqrt(2.0 / 300));
        Init.Constant_(w, 0.25);
        Assert.All(w.ToArray<double>(), v => Assert.Equal(0.25, v));
        var a = Init.Normal_(Tensor.Zeros([10]), generator: new Generator(9)).ToArray<float>();
        var b = Init.Normal_(Tensor.Zeros([10]), generator: new Generator(9)).ToArray<float>();
        Assert.Equal(a, b);
        Assert.Throws<ArgumentException>(() => Init.XavierUniform_(Tensor.Zeros([5])));
    }
}
