using Descent.NN;

namespace Descent.Tests.NN;

public class ModuleTests
{
    private sealed class SimpleModel : Module
    {
        private readonly Linear _linear;

        public SimpleModel() => _linear = RegisterModule("linear", new Linear(10, 1));

        public override Tensor Forward(Tensor x) => _linear.Forward(x);
    }

    private sealed class TwoLayer : Module
    {
        public TwoLayer() => RegisterModule("layers", new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2)));

        public override Tensor Forward(Tensor x) => NamedChildren().Single().Value.Forward(x);
    }

    [Fact]
    public void NamedParametersAreDottedLikePyTorch()
    {
        var names = new TwoLayer().NamedParameters().Select(p => p.Key).ToArray();
        Assert.Equal(["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"], names);
    }

    [Fact]
    public void LinearInitialisationStaysWithinOneOverSqrtFanIn()
    {
        Tensor.ManualSeed(1);
        var layer = new Linear(100, 50);
        double bound = 1 / Math.Sqrt(100);
        Assert.All(layer.Weight.ToArray<float>(), w => Assert.InRange(w, -bound, bound));
        Assert.All(layer.Bias!.ToArray<float>(), b => Assert.InRange(b, -bound, bound));
        // Uniform on (−b, b): the standard deviation is b/√3.
        var std = Math.Sqrt(layer.Weight.ToArray<float>().Select(w => (double)w * w).Average());
        Assert.InRange(std, 0.9 * bound / Math.Sqrt(3), 1.1 * bound / Math.Sqrt(3));
    }

    [Fact]
    public void LinearComputesXTimesWTransposedPlusB()
    {
        var layer = new Linear(2, 1, dtype: DType.Float64);
        layer.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.FromArray(new[] { 2.0, -1.0 }, [1, 2]),
            ["bias"] = Tensor.FromArray(new[] { 0.5 }),
        });
        var y = layer.Forward(Tensor.FromArray(new[] { 1.0, 3.0, 4.0, 1.0 }, [2, 2]));
        Assert.Equal(new[] { -0.5, 7.5 }, y.ToArray<double>());
    }

    [Fact]
    public void SimpleModelTrainsThroughItsParameters()
    {
        var model = new SimpleModel();
        Assert.Equal(11, model.ParameterCount());
        var x = Tensor.Randn([8, 10]);
        model.Forward(x).Square().Mean().Backward();
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
    }

    [Fact]
    public void LoadStateDictRejectsMissingAndMisshapenEntriesWithoutChangingAnything()
    {
        var model = new SimpleModel();
        var before = model.StateDict()["linear.weight"].ToArray<float>();
        var e = Assert.Throws<ArgumentException>(() => model.LoadStateDict(new Dictionary<string, Tensor> { ["linear.weight"] = Tensor.Zeros([1, 10]) }));
        Assert.Contains("linear.bias", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["linear.weight"] = Tensor.Zeros([1, 10]),
            ["linear.bias"] = Tensor.Zeros([2]),
        }));
        Assert.Contains("[2]", e.Message);
        Assert.Equal(before, model.StateDict()["linear.weight"].ToArray<float>());
    }

    [Fact]
    public void TrainAndEvalReachChildren()
    {
        var model = new TwoLayer();
        model.Eval();
        Assert.False(((Sequential)model.NamedChildren().Single().Value)[0].IsTraining);
    }

    [Fact]
    public void InvalidLayerSizesNameTheArgument()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(0, 3));
        Assert.Equal("inFeatures", e.ParamName);
    }
}
