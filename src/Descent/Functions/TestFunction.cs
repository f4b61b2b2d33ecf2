namespace Descent.Functions;

/// <summary>
/// A classic optimisation landscape: its value written on tensors (so that autograd gives the gradient), its gradient in
/// closed form (to test autograd and optimizers against), a recommended start, a box to plot it in, and its known global
/// minima. Get one from <see cref="TestFunctions"/>, e.g. <c>TestFunctions.Rosenbrock()</c> or
/// <c>TestFunctions.ByName("rosenbrock")</c>.
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

    /// <summary>The registry name, lower case with hyphens ("rosenbrock", "six-hump-camel").</summary>
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

    /// <summary>The gradient at <paramref name="x"/> from its closed form (independent of autograd, for testing).</summary>
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
