using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>The documented usage compiles and behaves: the README's SGD line, the tutorial's worked example, and every optimizer reaching the minimum.</summary>
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
    public void EveryConfigurationKeepsTheDType(string name)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Tensor.Zeros([5], dtype, requiresGrad: true);
            var f = TestFunctions.Get("quadratic5");
            var optimizer = OptimizerTable.Factories[name]([x]);
            for (int i = 0; i < 3; i++)
                optimizer.Step(() => { optimizer.ZeroGrad(); var l = f(x); l.Backward(); return l; });
            Assert.Equal(dtype, x.DType);
            Assert.All(optimizer.StateOf(x)!.Tensors.Values, t => Assert.Equal(dtype, t.DType));
            Assert.All(x.ToDoubleArray(), v => Assert.True(double.IsFinite(v), $"{name} {dtype.Name()}: {v}"));
        }
    }

    public static TheoryData<string, string> Minima()
    {
        var data = new TheoryData<string, string>();
        foreach (var info in OptimizerRegistry.All)
            foreach (var function in new[] { "quadratic5", "rosenbrock" }) data.Add(info.Name, function);
        return data;
    }

    /// <summary>
    /// Every optimizer of the registry, from its preset (without the decays that move the minimum, <see cref="MinimumMovers"/>),
    /// reaches the minimum of an ill-conditioned quadratic (condition number 100) within 10⁻³ in 3,000 steps, and the floor of
    /// Rosenbrock's valley, (1, 1), within 10⁻² in 20,000 steps, at the best learning rate of a log-spaced grid (as the lab
    /// picks one). An optimizer that chooses its own step length (L-BFGS) gets 50 of its steps at its own rate.
    /// </summary>
    /// <summary>
    /// The hyperparameters that move the minimum: those that decay the weights (weight decay, and ASGD's λ:
    /// θ ← θ(1 − λη) shifts the quadratic's minimum by about λ/aᵢ, 10⁻³ along its flattest axis), and SAM's ρ, since SAM
    /// minimises the worst loss within ρ of the weights: in Rosenbrock's narrow curved valley that minimum lies 0.6 to 1
    /// away from (1, 1) at the preset ρ = 0.05.
    /// </summary>
    private static readonly string[] MinimumMovers = ["weight_decay", "lambd", "sam_rho"];

    [Theory]
    [MemberData(nameof(Minima))]
    public void EveryOptimizerReachesTheMinimum(string name, string function)
    {
        var info = OptimizerRegistry.Find(name)!;
        bool rosenbrock = function == "rosenbrock";
        double[] start = rosenbrock ? [-1.2, 1.0] : [0, 0, 0, 0, 0];
        double[] minimum = rosenbrock ? [1, 1] : [1, -2, 0.5, 3, -1];
        double tolerance = rosenbrock ? 1e-2 : 1e-3;
        int budget = info.ChoosesStepLength ? 50 : rosenbrock ? 20_000 : 3_000;
        var preset = info.Preset.WithValues(MinimumMovers.Where(m => info.Hyperparameters.Any(h => h.TorchName == m))
            .ToDictionary(m => m, object (_) => 0.0));
        double[] grid = info.ChoosesStepLength ? [preset.Lr] : [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1, 2, 5];
        var f = TestFunctions.Get(function);
        var tried = new List<string>();
        foreach (double lr in grid)
        {
            var (x, fx) = Descent.Functions.Minimizer.StartFor(f, start, info); // a 1×n row matrix for Muon
            var optimizer = info.Create([x], preset with { Lr = lr });
            // Muon's step has a fixed length (on a row matrix it is normalised momentum descent), so at a constant rate it
            // circles the minimum at a distance ∝ lr: it runs as it is trained, with the rate annealed over the budget.
            var annealing = info.MatricesOnly ? new Descent.Optim.Schedulers.CosineAnnealingLR(optimizer, budget) : null;
            double distance = double.PositiveInfinity;
            for (int i = 1; i <= budget; i++)
            {
                optimizer.Step(() => { optimizer.ZeroGrad(); var l = fx(x); l.Backward(); return l; });
                annealing?.Step();
                if (i % 50 != 0 && i != budget) continue;
                distance = DistanceOfTheEvaluationPoint(optimizer, x, minimum);
                if (distance < tolerance) return;
                if (!double.IsFinite(distance)) break;
            }
            tried.Add($"lr {lr}: {distance:G3}");
        }
        Assert.Fail($"{name} never came within {tolerance} of the minimum of {function} in {budget} steps: {string.Join("; ", tried)}");
    }

    /// <summary>
    /// The distance from <paramref name="minimum"/> of the point the optimizer gives for evaluation: the parameters, or,
    /// for an optimizer that trains elsewhere (<see cref="ITrainEvalOptimizer"/>: schedule-free's y), the point its
    /// <c>Eval()</c> puts in them, as the trainer evaluates it; training then resumes from its own point.
    /// </summary>
    private static double DistanceOfTheEvaluationPoint(Optimizer optimizer, Tensor x, double[] minimum)
    {
        var switching = optimizer as ITrainEvalOptimizer;
        switching?.Eval();
        double distance = Math.Sqrt(x.ToDoubleArray().Zip(minimum, (a, b) => (a - b) * (a - b)).Sum());
        switching?.Train();
        return distance;
    }

    [Fact]
    public void LbfgsFindsTheRosenbrockMinimum()
    {
        var x = Tensor.FromArray(new[] { -1.5, 2.0 }, requiresGrad: true);
        var f = TestFunctions.Get("rosenbrock");
        var lbfgs = new LBFGS([x], lineSearch: LineSearch.StrongWolfe);
        for (int i = 0; i < 10; i++) lbfgs.Step(() => { lbfgs.ZeroGrad(); var l = f(x); l.Backward(); return l; });
        Assert.Equal(1, x.ToDoubleArray()[0], 1e-5); // PyTorch stops at (0.999998, 0.999997)
        Assert.Equal(1, x.ToDoubleArray()[1], 1e-5);
    }
}
