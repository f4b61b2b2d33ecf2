using Descent.Functions;

namespace Descent.Tests.Functions;

public class TestFunctionsTests
{
    public static TheoryData<string> Names() => new(TestFunctions.Names);

    private static double[] AutogradGradient(TestFunction f, double[] point)
    {
        var x = Tensor.FromArray((double[])point.Clone(), requiresGrad: true);
        f.Value(x).Backward();
        return x.Grad!.ToArray<double>();
    }

    private static void AssertClose(double[] expected, double[] actual, double rtol, double atol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= atol + rtol * Math.Abs(expected[i]),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    [Theory, MemberData(nameof(Names))]
    public void ValueAndGradientAtTheMinimaAreTheKnownOnes(string name)
    {
        var f = TestFunctions.ByName(name);
        if (f.MinimumValue is null)
        {
            Assert.Empty(f.GlobalMinima);
            Assert.False(string.IsNullOrEmpty(f.Remarks));
            return;
        }
        Assert.Equal(name switch { "himmelblau" => 4, "six-hump-camel" => 2, _ => 1 }, f.GlobalMinima.Count);
        foreach (var m in f.GlobalMinima)
        {
            Assert.Equal(f.MinimumValue.Value, f.Value(m), 1e-12 * Math.Max(1, Math.Abs(f.MinimumValue.Value)));
            double[] closed = f.Gradient(m);
            double[] auto = AutogradGradient(f, m);
            AssertClose(closed, auto, 1e-9, 1e-12, $"{name} autograd vs closed form at the minimum");
            // The listed minima are accurate to about 1e-15, so the gradient there is tiny.
            AssertClose(new double[m.Length], closed, 0, 1e-10, $"{name} gradient at the minimum");
        }
    }

    [Theory, MemberData(nameof(Names))]
    public void AutogradMatchesTheClosedFormGradientAtRandomPoints(string name)
    {
        var f = TestFunctions.ByName(name);
        var gen = new Generator(1234);
        double[] lower = f.Lower, upper = f.Upper;
        for (int trial = 0; trial < 20; trial++)
        {
            var p = new double[f.Dimension];
            for (int i = 0; i < p.Length; i++) p[i] = lower[i] + (upper[i] - lower[i]) * gen.NextDouble();
            double scale = Math.Max(1, f.Gradient(p).Max(Math.Abs));
            AssertClose(f.Gradient(p), AutogradGradient(f, p), 1e-10, 1e-12 * scale, $"{name} at ({string.Join(", ", p)})");
        }
    }

    [Theory, MemberData(nameof(Names))]
    public void StartAndBoxAreConsistent(string name)
    {
        var f = TestFunctions.ByName(name);
        Assert.Equal(name, f.Name);
        double[] s = f.Start, lo = f.Lower, hi = f.Upper;
        for (int i = 0; i < f.Dimension; i++)
        {
            Assert.True(lo[i] < hi[i]);
            Assert.InRange(s[i], lo[i], hi[i]);
            foreach (var m in f.GlobalMinima) Assert.InRange(m[i], lo[i], hi[i]);
        }
        Assert.True(double.IsFinite(f.Value(s)));
    }

    [Fact]
    public void HimmelblauHasFourMinimaAndSixHumpCamelTwo()
    {
        Assert.Equal(4, TestFunctions.Himmelblau().GlobalMinima.Count);
        Assert.Equal(2, TestFunctions.SixHumpCamel().GlobalMinima.Count);
    }

    [Fact]
    public void FloatValuesAgreeWithDoubleValues()
    {
        var f = TestFunctions.Rosenbrock();
        var x = Tensor.FromArray(new[] { 0.5f, -0.25f }, requiresGrad: true);
        var y = f.Value(x);
        Assert.Equal(DType.Float32, y.DType);
        Assert.Equal(f.Value([0.5, -0.25]), y.Item(), 1e-5);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void VectorFunctionsWorkInAnyDimension(int n)
    {
        foreach (var f in new[] { TestFunctions.Sphere(n), TestFunctions.Rastrigin(n), TestFunctions.Ackley(n), TestFunctions.StyblinskiTang(n) })
        {
            Assert.Equal(n, f.Dimension);
            Assert.Equal(f.MinimumValue!.Value, f.Value(f.GlobalMinima[0]), 1e-10 * n);
            AssertClose(f.Gradient(f.Start), AutogradGradient(f, f.Start), 1e-10, 1e-12, f.Name);
        }
    }

    [Fact]
    public void IllConditionedQuadraticHasTheRequestedConditionNumber()
    {
        var f = TestFunctions.IllConditionedQuadratic(conditionNumber: 1000, dimension: 3);
        // Curvatures are the gradient of each unit vector: 1, √1000, 1000.
        Assert.Equal(1.0, f.Gradient([1, 0, 0])[0], 1e-12);
        Assert.Equal(Math.Sqrt(1000), f.Gradient([0, 1, 0])[1], 1e-9);
        Assert.Equal(1000.0, f.Gradient([0, 0, 1])[2], 1e-9);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TestFunctions.IllConditionedQuadratic(0.5));
        Assert.Contains("conditionNumber must be >= 1", e.Message);
        Assert.Contains("0.5", e.Message);
    }

    [Fact]
    public void SaddlesHaveAStationaryPointThatIsNotAMinimum()
    {
        foreach (var f in new[] { TestFunctions.Saddle(), TestFunctions.MonkeySaddle() })
        {
            Assert.Null(f.MinimumValue);
            Assert.Equal(new[] { 0.0, 0.0 }, f.Gradient([0, 0]));
            Assert.True(f.Value([0, 0.1]) < f.Value([0, 0]) || f.Value([-0.1, 0]) < f.Value([0, 0]));
        }
    }

    [Theory]
    [InlineData("Rosenbrock", "rosenbrock")]
    [InlineData("six_hump camel", "six-hump-camel")]
    [InlineData("quadratic", "ill-conditioned-quadratic")]
    [InlineData("square", "square")]
    public void ByNameIgnoresCaseAndSeparatorsAndKnowsAliases(string query, string expected) =>
        Assert.Equal(expected, TestFunctions.ByName(query).Name);

    [Fact]
    public void ByNameSuggestsTheClosestName()
    {
        var e = Assert.Throws<ArgumentException>(() => TestFunctions.ByName("rosenbrok"));
        Assert.Contains("did you mean 'rosenbrock'", e.Message);
        Assert.Equal("name", e.ParamName);
        var far = Assert.Throws<ArgumentException>(() => TestFunctions.ByName("zzzzzzzzzzzzzzzz"));
        Assert.DoesNotContain("did you mean", far.Message);
        Assert.Contains("himmelblau", far.Message);
    }

    [Fact]
    public void WrongShapesAreRejected()
    {
        var f = TestFunctions.Beale();
        var e = Assert.Throws<ArgumentException>(() => f.Value(Tensor.Zeros([3], DType.Float64)));
        Assert.Contains("vector of 2 elements", e.Message);
        Assert.Contains("[3]", e.Message);
        Assert.Throws<ArgumentException>(() => f.Gradient([1.0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => TestFunctions.Sphere(0));
    }
}
