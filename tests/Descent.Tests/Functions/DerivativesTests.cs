using Descent.Functions;

namespace Descent.Tests.Functions;

public class DerivativesTests
{
    [Theory]
    [InlineData(0.0, 1e-9)]
    [InlineData(1.3, 1e-9)]
    // The step grows with |x| (h ≈ 1.5e-3 here) while sin's wiggles do not: truncation error h²|f‴|/6 ≈ 1e-7.
    [InlineData(-250.0, 3e-7)]
    public void DerivativeOfSinIsCos(double x, double tolerance) =>
        Assert.Equal(Math.Cos(x), Derivatives.Derivative(Math.Sin, x), tolerance);

    [Fact]
    public void DerivativeOfSquareIsTwiceX() => Assert.Equal(4.0, Derivatives.Derivative(x => x * x, 2.0), 1e-9);

    [Fact]
    public void NumericGradientMatchesClosedFormOnEveryTestFunction()
    {
        foreach (var f in TestFunctions.All())
        {
            double[] p = f.Start;
            double[] exact = f.Gradient(p);
            double[] numeric = Derivatives.Gradient(f.Value, p);
            double scale = Math.Max(1, Math.Abs(f.Value(p)));
            for (int i = 0; i < p.Length; i++)
                Assert.True(Math.Abs(numeric[i] - exact[i]) <= 1e-7 * scale + 1e-7 * Math.Abs(exact[i]),
                    $"{f.Name}[{i}]: exact {exact[i]}, numeric {numeric[i]}");
        }
    }

    [Fact]
    public void TensorGradientIsExactAndLeavesTheInputAlone()
    {
        var f = TestFunctions.Rosenbrock();
        var x = Tensor.FromArray(new[] { -1.2, 1.0 });
        var g = Derivatives.Gradient(f.Value, x);
        double[] exact = f.Gradient([-1.2, 1.0]), auto = g.ToArray<double>();
        for (int i = 0; i < 2; i++) Assert.Equal(exact[i], auto[i], 1e-12);
        Assert.False(x.RequiresGrad);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void DirectionalDerivativeIsGradientDotDirection()
    {
        var f = TestFunctions.Beale();
        double[] p = [1.0, 1.5], v = [0.6, -0.8];
        double[] g = f.Gradient(p);
        double expected = g[0] * v[0] + g[1] * v[1];
        Assert.Equal(expected, Derivatives.DirectionalDerivative(f.Value, p, v), 1e-6);
        Assert.Equal(expected, Derivatives.DirectionalDerivative(f.Value, Tensor.FromArray(p), Tensor.FromArray(v)), 1e-10);
    }

    // Rosenbrock's Hessian: [[2 − 400(y − 3x²), −400x], [−400x, 200]].
    private static double[] RosenbrockHessianTimes(double x, double y, double[] v) =>
        [(2 - 400 * (y - 3 * x * x)) * v[0] - 400 * x * v[1], -400 * x * v[0] + 200 * v[1]];

    [Fact]
    public void HessianVectorProductByDoubleBackwardIsExact()
    {
        var f = TestFunctions.Rosenbrock();
        double[] v = [0.3, -1.1];
        var hv = Derivatives.HessianVectorProduct(f.Value, Tensor.FromArray(new[] { -1.2, 1.0 }), Tensor.FromArray(v));
        var expected = RosenbrockHessianTimes(-1.2, 1.0, v);
        Assert.Equal(expected[0], hv.ToArray<double>()[0], 1e-9);
        Assert.Equal(expected[1], hv.ToArray<double>()[1], 1e-9);
    }

    [Fact]
    public void HessianVectorProductByDifferencesIsClose()
    {
        var f = TestFunctions.Rosenbrock();
        double[] v = [0.3, -1.1];
        var hv = Derivatives.HessianVectorProductByDifferences(f.Value, Tensor.FromArray(new[] { -1.2, 1.0 }), Tensor.FromArray(v));
        var expected = RosenbrockHessianTimes(-1.2, 1.0, v);
        for (int i = 0; i < 2; i++) Assert.Equal(expected[i], hv.ToArray<double>()[i], 1e-6 * Math.Abs(expected[i]));
    }

    [Fact]
    public void HessianVectorProductOfTranscendentalFunctionsAgreesBothWays()
    {
        // cos, log, pow and products: the second differentiation must see through their backward rules.
        Func<Tensor, Tensor> f = x => x.Cos().Sum() + (x.Square() + 1.0).Log().Sum() + x.Pow(3).Sum() * x[0];
        var x0 = Tensor.FromArray(new[] { 0.4, -0.7, 1.3 });
        var v = Tensor.FromArray(new[] { 1.0, 0.5, -2.0 });
        var exact = Derivatives.HessianVectorProduct(f, x0, v).ToArray<double>();
        var approx = Derivatives.HessianVectorProductByDifferences(f, x0, v).ToArray<double>();
        for (int i = 0; i < 3; i++) Assert.Equal(approx[i], exact[i], 1e-6);
    }

    [Fact]
    public void ErrorsNameTheProblem()
    {
        var e = Assert.Throws<ArgumentException>(() => Derivatives.Derivative(x => x, double.NaN));
        Assert.Contains("must be finite", e.Message);
        Assert.Throws<ArgumentException>(() => Derivatives.Gradient(p => p[0], [1.0, double.PositiveInfinity]));
        var notScalar = Assert.Throws<ArgumentException>(() => Derivatives.Gradient(x => x * 2.0, Tensor.FromArray(new[] { 1.0, 2.0 })));
        Assert.Contains("scalar", notScalar.Message);
        Assert.Contains("[2]", notScalar.Message);
        var shape = Assert.Throws<ArgumentException>(() =>
            Derivatives.HessianVectorProduct(x => x.Sum(), Tensor.FromArray(new[] { 1.0, 2.0 }), Tensor.FromArray(new[] { 1.0 })));
        Assert.Contains("shape", shape.Message);
        Assert.Throws<ArgumentException>(() => Derivatives.DirectionalDerivative(p => p[0], [1.0], [1.0, 2.0]));
    }
}
