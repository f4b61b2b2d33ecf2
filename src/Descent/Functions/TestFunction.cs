namespace Descent.Functions;

/// <summary>
/// A classic optimisation landscape: its value written on tensors (so that autograd gives the gradient), its gradient in
/// closed form (to test autograd and optimizers against), a recommended start, a box to plot it in, and its known global
/// minima. Get one from <see cref="TestFunctions"/>, e.g. <c>TestFunctions.Rosenbrock()</c> or
/// <c>TestFunctions.ByName("rosenbrock")</c>, or make your own landscape of two variables with <see cref="Custom"/>.
/// </summary>
public sealed class TestFunction
{
    private readonly Func<Tensor, Tensor> _value;
    private readonly Func<double[], double[]> _gradient;
    private readonly double[] _start;
    private readonly double[] _lower;
    private readonly double[] _upper;
    private readonly double[][] _minima;

    internal TestFunction(
        string name, string formula, int dimension, Func<Tensor, Tensor> value, Func<double[], double[]> gradient,
        double[] start, double[] lower, double[] upper, double[][] minima, double? minimumValue, string? remarks = null)
    {
        Name = name;
        Formula = formula;
        Dimension = dimension;
        _value = value;
        _gradient = gradient;
        _start = start;
        _lower = lower;
        _upper = upper;
        _minima = minima;
        MinimumValue = minimumValue;
        Remarks = remarks;
    }

    /// <summary>
    /// A landscape of two variables given by its value on tensors alone: no closed-form gradient (<see cref="Gradient"/>
    /// asks autograd through <paramref name="value"/>) and no known minimum (<see cref="GlobalMinima"/> is empty and
    /// <see cref="MinimumValue"/> null).
    /// </summary>
    /// <param name="name">What to call it (shown in tables and titles); not empty.</param>
    /// <param name="formula">The formula in plain text, e.g. "x^2 + 10*y^2"; not empty.</param>
    /// <param name="value">
    /// The value at a vector of two elements, as a one-element tensor recorded in the graph (write it with tensor
    /// operations, e.g. <c>v =&gt; v[0].Square() + 10.0 * v[1].Square()</c>, so that autograd gives the gradient).
    /// </param>
    /// <param name="start">The recommended start: two finite coordinates.</param>
    /// <param name="lower">Lower corner of the box to plot or sample in: two finite coordinates, each below <paramref name="upper"/>'s.</param>
    /// <param name="upper">Upper corner of the box to plot or sample in: two finite coordinates.</param>
    /// <exception cref="ArgumentException">An empty name or formula, a point that has not two finite coordinates, or a bound not below its upper one.</exception>
    /// <example><code>
    /// var bowl = TestFunction.Custom("bowl", "x^2 + 10*y^2", v => v[0].Square() + 10.0 * v[1].Square(),
    ///     start: [-1.5, 1.5], lower: [-2, -2], upper: [2, 2]);
    /// double[] g = bowl.Gradient([1, 1]); // [2, 20], from autograd
    /// </code></example>
    public static TestFunction Custom(string name, string formula, Func<Tensor, Tensor> value, double[] start, double[] lower, double[] upper)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(formula);
        ArgumentNullException.ThrowIfNull(value);
        CheckPlanePoint(start, nameof(start));
        CheckPlanePoint(lower, nameof(lower));
        CheckPlanePoint(upper, nameof(upper));
        for (int i = 0; i < 2; i++)
            if (!(lower[i] < upper[i]))
                throw new ArgumentException($"lower[{i}] must be below upper[{i}], got {lower[i]} and {upper[i]}", nameof(lower));
        return new TestFunction(name, formula, 2, value, p => AutogradGradient(value, p),
            (double[])start.Clone(), (double[])lower.Clone(), (double[])upper.Clone(), [], null);
    }

    private static void CheckPlanePoint(double[] point, string name)
    {
        ArgumentNullException.ThrowIfNull(point, name);
        if (point.Length != 2) throw new ArgumentException($"{name} must have 2 coordinates (x, y), got {point.Length}", name);
        for (int i = 0; i < 2; i++)
            if (!double.IsFinite(point[i])) throw new ArgumentException($"{name}[{i}] must be finite, got {point[i]}", name);
    }

    private static double[] AutogradGradient(Func<Tensor, Tensor> value, double[] point) =>
        Derivatives.Gradient(value, Tensor.FromArray((double[])point.Clone())).ToArray<double>();

    /// <summary>The registry name, lower case with hyphens ("rosenbrock", "six-hump-camel"), or the name given to <see cref="Custom"/>.</summary>
    public string Name { get; }

    /// <summary>The formula in plain text, e.g. "(1 − x)² + 100 (y − x²)²".</summary>
    public string Formula { get; }

    /// <summary>The number of variables: the length of the vector the function takes.</summary>
    public int Dimension { get; }

    /// <summary>A start that shows the landscape's character (a copy).</summary>
    public double[] Start => (double[])_start.Clone();

    /// <summary>Lower corner of the box to plot or sample the function in, one bound per variable (a copy).</summary>
    public double[] Lower => (double[])_lower.Clone();

    /// <summary>Upper corner of the box to plot or sample the function in, one bound per variable (a copy).</summary>
    public double[] Upper => (double[])_upper.Clone();

    /// <summary>
    /// The global minimisers, each a point of <see cref="Dimension"/> coordinates (copies). Empty for a function that is
    /// unbounded below (the saddles): see <see cref="Remarks"/>.
    /// </summary>
    public IReadOnlyList<double[]> GlobalMinima => _minima.Select(m => (double[])m.Clone()).ToArray();

    /// <summary>The value at the global minima, or null when the function has no minimum.</summary>
    public double? MinimumValue { get; }

    /// <summary>What is special about the landscape (no minimum, a point where it is not differentiable…), or null.</summary>
    public string? Remarks { get; }

    /// <summary>
    /// The value at <paramref name="x"/>, a vector of <see cref="Dimension"/> elements (float32 or float64), as a scalar
    /// tensor of the same dtype recorded in the graph: <c>f.Value(x).Backward()</c> puts the gradient in <c>x.Grad</c>.
    /// </summary>
    public Tensor Value(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 1 || x.Size(0) != Dimension)
            throw new ArgumentException($"{Name} takes a vector of {Dimension} elements, got a tensor of shape {Shapes.Format(x.ShapeArray)}", nameof(x));
        if (!x.DType.IsFloatingPoint())
            throw new ArgumentException($"{Name} needs a float32 or float64 tensor, got {x.DType.Name()}", nameof(x));
        return _value(x);
    }

    /// <summary>The value at <paramref name="x"/>, computed in float64.</summary>
    public double Value(double[] x)
    {
        CheckPoint(x);
        using (Autograd.NoGrad()) return Value(Tensor.FromArray((double[])x.Clone())).Item();
    }

    /// <summary>
    /// The gradient at <paramref name="x"/>: from its closed form for the registered functions (independent of autograd,
    /// for testing), from autograd through the value for a <see cref="Custom"/> one.
    /// </summary>
    public double[] Gradient(double[] x)
    {
        CheckPoint(x);
        return _gradient(x);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: f = {Formula}";

    private void CheckPoint(double[] x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Length != Dimension)
            throw new ArgumentException($"{Name} takes {Dimension} coordinates, got {x.Length}", nameof(x));
    }
}
