using Descent.Cli.Commands;

namespace Descent.Cli.Tests;

/// <summary>
/// Formulas given to --function: each parsed formula agrees with the same function written by hand, in value and in
/// autograd's gradient against the analytic derivative, and each mistake is reported with its position.
/// </summary>
public class FunctionExpressionTests
{
    private sealed record Expected(Func<double, double, double> Value, Func<double, double, double[]> Gradient);

    // Points with x, y > 0 (for log, sqrt and powers of x) and x ≠ y (for min and max).
    private static readonly (double X, double Y)[] Points = [(0.7, 1.3), (1.9, 0.4), (2.5, 2.1)];

    private static readonly Dictionary<string, Expected> Cases = new()
    {
        ["x^2 + 10*y^2"] = new((x, y) => x * x + 10 * y * y, (x, y) => [2 * x, 20 * y]),
        ["-x^2"] = new((x, _) => -x * x, (x, _) => [-2 * x, 0]),
        ["2^3^2 * x"] = new((x, _) => 512 * x, (_, _) => [512, 0]),
        ["x^-1"] = new((x, _) => 1 / x, (x, _) => [-1 / (x * x), 0]),
        ["x*y^2"] = new((x, y) => x * y * y, (x, y) => [y * y, 2 * x * y]),
        ["x^-y"] = new((x, y) => Math.Pow(x, -y), (x, y) => [-y * Math.Pow(x, -y - 1), -Math.Log(x) * Math.Pow(x, -y)]),
        ["2^x - y"] = new((x, y) => Math.Pow(2, x) - y, (x, _) => [Math.Log(2) * Math.Pow(2, x), -1]),
        ["x^2^-1"] = new((x, _) => Math.Sqrt(x), (x, _) => [0.5 / Math.Sqrt(x), 0]),
        ["-x^-2^2*y"] = new((x, y) => -Math.Pow(x, -4) * y, (x, y) => [4 * Math.Pow(x, -5) * y, -Math.Pow(x, -4)]),
        ["-(x - y)**2 / 2"] = new((x, y) => -(x - y) * (x - y) / 2, (x, y) => [-(x - y), x - y]),
        ["+x - -y"] = new((x, y) => x + y, (_, _) => [1, 1]),
        ["x*+y"] = new((x, y) => x * y, (x, y) => [y, x]),
        ["PI*X + e*Y"] = new((x, y) => Math.PI * x + Math.E * y, (_, _) => [Math.PI, Math.E]),
        ["1.5e-1*x + .5*y + 2E1"] = new((x, y) => 0.15 * x + 0.5 * y + 20, (_, _) => [0.15, 0.5]),
        ["1/2*x + 3000000000*y"] = new((x, y) => 0.5 * x + 3e9 * y, (_, _) => [0.5, 3e9]),
        ["sin(x)*exp(y)"] = new((x, y) => Math.Sin(x) * Math.Exp(y), (x, y) => [Math.Cos(x) * Math.Exp(y), Math.Sin(x) * Math.Exp(y)]),
        ["cos(x*y)"] = new((x, y) => Math.Cos(x * y), (x, y) => [-y * Math.Sin(x * y), -x * Math.Sin(x * y)]),
        ["log(x) + ln(y)"] = new((x, y) => Math.Log(x) + Math.Log(y), (x, y) => [1 / x, 1 / y]),
        ["sqrt(x^2 + y^2)"] = new((x, y) => Math.Sqrt(x * x + y * y), (x, y) => [x / Math.Sqrt(x * x + y * y), y / Math.Sqrt(x * x + y * y)]),
        ["abs(x - 2) + tanh(y)"] = new((x, y) => Math.Abs(x - 2) + Math.Tanh(y), (x, y) => [Math.Sign(x - 2), 1 - Math.Tanh(y) * Math.Tanh(y)]),
        ["sigmoid(x) * softplus(y)"] = new((x, y) => Sigmoid(x) * Math.Log(1 + Math.Exp(y)),
            (x, y) => [Sigmoid(x) * (1 - Sigmoid(x)) * Math.Log(1 + Math.Exp(y)), Sigmoid(x) * Sigmoid(y)]),
        ["relu(x - 1) + pow(y, 3)"] = new((x, y) => Math.Max(x - 1, 0) + y * y * y, (x, y) => [x > 1 ? 1 : 0, 3 * y * y]),
        ["max(x, y) - 2*min(x, y)"] = new((x, y) => Math.Max(x, y) - 2 * Math.Min(x, y), (x, y) => x > y ? [1, -2] : [-2, 1]),
        ["pow(x, y)"] = new((x, y) => Math.Pow(x, y), (x, y) => [y * Math.Pow(x, y - 1), Math.Log(x) * Math.Pow(x, y)]),
    };

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    public static TheoryData<string> Formulas() => [.. Cases.Keys];

