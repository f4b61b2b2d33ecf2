using Descent.NN;
using static Descent.Onnx.Tests.OnnxRoundTrip;

namespace Descent.Onnx.Tests;

/// <summary>What the export refuses, and how it says so; and what it leaves as it found it.</summary>
public sealed class ExportErrorTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("descent-onnx-");

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>x + f(x): its Forward uses its child, but not as a chain.</summary>
    private sealed class ResidualBlock : Module
    {
        private readonly Linear _fc;

        public ResidualBlock(int features) => _fc = RegisterModule("fc", new Linear(features, features, generator: new Generator(1)));

        public override Tensor Forward(Tensor input) => input + _fc.Forward(input);
    }

    /// <summary>A model whose children are named, one of them the residual block.</summary>
    private sealed class Encoder : Module
    {
        private readonly Module _encoder, _head;

        public Encoder(Module encoder)
        {
            _encoder = RegisterModule("encoder", encoder);
            _head = RegisterModule("head", new Linear(4, 2, generator: new Generator(2)));
        }

        public override Tensor Forward(Tensor input) => _head.Forward(_encoder.Forward(input));
    }

    /// <summary>A layer of the user's own, without children.</summary>
    private sealed class Square : Module
    {
        public override Tensor Forward(Tensor input) => input * input;
    }

    [Fact]
    public void A_module_whose_Forward_is_not_its_children_in_order_is_named_with_its_path()
    {
        var model = new Encoder(new ResidualBlock(4));
        var e = Assert.Throws<NotSupportedException>(() => Export(model, Randn(1, 2, 4)));
        Assert.StartsWith("module 'encoder' (ResidualBlock): its Forward is not its children applied in order (fc (Linear)); ONNX export supports Linear,", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_layer_without_an_ONNX_form_is_named_with_its_path()
    {
        var embedding = new Sequential(new Embedding(10, 4), new Linear(4, 2));
        var e = Assert.Throws<NotSupportedException>(() => Export(embedding, Tensor.FromArray(new long[] { 1, 2 }, [2, 1])));
        Assert.StartsWith("module '0' (Embedding) has no ONNX form; ONNX export supports", e.Message, StringComparison.Ordinal);

        var nested = new Sequential(new Linear(3, 4), new Encoder(new Sequential(new Square())));
        e = Assert.Throws<NotSupportedException>(() => Export(nested, Randn(1, 2, 3)));
        Assert.StartsWith("module '1.encoder.0' (Square) has no ONNX form", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<NotSupportedException>(() => Export(new Square(), Randn(1, 2, 3)));
        Assert.StartsWith("the model (Square) has no ONNX form", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_BatchNorm_without_running_statistics_is_refused_with_the_reason()
    {
        var model = new Sequential(new Linear(3, 4), new BatchNorm1d(4, trackRunningStats: false));
        var e = Assert.Throws<NotSupportedException>(() => Export(model, Randn(1, 2, 3)));
        Assert.StartsWith("module '1' (BatchNorm1d) keeps no running statistics (trackRunningStats: false)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Layers_that_lose_the_batch_dimension_are_refused()
    {
        Assert.Contains("flattens the batch dimension", Assert.Throws<NotSupportedException>(() => Export(new Flatten(0), Randn(1, 2, 3, 4))).Message, StringComparison.Ordinal);
        Assert.Contains("unflattens the batch dimension", Assert.Throws<NotSupportedException>(() => Export(new Unflatten(0, 2, 1), Randn(1, 2, 3))).Message, StringComparison.Ordinal);
        // Descent's Conv2d also takes one unbatched image [C, H, W]; the ONNX graph would read C as the batch.
        Assert.Contains("needs batches of images [N, C, H, W]", Assert.Throws<NotSupportedException>(() => Export(new Conv2d(2, 3, 3), Randn(1, 2, 5, 5))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_example_input_the_model_does_not_accept_is_an_argument_error_naming_it_and_the_shapes()
    {
        var model = new Sequential(new Linear(4, 2));
        var e = Assert.Throws<ArgumentException>("exampleInput", () => Export(model, Randn(1, 2, 5)));
        Assert.StartsWith("exampleInput of shape [2, 5] does not fit the model: Linear(4, 2) expects inputs with 4 features in the last dimension, got shape [2, 5]", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>("exampleInput", () => Export(model, Randn(1, 4))); // no batch dimension
    }

    [Fact]
    public void Float64_is_refused_with_the_conversion_to_make()
    {
        var model = new Sequential(new Linear(3, 2, dtype: DType.Float64));
        var e = Assert.Throws<ArgumentException>("module", () => Export(model, Randn(1, 2, 3).To(DType.Float64)));
        Assert.StartsWith("ONNX export writes float32 models, and '0.weight' is float64: convert the model with module.To(DType.Float32)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>("exampleInput", () => Export(new Linear(3, 2), Randn(1, 2, 3).To(DType.Float64)));
        // Converted, it exports and agrees.
        model.To(DType.Float32);
        AssertMatches(model, Randn(1, 2, 3), Randn(2, 3, 3));
    }

    [Fact]
    public void The_training_flags_come_back_each_as_it_was_even_when_the_export_fails()
    {
        var dropout = new Dropout();
        var model = new Sequential(new Linear(3, 4), dropout, new Sequential(new ReLU(), new Square()));
        model.Train();
        dropout.Eval();
        Assert.Throws<NotSupportedException>(() => Export(model, Randn(1, 2, 3)));
        Assert.True(model.IsTraining);
        Assert.False(dropout.IsTraining);

        var good = new Sequential(new Linear(3, 4), dropout, new BatchNorm1d(4));
        good.Train();
        dropout.Eval();
        var runningMean = ((BatchNorm1d)good[2]).RunningMean!.ToArray<float>();
        Export(good, Randn(1, 2, 3));
        Assert.True(good.IsTraining && good[0].IsTraining && good[2].IsTraining);
        Assert.False(dropout.IsTraining);
        // The export ran the BatchNorm in evaluation mode: its running statistics did not move.
        Assert.Equal(runningMean, ((BatchNorm1d)good[2]).RunningMean!.ToArray<float>());
    }

    [Fact]
    public void The_file_is_written_whole_or_not_at_all()
    {
        string path = Path.Combine(_dir.FullName, "model.onnx");
        var model = new Sequential(new Linear(3, 2, generator: new Generator(1)));
        IO.Onnx.Export(model, Randn(1, 2, 3), path);
        byte[] first = File.ReadAllBytes(path);
        Assert.Equal(Export(model, Randn(1, 2, 3)), first);
        var (values, _) = Run(first, Randn(2, 4, 3));
        Assert.Equal(8, values.Length);

        // A model that cannot be exported leaves the previous file as it was, and no temporary file.
        Assert.Throws<NotSupportedException>(() => IO.Onnx.Export(new Square(), Randn(1, 2, 3), path));
        Assert.Equal(first, File.ReadAllBytes(path));
        Assert.Equal(["model.onnx"], _dir.GetFiles().Select(f => f.Name));
        Assert.Throws<ArgumentException>("path", () => IO.Onnx.Export(model, Randn(1, 2, 3), ""));
    }
}
