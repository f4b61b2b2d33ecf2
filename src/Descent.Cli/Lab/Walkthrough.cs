using Descent.Data;
using Descent.Functions;
using Descent.Optim;

namespace Descent.Cli.Lab;

/// <summary>The tutorial's first lessons as numbers to draw: the x² walk-through, the learning-rate dilemma, a local minimum, and batch sizes.</summary>
internal static class Walkthrough
{
    /// <summary>Gradient descent by hand on f(x) = x² from x₀ = 2: x ← x − α·2x.</summary>
    public static double[] SquareIterates(double lr, int iterations, double x0 = 2)
    {
        var xs = new double[iterations + 1];
        xs[0] = x0;
        for (int i = 1; i <= iterations; i++) xs[i] = xs[i - 1] - lr * 2 * xs[i - 1];
        return xs;
    }

    /// <summary>f(x) = x⁴ − 2x² + x/2: a local minimum near 0.93 and the global one near −1.06.</summary>
    public static double TwoWells(double x) => x * x * x * x - 2 * x * x + 0.5 * x;

    /// <summary>f'(x) for <see cref="TwoWells"/>.</summary>
    public static double TwoWellsSlope(double x) => 4 * x * x * x - 4 * x + 0.5;

    /// <summary>Heavy-ball descent on <see cref="TwoWells"/> from x₀ = 2 (μ = 0 is plain gradient descent), through the library's SGD.</summary>
    public static double[] TwoWellsIterates(double momentum, double lr = 0.01, int iterations = 150)
    {
        var x = Tensor.FromArray(new[] { 2.0 }, requiresGrad: true);
        var sgd = new SGD([x], lr: lr, momentum: momentum);
        var xs = new List<double> { 2.0 };
        for (int i = 0; i < iterations; i++)
        {
            sgd.ZeroGrad();
            var v = x.Pow(4) - 2.0 * x.Square() + 0.5 * x;
            v.Sum().Backward();
            sgd.Step();
            xs.Add(x.Item<double>());
        }
        return [.. xs];
    }

    /// <summary>
    /// Full-data mean squared error per epoch of a linear regression fitted with SGD at batch size N (batch gradient
    /// descent), 1 (stochastic) and 32 (mini-batch), from the same start and the same shuffles.
    /// </summary>
    public static IReadOnlyList<(string Name, double[] Losses)> BatchModes(int epochs, long seed)
    {
        var g = new Generator(seed);
        int n = 512, features = 4;
        var x = Tensor.Randn([n, features], DType.Float64, g);
        var trueW = Tensor.FromArray(new[] { 2.0, -1.0, 0.5, 3.0 }, [features, 1]);
        var y = x.MatMul(trueW) + 1.5 + 0.3 * Tensor.Randn([n, 1], DType.Float64, g);
        var data = new TensorDataset(x, y);
        var modes = new (string Name, int Batch, double Lr)[] { ("batch (N = 512)", n, 0.1), ("stochastic (1)", 1, 0.01), ("mini-batch (32)", 32, 0.05) };
        var curves = new List<(string, double[])>();
        foreach (var (name, batch, lr) in modes)
        {
            var w = Tensor.Zeros([features, 1], DType.Float64, requiresGrad: true);
            var b = Tensor.Zeros([1], DType.Float64, requiresGrad: true);
            var sgd = new SGD([w, b], lr: lr);
            var loader = new DataLoader(data, batch, shuffle: true, generator: new Generator(seed + 1));
            double FullLoss() { using (Autograd.NoGrad()) return (x.MatMul(w) + b - y).Square().Mean().Item<double>(); }
            var losses = new List<double> { FullLoss() };
            for (int e = 0; e < epochs; e++)
            {
                foreach (var (xb, yb) in loader)
                {
                    sgd.ZeroGrad();
                    (xb.MatMul(w) + b - yb).Square().Mean().Backward();
                    sgd.Step();
                }
                losses.Add(FullLoss());
            }
            curves.Add((name, [.. losses]));
        }
        return curves;
    }

    /// <summary>Plain gradient descent on a test function from its start (the path drawn against the gradient arrows).</summary>
    public static MinimizeResult PlainDescent(TestFunction f, double lr, int steps) =>
        Minimizer.Minimize(f, x => new SGD([x], lr: lr), new StoppingCriteria { MaxIterations = steps });
}
