using Descent.NN;
using Xunit.Abstractions;
using static Descent.Onnx.Tests.OnnxRoundTrip;

namespace Descent.Onnx.Tests;

/// <summary>Whole models: Sequential, nested, and modules of their own whose Forward chains their children.</summary>
public class ModelExportTests(ITestOutputHelper output)
{
    /// <summary>The README's SimpleModel: its Forward applies its children in the order it registered them.</summary>
    private sealed class SimpleModel : Module
    {
        private readonly Linear _fc1, _fc2;
        private readonly ReLU _relu;

        public SimpleModel(int inputs, int hidden, int outputs, Generator generator)
        {
            _fc1 = RegisterModule("fc1", new Linear(inputs, hidden, generator: generator));
            _relu = RegisterModule("relu", new ReLU());
            _fc2 = RegisterModule("fc2", new Linear(hidden, outputs, generator: generator));
        }

        public override Tensor Forward(Tensor input) => _fc2.Forward(_relu.Forward(_fc1.Forward(input)));
    }

    [Fact]
    public void The_READMEs_SimpleModel_exports_as_its_children_in_order()
    {
        var model = new SimpleModel(4, 16, 3, new Generator(1));
        Report("SimpleModel", AssertMatches(model, Randn(1, 2, 4), Randn(2, 9, 4)));
    }

    [Fact]
    public void A_nested_model_of_every_kind_of_layer()
    {
        var g = new Generator(3);
        var features = new Sequential(
            new Unflatten(1, 2, 6, 6),
            new Conv2d(2, 4, 3, padding: 1, generator: g), new BatchNorm2d(4), new LeakyReLU(0.1), new MaxPool2d(2),
            new Sequential(new Conv2d(4, 4, 3, stride: 1, padding: 1, bias: false, generator: g), new SiLU(), new AvgPool2d(3, stride: 1, padding: 1)),
            new Flatten());
        var head = new Sequential(
            new Linear(36, 12, generator: g), new LayerNorm([12]), new GELU(), new Dropout(0.3, g),
            new SimpleModel(12, 8, 5, g), new Tanh(), new Unflatten(1, 5, 1), new BatchNorm1d(5), new Flatten(), new Sigmoid(), new LogSoftmax(-1));
        var model = new Sequential(features, head);
        // A few training batches give the BatchNorm layers running statistics of their own.
        using (Autograd.NoGrad())
            for (int i = 0; i < 3; i++) model.Forward(Randn(10 + i, 16, 72) * 2);
        Report("nested", AssertMatches(model, Randn(1, 3, 72), Randn(2, 8, 72)));
    }

    [Fact]
    public void A_model_that_is_one_layer_or_none()
    {
        AssertMatches(new Linear(3, 2, generator: new Generator(1)), Randn(1, 1, 3), Randn(2, 4, 3));
        AssertMatches(new Sequential(), Randn(1, 1, 3), Randn(2, 4, 3)); // the identity
        AssertMatches(new Sequential(new Dropout()), Randn(1, 1, 3), Randn(2, 4, 3));
    }

    [Fact]
    public void The_graph_names_its_input_and_output_and_the_weights_as_the_state_dict()
    {
        var model = new Sequential(new Linear(3, 4, generator: new Generator(1)), new ReLU(), new Linear(4, 2, generator: new Generator(2)));
        byte[] file = Export(model, Randn(1, 2, 3));
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(file);
        var input = Assert.Single(session.InputMetadata);
        Assert.Equal("input", input.Key);
        Assert.Equal([-1, 3], input.Value.Dimensions);
        Assert.Equal("batch", input.Value.SymbolicDimensions[0]);
        var output1 = Assert.Single(session.OutputMetadata);
        Assert.Equal("output", output1.Key);
        Assert.Equal([-1, 2], output1.Value.Dimensions);
        Assert.Equal("Descent", session.ModelMetadata.ProducerName);
        // The initializers are not graph inputs, so the session does not list them: look for their names in the bytes.
        string text = System.Text.Encoding.Latin1.GetString(file);
        Assert.All(model.StateDict().Keys, name => Assert.Contains(name, text, StringComparison.Ordinal));
    }

    private void Report(string model, double worst) => output.WriteLine($"{model}: max relative difference {worst:E2}");
}
