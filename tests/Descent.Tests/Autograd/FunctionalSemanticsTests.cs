using Descent.NN;
using F = Descent.NN.Functional;

namespace Descent.Tests.Autograd;

/// <summary>Forward values of the neural-network functions against plain loops of PyTorch's definitions.</summary>
public class FunctionalSemanticsTests
{
    private static Tensor Randn(params int[] shape) => Tensor.Randn(shape, DType.Float64, new Generator(shape.Sum() * 31 + shape.Length));

    private static void AssertClose(double[] expected, double[] actual, double tol = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])), $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>Direct six-loop convolution with stride, padding, dilation and groups.</summary>
    private static double[] NaiveConv(Tensor x, Tensor w, Tensor? b, int s, int p, int d, int groups, out int[] shape)
    {
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), wd = x.Size(3), o = w.Size(0), kh = w.Size(2), kw = w.Size(3);
        int oh = (h + 2 * p - d * (kh - 1) - 1) / s + 1, ow = (wd + 2 * p - d * (kw - 1) - 1) / s + 1;
        var xs = x.ToDoubleArray();
        var ws = w.ToDoubleArray();
        var bs = b?.ToDoubleArray();
        int cg = c / groups, og = o / groups;
        var y = new double[n * o * oh * ow];
        for (int ni = 0; ni < n; ni++)
        for (int oc = 0; oc < o; oc++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            double sum = bs?[oc] ?? 0;
            for (int ci = 0; ci < cg; ci++)
            for (int a = 0; a < kh; a++)
            for (int bb = 0; bb < kw; bb++)
            {
                int ih = i * s - p + a * d, iw = j * s - p + bb * d;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                int ch = oc / og * cg + ci;
                sum += xs[((ni * c + ch) * h + ih) * wd + iw] * ws[((oc * cg + ci) * kh + a) * kw + bb];
            }
            y[((ni * o + oc) * oh + i) * ow + j] = sum;
        }
        shape = [n, o, oh, ow];
        return y;
    }

    [Theory]
    [InlineData(1, 0, 1, 1, true)]
    [InlineData(2, 1, 1, 1, false)]
    [InlineData(1, 2, 2, 1, true)]
    [InlineData(2, 1, 1, 2, true)]
    [InlineData(3, 0, 1, 4, false)]
    [InlineData(1, 4, 3, 1, true)]
    public void Conv2dMatchesDirectLoops(int stride, int padding, int dilation, int groups, bool bias)
    {
        var x = Randn(2, 4, 7, 6);
        var w = Randn(4, 4 / groups, 3, 2);
        var b = bias ? Randn(4) : null;
        var expected = NaiveConv(x, w, b, stride, padding, dilation, groups, out var shape);
        var y = F.Conv2d(x, w, b, stride, padding, dilation, groups);
        Assert.Equal(shape, y.Shape);
        AssertClose(expected, y.ToDoubleArray());
        var y32 = F.Conv2d(x.To(DType.Float32), w.To(DType.Float32), b?.To(DType.Float32), stride, padding, dilation, groups);
        AssertClose(expected, y32.ToDoubleArray(), 1e-5);
    }

    [Fact]
    public void Conv2dAcceptsUnbatchedInput()
    {
        var x = Randn(3, 5, 5);
        var w = Randn(2, 3, 3, 3);
        var y = F.Conv2d(x, w, padding: 1);
        Assert.Equal(new[] { 2, 5, 5 }, y.Shape);
        AssertClose(F.Conv2d(x.Unsqueeze(0), w, padding: 1).ToDoubleArray(), y.ToDoubleArray());
    }

    [Fact]
    public void MaxPoolPicksWindowMaximaAndRoutesGradientToTheFirst()
    {
        var x = Tensor.FromArray(new[] { 1.0, 5, 2, 0, 5, 3, 4, 4, 7, 1, 0, 0, -1, 2, 0, 9 }, [1, 1, 4, 4], requiresGrad: true);
        var y = F.MaxPool2d(x, 2);
        Assert.Equal(new[] { 5.0, 4, 7, 9 }, y.ToDoubleArray());
        y.Sum().Backward();
        // Window 0 has 5 twice (positions 1 and 4): the first in scan order gets the gradient.
        Assert.Equal(new[] { 0.0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1 }, x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void PoolingOutputSizesFollowPyTorch()
    {
        var x = Randn(1, 1, 5, 5);
        Assert.Equal(new[] { 1, 1, 2, 2 }, F.MaxPool2d(x, 2).Shape);
        Assert.Equal(new[] { 1, 1, 3, 3 }, F.MaxPool2d(x, 2, ceilMode: true).Shape);
        Assert.Equal(new[] { 1, 1, 3, 3 }, F.MaxPool2d(x, 3, stride: 2, padding: 1).Shape);
        Assert.Equal(new[] { 1, 1, 4, 4 }, F.AvgPool2d(Randn(1, 1, 6, 6), 2, stride: 2, padding: 1, ceilMode: true).Shape);
        // 7×7: ceil gives 5 windows, but the fifth would start in the right padding and is dropped.
        Assert.Equal(new[] { 1, 1, 4, 4 }, F.AvgPool2d(Randn(1, 1, 7, 7), 2, stride: 2, padding: 1, ceilMode: true).Shape);
    }

    [Fact]
    public void AvgPoolDivisorCountsPaddingOnlyWhenAsked()
    {
        var x = Tensor.Ones([1, 1, 2, 2], DType.Float64);
        // 3×3 windows with padding 1 over a 2×2 of ones: 4 ones in each window of 9 cells.
        Assert.Equal(4.0 / 9, F.AvgPool2d(x, 3, stride: 1, padding: 1).ToDoubleArray()[0], 15);
        Assert.Equal(1.0, F.AvgPool2d(x, 3, stride: 1, padding: 1, countIncludePad: false).ToDoubleArray()[0], 15);
        Assert.Equal(4.0 / 5, F.AvgPool2d(x, 3, stride: 1, padding: 1, divisorOverride: 5).ToDoubleArray()[0], 15);
    }

    [Fact]
    public void SoftmaxRowsSumToOneAndLogSoftmaxIsItsLog()
    {
        var x = Randn(3, 4, 5) * 10.0;
        foreach (int dim in new[] { 0, 1, 2, -1 })
        {
            var s = F.Softmax(x, dim);
            AssertClose(Tensor.Ones(s.Sum(dim).Shape, DType.Float64).ToDoubleArray(), s.Sum(dim).ToDoubleArray());
            AssertClose(s.Log().ToDoubleArray(), F.LogSoftmax(x, dim).ToDoubleArray(), 1e-10);
        }
        // Large logits do not overflow.
        var big = Tensor.FromArray(new[] { 1000.0, 1001, 1002 });
        Assert.All(F.LogSoftmax(big, 0).ToDoubleArray(), v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void CrossEntropyWeightedMeanIgnoresTargets()
    {
        var logits = Randn(4, 3);
        var target = Tensor.FromArray(new long[] { 2, 0, 1, 2 });
        var weight = Tensor.FromArray(new[] { 0.5, 2.0, 1.5 });
        var logp = F.LogSoftmax(logits, 1).ToDoubleArray();
        // Sample 1 (target 0) is ignored: loss = Σ w_t·(−log p_t) / Σ w_t over the others.
        double num = 1.5 * -logp[0 * 3 + 2] + 2.0 * -logp[2 * 3 + 1] + 1.5 * -logp[3 * 3 + 2];
        double den = 1.5 + 2.0 + 1.5;
        Assert.Equal(num / den, F.CrossEntropy(logits, target, weight, ignoreIndex: 0).Item(), 12);
        Assert.Equal(num, F.CrossEntropy(logits, target, weight, ignoreIndex: 0, reduction: Reduction.Sum).Item(), 12);
        var none = F.CrossEntropy(logits, target, weight, ignoreIndex: 0, reduction: Reduction.None).ToDoubleArray();
        Assert.Equal(0.0, none[1]);
        Assert.Equal(2.0 * -logp[2 * 3 + 1], none[2], 12);
        Assert.Equal(num / den, F.NllLoss(F.LogSoftmax(logits, 1), target, weight, ignoreIndex: 0).Item(), 12);
    }

    [Fact]
    public void LabelSmoothingEqualsSmoothedProbabilityTargets()
    {
        var logits = Randn(5, 4);
        var target = Tensor.FromArray(new long[] { 0, 3, 1, 1, 2 });
        var oneHot = Tensor.Zeros([5, 4], DType.Float64);
        var t = target.ToArray<long>();
        for (int i = 0; i < 5; i++) oneHot.AsSpan<double>()[i * 4 + (int)t[i]] = 1;
        foreach (var reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
        {
            var a = F.CrossEntropy(logits, target, reduction: reduction, labelSmoothing: 0.3);
            var b = F.CrossEntropy(logits, oneHot, reduction: reduction, labelSmoothing: 0.3);
            AssertClose(b.ToDoubleArray(), a.ToDoubleArray());
        }
    }

    [Fact]
    public void CrossEntropyOverSpatialDimsMatchesFlattenedRows()
    {
        var logits = Randn(2, 3, 4);
        var target = Tensor.FromArray(new long[] { 0, 1, 2, 2, 1, 0, 0, 1 }, [2, 4]);
        var rows = logits.Permute(0, 2, 1).Reshape(8, 3);
        AssertClose(F.CrossEntropy(rows, target.Reshape(8)).ToDoubleArray(), F.CrossEntropy(logits, target).ToDoubleArray());
        Assert.Equal(new[] { 2, 4 }, F.CrossEntropy(logits, target, reduction: Reduction.None).Shape);
    }

    [Fact]
    public void BceWithLogitsMatchesItsDefinition()
    {
        var x = Tensor.FromArray(new[] { -40.0, -1.5, 0, 0.3, 2, 50 }, [3, 2]);
        var t = Tensor.FromArray(new[] { 0.0, 1, 0.5, 0.2, 1, 0 }, [3, 2]);
        var w = Tensor.FromArray(new[] { 1.0, 2, 0.5, 1, 3, 1 }, [3, 2]);
        var pw = Tensor.FromArray(new[] { 2.0, 0.5 });
        var xs = x.ToDoubleArray();
        var ts = t.ToDoubleArray();
        var ws = w.ToDoubleArray();
        var expected = new double[6];
        for (int i = 0; i < 6; i++)
        {
            // log σ(x) = −softplus(−x), log(1 − σ(x)) = −softplus(x), written stably.
            double logSig = -(Math.Max(-xs[i], 0) + Math.Log(1 + Math.Exp(-Math.Abs(xs[i]))));
            double logOneMinus = -(Math.Max(xs[i], 0) + Math.Log(1 + Math.Exp(-Math.Abs(xs[i]))));
            expected[i] = -ws[i] * (pw.ToDoubleArray()[i % 2] * ts[i] * logSig + (1 - ts[i]) * logOneMinus);
        }
        AssertClose(expected, F.BinaryCrossEntropyWithLogits(x, t, w, Reduction.None, pw).ToDoubleArray());
        Assert.Equal(expected.Average(), F.BinaryCrossEntropyWithLogits(x, t, w, posWeight: pw).Item(), 12);
    }

    [Fact]
    public void HuberAndL1Losses()
    {
        var x = Tensor.FromArray(new[] { 0.0, 0.5, 3.0, -2.0 });
        var y = Tensor.Zeros([4], DType.Float64);
        Assert.Equal(new[] { 0.0, 0.125, 2.5, 1.5 }, F.HuberLoss(x, y, Reduction.None).ToDoubleArray());
        Assert.Equal(new[] { 0.0, 0.125, 4.0, 2.0 }, F.HuberLoss(x, y, Reduction.None, delta: 2).ToDoubleArray());
        Assert.Equal(5.5 / 4, F.L1Loss(x, y).Item(), 15);
        Assert.Equal((0.25 + 9 + 4) / 4, F.MseLoss(x, y).Item(), 15);
    }

    [Fact]
    public void LayerNormNormalisesTrailingDims()
    {
        var x = Randn(4, 3, 5) * 3.0 + 1.0;
        var y = F.LayerNorm(x, [3, 5], eps: 0);
        AssertClose(new double[4], y.Mean([1, 2]).ToDoubleArray(), 1e-12);
        AssertClose([1, 1, 1, 1], y.Var([1, 2], correction: 0).ToDoubleArray(), 1e-12);
    }

    [Fact]
    public void DropoutZeroesAboutPAndRescalesTheRest()
    {
        var x = Tensor.Ones([10000], DType.Float64);
        var y = F.Dropout(x, 0.3, generator: new Generator(1)).ToDoubleArray();
        double zeros = y.Count(v => v == 0) / 10000.0;
        Assert.InRange(zeros, 0.27, 0.33);
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.7) < 1e-15));
        Assert.Same(x, F.Dropout(x, 0.3, training: false));
        Assert.All(F.Dropout(x, 1.0).ToDoubleArray(), v => Assert.Equal(0, v));
        // The same seed gives the same mask.
        Assert.Equal(y, F.Dropout(x, 0.3, generator: new Generator(1)).ToDoubleArray());
    }

    [Fact]
    public void LinearIsMatMulWithTransposedWeightPlusBias()
    {
        var x = Randn(2, 3, 4);
        var w = Randn(5, 4);
        var b = Randn(5);
        AssertClose((x.MatMul(w.Transpose(0, 1)) + b).ToDoubleArray(), F.Linear(x, w, b).ToDoubleArray());
        Assert.Equal(new[] { 2, 3, 5 }, F.Linear(x, w).Shape);
    }
}
