using Descent.Functions;
using Descent.Optim;

namespace Descent.Cli.Lab;

/// <summary>The tutorial's first lessons as numbers to draw: the x² walk-through, the learning-rate dilemma, a local minimum, and batch sizes.</summary>
internal static partial class Walkthrough
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

    /// <summary>Plain gradient descent on a test function from its start (the path drawn against the gradient arrows).</summary>
    public static MinimizeResult PlainDescent(TestFunction f, double lr, int steps) =>
        Minimizer.Minimize(f, x => new SGD([x], lr: lr), new StoppingCriteria { MaxIterations = steps });
}
