using Descent.Kernels;
using F = Descent.NN.Functional;

namespace Descent.Tests.NN;

/// <summary>
/// The fast paths of the CNN ops (2×2 max pooling, fused ReLU gradient, conv and pooling split over threads) against
/// straightforward definitions, and bit-identical at one and two threads.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public class ConvPoolKernelTests
{
    [Theory]
    [InlineData(4, 6)]    // 3 windows a row: scalar
    [InlineData(5, 7)]
    [InlineData(4, 9)]    // 4: one block of four
    [InlineData(6, 14)]   // 7: two overlapping blocks of four
    [InlineData(3, 16)]   // 8: one block of eight
    [InlineData(4, 28)]   // 14: two overlapping blocks of eight
    [InlineData(2, 41)]   // 20, and a leftover column
    public void Max_pool_2x2_matches_a_naive_scan_including_ties_nan_and_infinity(int h, int w)
    {
        var data = new float[2 * 3 * h * w];
        var rng = new Random(7);
        for (int i = 0; i < data.Length; i++)
            data[i] = rng.Next(40) switch { 0 => float.NaN, 1 => float.NegativeInfinity, 2 => float.PositiveInfinity, var k => k % 4 - 2 }; // many ties
        data[1] = float.NaN;
        data[w + 2] = float.NegativeInfinity; data[w + 3] = float.NegativeInfinity; data[2] = float.NegativeInfinity; data[3] = float.NegativeInfinity;
        data[h * w + 5] = float.NaN; data[h * w + w + 4] = float.NaN;
        var x = Tensor.FromArray(data, [2, 3, h, w], requiresGrad: true);
        var y = F.MaxPool2d(x, 2);
        int oh = h / 2, ow = w / 2;
        Assert.Equal(new[] { 2, 3, oh, ow }, y.Shape);
        var g = Enumerable.Range(0, 6 * oh * ow).Select(i => (float)(i + 1)).ToArray();
        y.Backward(Tensor.FromArray(g, [2, 3, oh, ow]));
        var expectY = new float[g.Length];
        var expectGx = new float[data.Length];
        for (int p = 0; p < 6; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    float best = float.NegativeInfinity; int at = p * h * w + 2 * i * w + 2 * j;
                    for (int a = 2 * i; a < 2 * i + 2; a++)
                        for (int b = 2 * j; b < 2 * j + 2; b++)
                        {
                            float v = data[p * h * w + a * w + b];
                            if (v > best || float.IsNaN(v)) { best = v; at = p * h * w + a * w + b; }
                        }
                    int o = (p * oh + i) * ow + j;
                    expectY[o] = best;
                    expectGx[at] += g[o];
                }
        Assert.Equal(expectY, y.ToArray<float>());
        Assert.Equal(expectGx, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void Relu_gradient_passes_g_only_where_the_input_is_positive()
    {
        var x = Tensor.FromArray(new[] { -1f, 0f, 2f, float.NaN, 3f, -0f, 5f, -7f, 1f }, requiresGrad: true);
        x.Relu().Backward(Tensor.FromArray(new[] { 1f, 2f, 3f, 4f, float.PositiveInfinity, 6f, 7f, float.NaN, 9f }));
        Assert.Equal(new[] { 0f, 0f, 3f, 0f, float.PositiveInfinity, 0f, 7f, 0f, 9f }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void Relu_gradient_stays_differentiable_when_building_a_graph()
    {
        var x = Tensor.FromArray(new[] { -1.0, 2.0, 3.0 }, requiresGrad: true);
        var y = (x.Relu() * x).Sum(); // d/dx = 2x for x > 0, else 0
        y.Backward(createGraph: true);
        var gx = x.Grad!;
        Assert.Equal(new[] { 0.0, 4.0, 6.0 }, gx.ToArray<double>());
        Assert.True(gx.RequiresGrad);
        x.Grad = null;
        gx.Sum().Backward();
        Assert.Equal(new[] { 0.0, 2.0, 2.0 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void Cnn_layers_give_identical_values_and_gradients_at_one_and_two_threads()
    {
        int saved = Parallelism.MaxThreads;
        try
        {
            Parallelism.MaxThreads = 1;
            var one = RunCnn();
            Parallelism.MaxThreads = 2;
            var two = RunCnn();
            Assert.Equal(one.Length, two.Length);
            for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], two[i]);
        }
        finally { Parallelism.MaxThreads = saved; }
    }

    /// <summary>conv → ReLU → pool → conv with a sample count and sizes above every parallel threshold.</summary>
    private static float[][] RunCnn()
    {
        var gen = new Generator(3);
        var x = Tensor.Randn([24, 3, 40, 40], generator: gen).RequiresGrad_();
        var w1 = Tensor.Randn([8, 3, 3, 3], generator: gen).RequiresGrad_();
        var b1 = Tensor.Randn([8], generator: gen).RequiresGrad_();
        var w2 = Tensor.Randn([6, 8, 3, 3], generator: gen).RequiresGrad_();
        var h = F.MaxPool2d(F.Conv2d(x, w1, b1, padding: 1).Relu(), 2);
        var y = F.Conv2d(h, w2, null, padding: 1);
        (y * y).Sum().Backward();
        return [y.ToArray<float>(), h.ToArray<float>(), x.Grad!.ToArray<float>(), w1.Grad!.ToArray<float>(), b1.Grad!.ToArray<float>(), w2.Grad!.ToArray<float>()];
    }
}
