using Descent.NN;
using Xunit.Abstractions;
using static Descent.Onnx.Tests.OnnxRoundTrip;

namespace Descent.Onnx.Tests;

/// <summary>Each exportable layer, traced on a batch of 2 and run in ONNX Runtime on a batch of 5 (the batch is dynamic).</summary>
public class LayerExportTests(ITestOutputHelper output)
{
    private static Tensor Rows(int features, int batch = 5, int seed = 1) => Randn(seed, batch, features);

    private static Tensor Images(int channels, int size, int batch = 5, int seed = 1) => Randn(seed, batch, channels, size, size);

    private void Matches(Module model, Func<int, Tensor> input) =>
        output.WriteLine($"{model.GetType().Name}: max relative difference {AssertMatches(model, input(2), input(5)):E2}");

    [Fact]
    public void Linear_with_and_without_bias() // Gemm
    {
        Matches(new Linear(6, 3, generator: new Generator(1)), b => Rows(6, b));
        Matches(new Linear(6, 3, bias: false, generator: new Generator(2)), b => Rows(6, b));
    }

    [Fact]
    public void Linear_on_a_higher_rank_input() // MatMul + Add
    {
        Matches(new Linear(4, 3, generator: new Generator(1)), b => Randn(3, b, 7, 4));
        Matches(new Linear(4, 3, bias: false, generator: new Generator(1)), b => Randn(3, b, 2, 7, 4));
    }

    [Fact]
    public void Conv2d_with_stride_and_padding()
    {
        Matches(new Conv2d(3, 4, 3, generator: new Generator(1)), b => Images(3, 9, b));
        Matches(new Conv2d(3, 4, (3, 2), stride: (2, 1), padding: (1, 0), bias: false, generator: new Generator(2)), b => Images(3, 9, b));
    }

    public static TheoryData<string> Activations() => ["relu", "leaky", "tanh", "sigmoid", "gelu", "gelu-tanh", "silu", "softmax", "logsoftmax", "softmax0", "dropout"];

    private static Module Activation(string name) => name switch
    {
        "relu" => new ReLU(),
        "leaky" => new LeakyReLU(0.2),
        "tanh" => new Tanh(),
        "sigmoid" => new Sigmoid(),
        "gelu" => new GELU(),
        "gelu-tanh" => new GELU("tanh"),
        "silu" => new SiLU(),
        "softmax" => new Softmax(-1),
        "logsoftmax" => new LogSoftmax(1),
        "softmax0" => new Softmax(0),
        _ => new Dropout(0.5, new Generator(1)), // exported as in evaluation: the identity
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void Activations_and_dropout(string name)
    {
        // Scaled so that the inputs reach the tails (GELU's, the sigmoid's) as well as the middle.
        Matches(Activation(name), b => Randn(4, b, 3, 8) * 3);
    }

    [Fact]
    public void Pooling_with_stride_and_padding()
    {
        Matches(new MaxPool2d(2), b => Images(2, 8, b));
        Matches(new MaxPool2d(3, stride: 2, padding: 1), b => Images(2, 9, b));
        Matches(new AvgPool2d(2), b => Images(2, 8, b));
        // The padding counts in the divisor (count_include_pad), as Descent's and PyTorch's default.
        Matches(new AvgPool2d(3, stride: 2, padding: 1), b => Images(2, 9, b));
        Matches(new AvgPool2d((3, 2), stride: (1, 2)), b => Images(2, 7, b));
    }

    [Fact]
    public void Flatten_and_Unflatten()
    {
        Matches(new Flatten(), b => Images(2, 3, b)); // ONNX Flatten
        Matches(new Flatten(2), b => Images(2, 3, b)); // Reshape
        Matches(new Flatten(1, 2), b => Images(2, 3, b));
        Matches(new Unflatten(1, 2, 3, 4), b => Rows(24, b));
        Matches(new Unflatten(-1, 3, -1), b => Randn(2, b, 2, 12));
    }

    [Fact]
    public void LayerNorm_over_one_and_two_dimensions()
    {
        var one = new LayerNorm([8], eps: 1e-3);
        var two = new LayerNorm([3, 8]);
        RandomizeParameters(one, 5);
        RandomizeParameters(two, 6);
        Matches(one, b => Randn(7, b, 3, 8));
        Matches(two, b => Randn(7, b, 3, 8));
    }

    [Fact]
    public void BatchNorm_with_running_statistics_with_and_without_affine()
    {
        foreach (bool affine in new[] { true, false })
        {
            var norm1d = Trained(new BatchNorm1d(4, eps: 1e-3, affine: affine), Randn(8, 16, 4) * 2 + 1);
            Matches(norm1d, b => Rows(4, b));
            var norm1dLength = Trained(new BatchNorm1d(4, affine: affine), Randn(8, 16, 4, 5) * 2 - 1);
            Matches(norm1dLength, b => Randn(2, b, 4, 5));
            var norm2d = Trained(new BatchNorm2d(3, affine: affine), Images(3, 4, batch: 8, seed: 9) * 3);
            Matches(norm2d, b => Images(3, 4, b));
        }
    }

    /// <summary>The layer after a few training batches, so that its running statistics are not the initial zeros and ones.</summary>
    private static T Trained<T>(T norm, Tensor batch) where T : BatchNorm
    {
        RandomizeParameters(norm, 3);
        using (Autograd.NoGrad())
            for (int i = 0; i < 3; i++) norm.Forward(batch);
        return norm;
    }

    private static void RandomizeParameters(Module module, int seed)
    {
        using (Autograd.NoGrad())
            foreach (var (_, p) in module.NamedParameters()) p.CopyFrom_(Randn(seed++, p.Shape));
    }
}
