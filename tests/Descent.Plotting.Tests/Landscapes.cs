namespace Descent.Plotting.Tests;

/// <summary>Small test functions with known minima and a hand-made descent path.</summary>
internal static class Landscapes
{
    public static double Rosenbrock(double x, double y) => (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);

    public static double Himmelblau(double x, double y) =>
        Math.Pow(x * x + y - 11, 2) + Math.Pow(x + y * y - 7, 2);

    /// <summary>An off-centre elongated bowl with its minimum at (1, 2): shows whether the heatmap lines up.</summary>
    public static double Bowl(double x, double y) => (x - 1) * (x - 1) + 4 * (y - 2) * (y - 2);

    public static (double, double) BowlGradient(double x, double y) => (2 * (x - 1), 8 * (y - 2));

    /// <summary>Plain gradient descent on <see cref="Bowl"/>.</summary>
    public static Trajectory Descend(string name, double lr, int steps, double x = -2, double y = -0.5)
    {
        var xs = new double[steps + 1];
        var ys = new double[steps + 1];
        xs[0] = x;
        ys[0] = y;
        for (int k = 1; k <= steps; k++)
        {
            (double gx, double gy) = BowlGradient(x, y);
            x -= lr * gx;
            y -= lr * gy;
            xs[k] = x;
            ys[k] = y;
        }

        return new Trajectory(name, xs, ys);
    }
}
