using F = Descent.NN.Functional;

namespace Descent.Tests.Autograd;

/// <summary>Graph behaviour of the neural-network functions: accumulation, no-grad scopes, released graphs.</summary>
public class FunctionalBackwardTests
{
    [Fact]
    public void ConvGradientsAccumulateAcrossBackwardCalls()
    {
        var x = Tensor.Randn([1, 2, 4, 4], DType.Float64, new Generator(1));
        var w = Tensor.Randn([3, 2, 3, 3], DType.Float64, new Generator(2)).RequiresGrad_();
        var b = Tensor.Zeros([3], DType.Float64, requiresGrad: true);
        F.Conv2d(x, w, b, padding: 1).Sum().Backward();
        var once = w.Grad!.ToDoubleArray();
        F.Conv2d(x, w, b, padding: 1).Sum().Backward();
        Assert.Equal(once.Select(v => 2 * v), w.Grad!.ToDoubleArray());
        // Each output position adds 1 to its channel's bias gradient: 2 calls × 16 positions.
        Assert.All(b.Grad!.ToDoubleArray(), v => Assert.Equal(32.0, v));
        Assert.Null(x.Grad);
    }

    [Fact]
    public void FunctionsRecordNothingUnderNoGrad()
    {
        var x = Tensor.Randn([2, 3], DType.Float64, new Generator(3)).RequiresGrad_();
        using (Descent.Autograd.NoGrad())
        {
            Assert.False(F.Softmax(x, 1).RequiresGrad);
            Assert.False(F.CrossEntropy(x, Tensor.FromArray(new long[] { 0, 2 })).RequiresGrad);
            Assert.False(F.MaxPool2d(x.Reshape(1, 1, 2, 3), 2).RequiresGrad);
        }
        Assert.True(F.Softmax(x, 1).RequiresGrad);
    }

    [Fact]
    public void SecondBackwardThroughAConvGraphThrows()
    {
        var w = Tensor.Randn([1, 1, 2, 2], DType.Float64, new Generator(4)).RequiresGrad_();
        var loss = F.Conv2d(Tensor.Ones([1, 1, 3, 3], DType.Float64), w).Sum();
        loss.Backward();
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
    }

    [Fact]
    public void NamesOfTheRecordedOperationsFollowPyTorch()
    {
        var x = Tensor.Randn([1, 1, 4, 4], DType.Float64, new Generator(5)).RequiresGrad_();
        Assert.Equal("SoftmaxBackward", F.Softmax(x, -1).GradFnName);
        Assert.Equal("LogSoftmaxBackward", F.LogSoftmax(x, -1).GradFnName);
        Assert.Equal("MaxPool2DWithIndicesBackward", F.MaxPool2d(x, 2).GradFnName);
        Assert.Equal("AvgPool2DBackward", F.AvgPool2d(x, 2).GradFnName);
        Assert.Equal("ConvolutionBackward", F.Conv2d(x, Tensor.Ones([1, 1, 2, 2], DType.Float64)).GradFnName);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SoftmaxGradientsCanBeDifferentiatedAgain(bool log)
    {
        // f(x) = ‖∇ₓ Σ c ⊙ softmax(x)‖², its gradient needs the backward pass recorded (createGraph).
        var c = Tensor.Randn([3, 4], DType.Float64, new Generator(6));
        Tensor GradientNorm(Tensor[] x)
        {
            using var scope = Descent.Autograd.EnableGrad();
            var leaf = x[0];
            leaf.Grad = null;
            var y = log ? F.LogSoftmax(leaf, 1) : F.Softmax(leaf, 1);
            (y * c).Sum().Backward(createGraph: true);
            var g = leaf.Grad!;
            leaf.Grad = null;
            return (g * g).Sum();
        }
        var input = Tensor.Randn([3, 4], DType.Float64, new Generator(7)).RequiresGrad_();
        var result = GradCheck.Run(GradientNorm, [input]);
        Assert.True(result.Passed, result.Message);
    }

    [Fact]
    public void LayerNormGradientsCanBeDifferentiatedAgain()
    {
        var c = Tensor.Randn([3, 4], DType.Float64, new Generator(8));
        Tensor GradientNorm(Tensor[] x)
        {
            using var scope = Descent.Autograd.EnableGrad();
            foreach (var t in x) t.Grad = null;
            (F.LayerNorm(x[0], [4], x[1], x[2]) * c).Sum().Backward(createGraph: true);
            var total = x.Select(t => t.Grad!.Square().Sum()).Aggregate((a, b) => a + b);
            foreach (var t in x) t.Grad = null;
            return total;
        }
        Tensor[] inputs = [
            Tensor.Randn([3, 4], DType.Float64, new Generator(9)).RequiresGrad_(),
            Tensor.Randn([4], DType.Float64, new Generator(10)).RequiresGrad_(),
            Tensor.Randn([4], DType.Float64, new Generator(11)).RequiresGrad_()];
        var result = GradCheck.Run(GradientNorm, inputs);
        Assert.True(result.Passed, result.Message);
    }
}
