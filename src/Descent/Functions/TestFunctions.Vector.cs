namespace Descent.Functions;

// The landscapes defined for any number of variables.
public static partial class TestFunctions
{
    /// <summary>
    /// The sphere Σ xᵢ²: the simplest bowl, minimum 0 at the origin. With <paramref name="dimension"/> 1 it is the
    /// square f(x) = x² of the gradient-descent walk-through (start x₀ = 2).
    /// </summary>
    public static TestFunction Sphere(int dimension = 2)
    {
        CheckDimension(dimension, 1);
        return new(dimension == 1 ? "square" : "sphere", "Σ xᵢ²", dimension,
            x => x.Square().Sum(),
            x => x.Select(v => 2 * v).ToArray(),
            Alternating(dimension, 2, 1), Filled(dimension, -3), Filled(dimension, 3), [Filled(dimension, 0)], 0);
    }

    /// <summary>
    /// The ill-conditioned quadratic ½ Σ aᵢ xᵢ² with curvatures aᵢ = κ^(i/(n−1)) spread geometrically from 1 to
    /// <paramref name="conditionNumber"/> κ: a long narrow valley where plain gradient descent zig-zags (its learning
    /// rate must stay below 2/κ) and slowly crawls along the flat direction. Minimum 0 at the origin.
    /// </summary>
    public static TestFunction IllConditionedQuadratic(double conditionNumber = 100, int dimension = 2)
    {
        if (!(conditionNumber >= 1) || double.IsInfinity(conditionNumber))
            throw new ArgumentOutOfRangeException(nameof(conditionNumber), conditionNumber, $"conditionNumber must be >= 1 and finite, got {conditionNumber}");
        CheckDimension(dimension, 2);
        var a = new double[dimension];
        for (int i = 0; i < dimension; i++) a[i] = Math.Pow(conditionNumber, i / (double)(dimension - 1));
        return new("ill-conditioned-quadratic", $"½ Σ aᵢ xᵢ², aᵢ from 1 to κ = {conditionNumber}", dimension,
            x => 0.5 * (Tensor.FromArray(a).To(x.DType) * x.Square()).Sum(),
            x => x.Select((v, i) => a[i] * v).ToArray(),
            Alternating(dimension, -4, 2), Filled(dimension, -5), Filled(dimension, 5), [Filled(dimension, 0)], 0);
    }

    /// <summary>Rastrigin's function 10n + Σ (xᵢ² − 10 cos 2πxᵢ): a bowl covered in a regular grid of local minima; minimum 0 at the origin.</summary>
    public static TestFunction Rastrigin(int dimension = 2)
    {
        CheckDimension(dimension, 1);
        return new("rastrigin", "10n + Σ (xᵢ² − 10 cos 2πxᵢ)", dimension,
            x => (x.Square() - 10.0 * (x * (2 * Math.PI)).Cos()).Sum() + 10.0 * dimension,
            x => x.Select(v => 2 * v + 20 * Math.PI * Math.Sin(2 * Math.PI * v)).ToArray(),
            Alternating(dimension, 3.2, -2.1), Filled(dimension, -5.12), Filled(dimension, 5.12), [Filled(dimension, 0)], 0);
    }

    /// <summary>
    /// Ackley's function −20 exp(−0.2 √(Σxᵢ²/n)) − exp(Σ cos(2πxᵢ)/n) + e + 20: a nearly flat outer region full of
    /// local minima around a deep central hole; minimum 0 at the origin, where the function has a cone point. The gradient
    /// there is taken as 0 (a subgradient), by autograd and by the closed form alike.
    /// </summary>
    public static TestFunction Ackley(int dimension = 2)
    {
        CheckDimension(dimension, 1);
        int n = dimension;
        return new("ackley", "−20 exp(−0.2 √(Σxᵢ²/n)) − exp(Σ cos(2πxᵢ)/n) + e + 20", n,
            x => -20.0 * (-0.2 * RootMeanSquare(x)).Exp() - (x * (2 * Math.PI)).Cos().Mean().Exp() + (Math.E + 20),
            x =>
            {
                double r = Math.Sqrt(x.Sum(v => v * v) / n);
                double c = Math.Exp(x.Sum(v => Math.Cos(2 * Math.PI * v)) / n);
                double radial = r == 0 ? 0 : 4 * Math.Exp(-0.2 * r) / (n * r);
                return x.Select(v => radial * v + 2 * Math.PI / n * c * Math.Sin(2 * Math.PI * v)).ToArray();
            },
            Alternating(n, 3, -2), Filled(n, -5), Filled(n, 5), [Filled(n, 0)], 0,
            remarks: "not differentiable at its minimum (a cone point); the gradient there is taken as 0");
    }

    /// <summary>The Styblinski–Tang function ½ Σ (xᵢ⁴ − 16xᵢ² + 5xᵢ): 2ⁿ local minima; global minimum −39.166… n at xᵢ = −2.9035….</summary>
    public static TestFunction StyblinskiTang(int dimension = 2)
    {
        CheckDimension(dimension, 1);
        const double xStar = -2.903534027771177;
        return new("styblinski-tang", "½ Σ (xᵢ⁴ − 16xᵢ² + 5xᵢ)", dimension,
            x => 0.5 * (x.Pow(4) - 16.0 * x.Square() + 5.0 * x).Sum(),
            x => x.Select(v => 2 * v * v * v - 16 * v + 2.5).ToArray(),
            Filled(dimension, 0), Filled(dimension, -5), Filled(dimension, 5), [Filled(dimension, xStar)],
            -39.16616570377141 * dimension);
    }

    /// <summary>√(mean xᵢ²) whose gradient x / (n r) is taken as 0 at the origin instead of 0/0.</summary>
    private static Tensor RootMeanSquare(Tensor x)
    {
        Tensor r;
        using (Autograd.NoGrad()) r = x.Square().Mean().Sqrt();
        bool atOrigin = r.Item() == 0;
        int n = x.NumEl;
        // The backward recomputes r from x so that a second differentiation (createGraph) sees it.
        return Autograd.Record(r, "RootMeanSquareBackward", [x],
            g => [atOrigin ? Tensor.ZerosLike(x) : g * x / (x.Square().Mean().Sqrt() * n)]);
    }

    private static void CheckDimension(int dimension, int min)
    {
        if (dimension < min) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"dimension must be >= {min}, got {dimension}");
    }

    private static double[] Filled(int n, double value)
    {
        var a = new double[n];
        Array.Fill(a, value);
        return a;
    }

    private static double[] Alternating(int n, double even, double odd)
    {
        var a = new double[n];
        for (int i = 0; i < n; i++) a[i] = i % 2 == 0 ? even : odd;
        return a;
    }
}