    [Theory, MemberData(nameof(Formulas))]
    public void TheFormulaMatchesTheHandWrittenFunctionAndItsDerivative(string formula)
    {
        var f = FunctionExpression.Compile(formula, "--function");
        var expected = Cases[formula];
        foreach (var (x, y) in Points)
        {
            var v = Tensor.FromArray(new[] { x, y }, requiresGrad: true);
            var value = f(v);
            value.Backward();
            double want = expected.Value(x, y);
            Assert.True(Math.Abs(value.Item() - want) <= 1e-12 * Math.Max(1, Math.Abs(want)), $"{formula} at ({x}, {y}): {value.Item():R}, expected {want:R}");
            double[] gradient = v.Grad!.ToArray<double>(), wantGradient = expected.Gradient(x, y);
            for (int i = 0; i < 2; i++)
                Assert.True(Math.Abs(gradient[i] - wantGradient[i]) <= 1e-10 * Math.Max(1, Math.Abs(wantGradient[i])),
                    $"{formula}: ∂/∂{"xy"[i]} at ({x}, {y}) is {gradient[i]:R}, expected {wantGradient[i]:R}");
        }
    }

    [Fact]
    public void AFloat32PointGivesAFloat32Value()
    {
        var f = FunctionExpression.Compile("x^2 + 10*y^2 + pi", "--function");
        var value = f(Tensor.FromArray(new[] { 1f, 2f }));
        Assert.Equal(DType.Float32, value.DType);
        Assert.Equal(41 + Math.PI, value.Item(), 5);
    }

    [Theory]
    [InlineData("x + 2*z", "--function 'x + 2*z': unknown variable 'z' at position 7: use x and y")]
    [InlineData("atan(x) + y", "--function 'atan(x) + y': unknown function 'atan' at position 1: Descent tensors have abs, cos, exp, ln, log, max, min, pow, relu, sigmoid, sin, softplus, sqrt, tanh")]
    [InlineData("x + tan(y)", "unknown function 'tan' at position 5: Descent tensors have abs, cos, exp, ln, log, max, min, pow, relu, sigmoid, sin, softplus, sqrt, tanh (for tan, write sin(x)/cos(x))")]
    [InlineData("(x + y", "unbalanced parenthesis: '(' at position 1 is never closed")]
    [InlineData("x + (y*(x)", "unbalanced parenthesis: '(' at position 5 is never closed")]
    [InlineData("x + y)", "unbalanced parenthesis: ')' at position 6 has no '(' before it")]
    [InlineData("", "--function '': empty expression")]
    [InlineData("   ", "empty expression")]
    [InlineData("x^2 + y 2", "unexpected '2' at position 9: expected an operator or the end")]
    [InlineData("2x", "unexpected 'x' at position 2: expected an operator or the end (write 2*x, not 2x)")]
    [InlineData("x +", "the formula ends at position 4 after '+': expected a number, x, y, a function or '('")]
    [InlineData("x ** * y", "expected a number, x, y, a function or '(' at position 6, got '*'")]
    [InlineData("()", "expected a number, x, y, a function or '(' at position 2, got ')'")]
    [InlineData("x $ y", "unexpected character '$' at position 3")]
    [InlineData("x ^ 2 ! ", "unexpected character '!' at position 7")]
    [InlineData("sin(x, y)", "sin at position 1 takes 1 argument, got 2")]
    [InlineData("y*pow(x)", "pow at position 3 takes 2 arguments, got 1")]
    [InlineData("cos()", "cos at position 1 takes 1 argument, got 0")]
    [InlineData("x, y", "',' at position 2 is outside a function's arguments")]
    [InlineData("x(y)", "'x' at position 1 is not a function: write x*(...) for a product")]
    [InlineData("exp + x", "'exp' at position 1 is a function: write exp(...)")]
    [InlineData("7 * 2^3", "the formula uses neither x nor y")]
    [InlineData("x + 1e999*y", "the number '1e999' at position 5 is too large for a double")]
    public void EachMistakeIsNamedWithItsPosition(string formula, string message)
    {
        var e = Assert.Throws<UsageException>(() => FunctionExpression.Compile(formula, "--function"));
        Assert.Contains(message, e.Message);
        Assert.StartsWith($"--function '{formula}': ", e.Message);
    }

    [Fact]
    public void AFormulaLongerThanTheLimitIsRefusedBeforeItIsParsed()
    {
        // 12,000 terms would overflow the stack of the recursive walk and kill the process; the limit says so first.
        string longest = "x" + string.Concat(Enumerable.Repeat("+x", (FunctionExpression.MaxLength - 1) / 2));
        Assert.NotNull(FunctionExpression.Compile(longest, "--function"));
        string tooLong = string.Concat(Enumerable.Repeat("x+", 12_000)) + "x";
        var e = Assert.Throws<UsageException>(() => FunctionExpression.Compile(tooLong, "--function"));
        Assert.Equal($"--function: the formula is {tooLong.Length} characters long; at most {FunctionExpression.MaxLength} are read (the parser and the tensor graph recurse once per operation)", e.Message);
        var deep = Assert.Throws<UsageException>(() => FunctionExpression.Compile(new string('-', 20_000) + "x", "--function"));
        Assert.Contains("at most", deep.Message);
        string nested = new string('(', 499) + "x" + new string(')', 499);
        Assert.NotNull(FunctionExpression.Compile(nested, "--function"));
    }
}
