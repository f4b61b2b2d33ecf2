using Descent.IO;
using Descent.NN;
using Microsoft.ML.OnnxRuntime;

namespace Descent.Onnx.Tests;

/// <summary>Exports a model, runs the file in ONNX Runtime and compares its outputs with Descent's.</summary>
internal static class OnnxRoundTrip
{
    /// <summary>The file's bytes for <paramref name="model"/> traced on <paramref name="example"/>.</summary>
    public static byte[] Export(Module model, Tensor example)
    {
        using var stream = new MemoryStream();
        IO.Onnx.Export(model, example, stream);
        return stream.ToArray();
    }

    /// <summary>What ONNX Runtime computes from the file for <paramref name="input"/> (float32), with its shape.</summary>
    public static (float[] Values, long[] Shape) Run(byte[] file, Tensor input)
    {
        // ONNX Runtime's default optimisations (operator fusion among them), as a user's session has them.
        using var session = new InferenceSession(file);
        float[] data = input.Contiguous().AsSpan<float>().ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(data, [.. input.Shape.Select(d => (long)d)]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["input"], [value], ["output"]);
        var output = results[0];
        return (output.GetTensorDataAsSpan<float>().ToArray(), output.GetTensorTypeAndShape().Shape);
    }

    /// <summary>
    /// Exports on <paramref name="example"/>, runs the file on <paramref name="input"/> (another batch size) and checks
    /// the shape and |onnx − descent| ≤ 1e-5·max(1, |descent|) element by element; returns the largest relative difference.
    /// </summary>
    public static double AssertMatches(Module model, Tensor example, Tensor input)
    {
        Assert.NotEqual(example.Size(0), input.Size(0));
        byte[] file = Export(model, example);
        var (values, shape) = Run(file, input);
        Tensor expected;
        model.Eval(); // what the file computes: dropout off, BatchNorm on its running statistics
        using (Autograd.NoGrad()) expected = model.Forward(input).Contiguous();
        Assert.Equal(expected.Shape.Select(d => (long)d), shape);
        return AssertClose(expected.AsSpan<float>().ToArray(), values);
    }

    /// <summary>Checks |actual − expected| ≤ 1e-5·max(1, |expected|); returns the largest |actual − expected| / max(1, |expected|).</summary>
    public static double AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double scale = Math.Max(1, Math.Abs((double)expected[i]));
            double relative = Math.Abs((double)actual[i] - expected[i]) / scale;
            Assert.True(relative <= 1e-5, $"element {i}: ONNX Runtime gives {actual[i]}, Descent {expected[i]} (relative difference {relative:E2})");
            worst = Math.Max(worst, relative);
        }
        return worst;
    }

    /// <summary>A float32 tensor of normal samples from a seeded generator.</summary>
    public static Tensor Randn(int seed, params int[] shape) => Tensor.Randn(shape, generator: new Generator(seed));
}
