namespace Descent.Functions;

// The two-variable landscapes. Each gradient is written out by hand from the formula, independently of the tensor code.
public static partial class TestFunctions
{
    /// <summary>Rosenbrock's banana valley (1 − x)² + 100 (y − x²)²: a curved, narrow ravine; minimum 0 at (1, 1).</summary>
    public static TestFunction Rosenbrock() => Plane(
        "rosenbrock", "(1 − x)² + 100 (y − x²)²",
        (x, y) => (1.0 - x).Square() + 100.0 * (y - x.Square()).Square(),
        (x, y) => [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)],
        start: [-1.2, 1.0], lower: [-2, -1], upper: [2, 3], minima: [[1, 1]], minimumValue: 0);

    /// <summary>Beale's function: flat plateaus and sharp ridges near the corners; minimum 0 at (3, 0.5).</summary>
    public static TestFunction Beale() => Plane(
        "beale", "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
        (x, y) => (1.5 - x + x * y).Square() + (2.25 - x + x * y.Square()).Square() + (2.625 - x + x * y.Pow(3)).Square(),
        (x, y) =>
        {
            double a1 = 1.5 - x + x * y, a2 = 2.25 - x + x * y * y, a3 = 2.625 - x + x * y * y * y;
            return [2 * a1 * (y - 1) + 2 * a2 * (y * y - 1) + 2 * a3 * (y * y * y - 1),
                    2 * a1 * x + 4 * a2 * x * y + 6 * a3 * x * y * y];
        },
        start: [1, 1], lower: [-4.5, -4.5], upper: [4.5, 4.5], minima: [[3, 0.5]], minimumValue: 0);

    /// <summary>Booth's function (x + 2y − 7)² + (2x + y − 5)²: a tilted quadratic bowl; minimum 0 at (1, 3).</summary>
    public static TestFunction Booth() => Plane(
        "booth", "(x + 2y − 7)² + (2x + y − 5)²",
        (x, y) => (x + 2.0 * y - 7.0).Square() + (2.0 * x + y - 5.0).Square(),
        (x, y) => [2 * (x + 2 * y - 7) + 4 * (2 * x + y - 5), 4 * (x + 2 * y - 7) + 2 * (2 * x + y - 5)],
        start: [-5, -5], lower: [-10, -10], upper: [10, 10], minima: [[1, 3]], minimumValue: 0);

    /// <summary>Matyas's function 0.26 (x² + y²) − 0.48 xy: a long flat diagonal valley; minimum 0 at (0, 0).</summary>
    public static TestFunction Matyas() => Plane(
        "matyas", "0.26 (x² + y²) − 0.48 xy",
        (x, y) => 0.26 * (x.Square() + y.Square()) - 0.48 * x * y,
        (x, y) => [0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x],
        start: [8, 4], lower: [-10, -10], upper: [10, 10], minima: [[0, 0]], minimumValue: 0);

    /// <summary>Himmelblau's function (x² + y − 11)² + (x + y² − 7)²: four global minima of value 0; the start decides which one is found.</summary>
    public static TestFunction Himmelblau() => Plane(
        "himmelblau", "(x² + y − 11)² + (x + y² − 7)²",
        (x, y) => (x.Square() + y - 11.0).Square() + (x + y.Square() - 7.0).Square(),
        (x, y) => [4 * x * (x * x + y - 11) + 2 * (x + y * y - 7), 2 * (x * x + y - 11) + 4 * y * (x + y * y - 7)],
        start: [0, 0], lower: [-5, -5], upper: [5, 5],
        minima: [[3, 2], [-2.805118086952745, 3.131312518250573], [-3.779310253377747, -3.283185991286169], [3.5844283403304917, -1.8481265269644034]],
        minimumValue: 0);

    /// <summary>The three-hump camel 2x² − 1.05x⁴ + x⁶/6 + xy + y²: two local minima beside the global one, 0 at (0, 0).</summary>
    public static TestFunction ThreeHumpCamel() => Plane(
        "three-hump-camel", "2x² − 1.05x⁴ + x⁶/6 + xy + y²",
        (x, y) => 2.0 * x.Square() - 1.05 * x.Pow(4) + x.Pow(6) / 6.0 + x * y + y.Square(),
        (x, y) => [4 * x - 4.2 * x * x * x + Math.Pow(x, 5) + y, x + 2 * y],
        start: [1, 1.5], lower: [-2, -2], upper: [2, 2], minima: [[0, 0]], minimumValue: 0);

    /// <summary>The six-hump camel (4 − 2.1x² + x⁴/3) x² + xy + (−4 + 4y²) y²: six local minima, two global of value −1.0316.</summary>
    public static TestFunction SixHumpCamel() => Plane(
        "six-hump-camel", "(4 − 2.1x² + x⁴/3) x² + xy + (−4 + 4y²) y²",
        (x, y) => (4.0 - 2.1 * x.Square() + x.Pow(4) / 3.0) * x.Square() + x * y + (4.0 * y.Square() - 4.0) * y.Square(),
        (x, y) => [8 * x - 8.4 * x * x * x + 2 * Math.Pow(x, 5) + y, x - 8 * y + 16 * y * y * y],
        start: [1.5, 1], lower: [-3, -2], upper: [3, 2],
        minima: [[0.08984201310031807, -0.7126564030207396], [-0.08984201310031807, 0.7126564030207396]],
        minimumValue: -1.0316284534898776);

    /// <summary>The Goldstein–Price function: values spanning six orders of magnitude; minimum 3 at (0, −1).</summary>
    public static TestFunction GoldsteinPrice() => Plane(
        "goldstein-price",
        "[1 + (x + y + 1)² (19 − 14x + 3x² − 14y + 6xy + 3y²)] · [30 + (2x − 3y)² (18 − 32x + 12x² + 48y − 36xy + 27y²)]",
        (x, y) =>
        {
            var a = 1.0 + (x + y + 1.0).Square() * (19.0 - 14.0 * x + 3.0 * x.Square() - 14.0 * y + 6.0 * x * y + 3.0 * y.Square());
            var b = 30.0 + (2.0 * x - 3.0 * y).Square() * (18.0 - 32.0 * x + 12.0 * x.Square() + 48.0 * y - 36.0 * x * y + 27.0 * y.Square());
            return a * b;
        },
        (x, y) =>
        {
            double s = x + y + 1, p = 19 - 14 * x + 3 * x * x - 14 * y + 6 * x * y + 3 * y * y;
            double t = 2 * x - 3 * y, q = 18 - 32 * x + 12 * x * x + 48 * y - 36 * x * y + 27 * y * y;
            double a = 1 + s * s * p, b = 30 + t * t * q;
            double aXY = 2 * s * p + s * s * (-14 + 6 * x + 6 * y); // ∂a/∂x = ∂a/∂y
            double bX = 4 * t * q + t * t * (-32 + 24 * x - 36 * y);
            double bY = -6 * t * q + t * t * (48 - 36 * x + 54 * y);
            return [aXY * b + a * bX, aXY * b + a * bY];
        },
        start: [-1, 1], lower: [-2, -2], upper: [2, 2], minima: [[0, -1]], minimumValue: 3);

    /// <summary>
    /// The saddle x² − y²: a minimum along x, a maximum along y, a stationary point at the origin that is not a minimum.
    /// Unbounded below, so it has no global minimum; gradient descent started on the x axis stalls at the saddle point.
    /// </summary>
    public static TestFunction Saddle() => Plane(
        "saddle", "x² − y²",
        (x, y) => x.Square() - y.Square(),
        (x, y) => [2 * x, -2 * y],
        start: [1.5, 0.01], lower: [-2, -2], upper: [2, 2], minima: [], minimumValue: null,
        remarks: "no minimum: unbounded below along y; the origin is a saddle point (gradient zero, Hessian indefinite)");

    /// <summary>
    /// The monkey saddle x³ − 3xy²: three valleys meet at a flat stationary point at the origin (its Hessian is zero).
    /// Unbounded below, so it has no global minimum.
    /// </summary>
    public static TestFunction MonkeySaddle() => Plane(
        "monkey-saddle", "x³ − 3xy²",
        (x, y) => x.Pow(3) - 3.0 * x * y.Square(),
        (x, y) => [3 * x * x - 3 * y * y, -6 * x * y],
        start: [0.5, 0.5], lower: [-2, -2], upper: [2, 2], minima: [], minimumValue: null,
        remarks: "no minimum: unbounded below in three directions; the origin is a degenerate saddle point (gradient and Hessian zero)");

    private static TestFunction Plane(
        string name, string formula, Func<Tensor, Tensor, Tensor> value, Func<double, double, double[]> gradient,
        double[] start, double[] lower, double[] upper, double[][] minima, double? minimumValue, string? remarks = null) =>
        new(name, formula, 2, v => value(v[0], v[1]), p => gradient(p[0], p[1]), start, lower, upper, minima, minimumValue, remarks);
}
