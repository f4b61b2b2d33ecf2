using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>The documented usage compiles and behaves: the README's SGD line, the tutorial's worked example, and every optimizer descending.</summary>
public class OptimizerUsageTests
{
    /// <summary>A stand-in for a module: what matters is that <c>Parameters()</c> returns <c>IEnumerable&lt;Tensor&gt;</c>.</summary>
    private sealed class Linear(int inputs, int outputs)
    {
        private readonly Tensor _weight = Tensor.Randn([outputs, inputs], generator: new Generator(1)).RequiresGrad_();
        private readonly Tensor _bias = Tensor.Zeros([outputs], requiresGrad: true);

        public IEnumerable<Tensor> Parameters()
        {
            yield return _weight;
            yield return _bias;
        }

        public Tensor Forward(Tensor x) => x.MatMul(_weight.T()) + _bias;
    }

    [Fact]
    public void ReadmeExampleTrainsALinearModel()
    {
        var model = new Linear(10, 1);
        var optimizer = new SGD(model.Parameters(), lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true);
        var x = Tensor.Randn([32, 10], generator: new Generator(2));
        var y = x.Sum(1, keepDim: true);
        double first = 0, last = 0;
        for (int epoch = 0; epoch < 100; epoch++)
        {
            optimizer.ZeroGrad();
            var loss = (model.Forward(x) - y).Square().Mean();
            loss.Backward();
            optimizer.Step();
            if (epoch == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(last < first / 10, $"loss went from {first} to {last}");
    }

    [Fact]
    public void TutorialWorkedExampleConvergesToZero()
    {
        // f(x) = x², x₀ = 2, α = 0.1: each step multiplies x by 1 − 2α = 0.8.
        var x = Tensor.FromArray(new[] { 2.0 }, requiresGrad: true);
        var optimizer = new SGD([x], lr: 0.1);
        for (int i = 0; i < 100; i++)
        {
            optimizer.ZeroGrad();
            (x * x).Sum().Backward();
            optimizer.Step();
        }
        Assert.Equal(2 * Math.Pow(0.8, 100), x.Item(), 1e-15);
    }

    public static TheoryData<string> Names => OptimizerTable.Names();

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryOptimizerDescendsAQuadraticAndKeepsTheDType(string name)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Tensor.Zeros([5], dtype, requiresGrad: true);
            var f = TestFunctions.Get("quadratic5");
            var optimizer = OptimizerTable.Factories[name]([x]);
            double start = f(x).Item();
            bool maximize = name == "Nesterov"; // the table's Nesterov entry maximises
            for (int i = 0; i < 50; i++)
                optimizer.Step(() => { optimizer.ZeroGrad(); var l = f(x); l.Backward(); return l; });
            double end = f(x).Item();
            Assert.True(maximize ? end > start : end < start, $"{name} {dtype.Name()}: loss {start} -> {end}");
            Assert.Equal(dtype, x.DType);
            Assert.All(optimizer.StateOf(x)!.Tensors.Values, t => Assert.Equal(dtype, t.DType));
        }
    }

    [Fact]
    public void LbfgsFindsTheRosenbrockMinimum()
    {
        var x = Tensor.FromArray(new[] { -1.5, 2.0 }, requiresGrad: true);
        var f = TestFunctions.Get("rosenbrock");
        var lbfgs = new LBFGS([x], lineSearchFn: "strong_wolfe");
        for (int i = 0; i < 10; i++) lbfgs.Step(() => { lbfgs.ZeroGrad(); var l = f(x); l.Backward(); return l; });
        Assert.Equal(1, x.ToDoubleArray()[0], 1e-5); // PyTorch stops at (0.999998, 0.999997)
        Assert.Equal(1, x.ToDoubleArray()[1], 1e-5);
    }
}
