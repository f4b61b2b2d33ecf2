using Descent.Functions;

namespace Descent.Tests.Functions;

public class CustomTestFunctionTests
{
    private static TestFunction Bowl(double[]? start = null, double[]? lower = null, double[]? upper = null) =>
        TestFunction.Custom("bowl", "x^2 + 10*y^2", v => v[0].Square() + 10.0 * v[1].Square(),
            start ?? [-1.5, 1.5], lower ?? [-2, -2], upper ?? [2, 2]);

    [Fact]
    public void ItsGradientComesFromAutogradAndItHasNoKnownMinimum()
    {
        var f = Bowl();
        Assert.Equal("bowl", f.Name);
        Assert.Equal("x^2 + 10*y^2", f.Formula);
        Assert.Equal(2, f.Dimension);
        Assert.Null(f.MinimumValue);
        Assert.Empty(f.GlobalMinima);
        Assert.Equal(1 + 40, f.Value([1.0, -2.0]), 12);
        Assert.Equal(new[] { 2.0, -40.0 }, f.Gradient([1.0, -2.0]));
        Assert.Equal(new[] { -1.5, 1.5 }, f.Start);
        Assert.Equal(new[] { -2.0, -2.0 }, f.Lower);
        Assert.Equal(new[] { 2.0, 2.0 }, f.Upper);
    }

    [Fact]
    public void ItKeepsCopiesOfThePointsItIsGiven()
    {
        double[] start = [0.5, 0.5];
        var f = Bowl(start);
        start[0] = 9;
        Assert.Equal(0.5, f.Start[0]);
    }

    [Fact]
    public void AnOptimizerMinimisesIt()
    {
        var f = Bowl();
        var x = Tensor.FromArray(f.Start, requiresGrad: true);
        var result = Minimizer.Minimize(f.Value, x, new Descent.Optim.SGD([x], lr: 0.05), new StoppingCriteria { MaxIterations = 500 });
        Assert.True(result.Loss < 1e-10, $"loss {result.Loss}");
    }

    [Fact]
    public void BadArgumentsAreRejectedByName()
    {
        Assert.Equal("start", Assert.Throws<ArgumentException>(() => Bowl(start: [1.0])).ParamName);
        Assert.Equal("start", Assert.Throws<ArgumentException>(() => Bowl(start: [double.NaN, 0])).ParamName);
        Assert.Equal("lower", Assert.Throws<ArgumentException>(() => Bowl(lower: [-2, -2, -2])).ParamName);
        Assert.Equal("upper", Assert.Throws<ArgumentException>(() => Bowl(upper: [2, double.PositiveInfinity])).ParamName);
        var reversed = Assert.Throws<ArgumentException>(() => Bowl(lower: [-2, 3], upper: [2, 2]));
        Assert.Equal("lower", reversed.ParamName);
        Assert.Contains("lower[1] must be below upper[1]", reversed.Message);
        Assert.Throws<ArgumentException>(() => TestFunction.Custom(" ", "x", v => v[0], [0, 0], [-1, -1], [1, 1]));
        Assert.Throws<ArgumentException>(() => TestFunction.Custom("f", "", v => v[0], [0, 0], [-1, -1], [1, 1]));
        Assert.Throws<ArgumentNullException>(() => TestFunction.Custom("f", "x", null!, [0, 0], [-1, -1], [1, 1]));
    }
}
