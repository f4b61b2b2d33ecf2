using Descent.Data;
using Descent.NN;
using Descent.Optim;
using Xunit.Abstractions;
using static Descent.Onnx.Tests.OnnxRoundTrip;
using F = Descent.NN.Functional;

namespace Descent.Onnx.Tests;

/// <summary>
/// The command line's MNIST models (ModelCatalog's mlp and cnn, built here the same way), trained for one epoch on the
/// first training images of the repository's data/mnist, exported, and run in ONNX Runtime on test images: the outputs
/// agree to 1e-5 and so do the predicted digits.
/// </summary>
public class MnistExportTests(ITestOutputHelper output)
{
    private const int TrainImages = 3000, TestImages = 500;

    private static readonly Lazy<(LabeledData Train, LabeledData Test)> s_data = new(Load);

    /// <summary>Flat rows [N, 784] scaled as the command line scales them: one mean and std over all training pixels.</summary>
    private static (LabeledData, LabeledData) Load()
    {
        string folder = RepositoryFiles.PathOf("data/mnist");
        var train = Mnist.Load(folder, train: true, flatten: true);
        var test = Mnist.Load(folder, train: false, flatten: true);
        train = train with { Features = train.Features.Narrow(0, 0, TrainImages).Contiguous(), Labels = train.Labels.Narrow(0, 0, TrainImages).Contiguous() };
        test = test with { Features = test.Features.Narrow(0, 0, TestImages).Contiguous(), Labels = test.Labels.Narrow(0, 0, TestImages).Contiguous() };
        var scaler = new StandardScaler(perFeature: false).Fit(train.Features);
        return (train with { Features = scaler.Transform(train.Features) }, test with { Features = scaler.Transform(test.Features) });
    }

    /// <summary>ModelCatalog's mlp for images: 784 → 256 → 128 → 10 with ReLU.</summary>
    private static Sequential Mlp(Generator g) =>
        new(new Flatten(), new Linear(784, 256, generator: g), new ReLU(), new Linear(256, 128, generator: g), new ReLU(), new Linear(128, 10, generator: g));

    /// <summary>ModelCatalog's cnn (and cnn-bn): two 3×3 convolutions of 16 and 32 channels, each with ReLU and 2×2 max pooling, then a linear layer.</summary>
    private static Sequential Cnn(Generator g, bool batchNorm)
    {
        var model = new Sequential(new Unflatten(1, 1, 28, 28));
        foreach (var (inChannels, outChannels) in new[] { (1, 16), (16, 32) })
        {
            model.Add(new Conv2d(inChannels, outChannels, 3, padding: 1, bias: !batchNorm, generator: g));
            if (batchNorm) model.Add(new BatchNorm2d(outChannels));
            model.Add(new ReLU()).Add(new MaxPool2d(2));
        }
        return model.Add(new Flatten()).Add(new Linear(32 * 7 * 7, 10, generator: g));
    }

    [Fact]
    public void The_trained_MLP_agrees_with_ONNX_Runtime() => TrainExportCompare("mlp", Mlp(new Generator(1)));

    [Fact]
    public void The_trained_CNN_agrees_with_ONNX_Runtime() => TrainExportCompare("cnn", Cnn(new Generator(2), batchNorm: false));

    [Fact]
    public void The_trained_CNN_with_BatchNorm_agrees_with_ONNX_Runtime() => TrainExportCompare("cnn-bn", Cnn(new Generator(3), batchNorm: true));

    private void TrainExportCompare(string name, Module model)
    {
        var (train, test) = s_data.Value;
        Train(model, train);
        model.Eval();
        // Traced on one image (as descent train --export-onnx does), run on the test batch.
        byte[] file = Export(model, train.Features.Narrow(0, 0, 1));
        var (values, shape) = Run(file, test.Features);
        Assert.Equal([TestImages, 10], shape);
        Tensor expected;
        using (Autograd.NoGrad()) expected = model.Forward(test.Features).Contiguous();
        double worst = AssertClose(expected.AsSpan<float>().ToArray(), values);

        long[] descentDigits = expected.Argmax(1).ToArray<long>();
        long[] onnxDigits = [.. Enumerable.Range(0, TestImages).Select(i => (long)Array.IndexOf(values, values.AsSpan(i * 10, 10).ToArray().Max(), i * 10, 10) - i * 10)];
        Assert.Equal(descentDigits, onnxDigits);
        double accuracy = descentDigits.Zip(test.Labels.ToArray<long>()).Count(p => p.First == p.Second) / (double)TestImages;
        // One epoch on 3000 images is enough to be far from chance: the weights compared are trained ones.
        Assert.True(accuracy > 0.7, $"{name}: test accuracy {accuracy:P1} after one epoch");
        output.WriteLine($"{name}: max relative difference {worst:E2}, test accuracy {accuracy:P1}, predictions identical on {TestImages} images");
    }

    /// <summary>One epoch of Adam (lr 1e-3, batches of 64) in a fixed order.</summary>
    private static void Train(Module model, LabeledData train)
    {
        model.Train();
        var optimizer = new Adam(model.Parameters(), lr: 1e-3);
        var loader = new DataLoader(new TensorDataset(train.Features, train.Labels), batchSize: 64, shuffle: true, generator: new Generator(7));
        foreach (var batch in loader)
        {
            optimizer.ZeroGrad();
            F.CrossEntropy(model.Forward(batch.Input), batch.Target).Backward();
            optimizer.Step();
        }
    }
}
