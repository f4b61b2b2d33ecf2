namespace Descent.Tests.Autograd;

public class GradCheckTests
{
    public static TheoryData<string> Names => GradCheckCases.Names();

    [Theory]
    [MemberData(nameof(Names))]
    public void AutogradMatchesFiniteDifferences(string name)
    {
        var c = GradCheckCases.All[name];
        var result = GradCheck.Run(c.Function, c.Inputs());
        Assert.True(result.Passed, $"{name}: {result.Message}");
        Assert.True(result.MaxAbsError < 1e-5, $"{name}: max error {result.MaxAbsError}");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Float32AgreesWithFloat64(string name)
    {
        var c = GradCheckCases.All[name];
        var inputs64 = c.Inputs().Select(t => t.RequiresGrad && !t.IsLeaf ? t.Detach().RequiresGrad_() : t).ToArray();
        var inputs32 = inputs64.Select(t => t.DType == DType.Float64 ? t.Detach().To(DType.Float32).RequiresGrad_(t.RequiresGrad) : t).ToArray();
        var y64 = c.Function(inputs64);
        var y32 = c.Function(inputs32);
        Assert.Equal(DType.Float32, y32.DType);
        Assert.Equal(y64.Shape, y32.Shape);
        AssertClose(y64.ToDoubleArray(), y32.ToDoubleArray(), name + " output");
        var v = Tensor.Randn(y64.Shape, DType.Float64, new Generator(3));
        y64.Backward(v);
        y32.Backward(v.To(DType.Float32));
        for (int i = 0; i < inputs64.Length; i++)
        {
            if (!inputs64[i].RequiresGrad) continue;
            Assert.Equal(DType.Float32, inputs32[i].Grad!.DType);
            AssertClose(inputs64[i].Grad!.ToDoubleArray(), inputs32[i].Grad!.ToDoubleArray(), $"{name} grad[{i}]");
        }
    }

    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 + 1e-4 * Math.Abs(expected[i]), $"{what}[{i}]: float64 {expected[i]}, float32 {actual[i]}");
    }

    [Fact]
    public void WrongGradientIsReportedWithInputAndElement()
    {
        // y = x², but the backward rule claims 3x: the checker must name input 0 and the element.
        Func<Tensor[], Tensor> wrong = x => x[0] * x[0].Detach() + (x[0] - x[0].Detach()) * x[0].Detach() * 2.0;
        var input = Tensor.FromArray(new[] { 1.0, 2.0, -1.5 }, requiresGrad: true);
        var result = GradCheck.Run(wrong, [input]);
        Assert.False(result.Passed);
        Assert.Contains("input 0", result.Message);
        Assert.Contains("element 0", result.Message);
        // The rule claims 3x where the gradient is 2x, and the checker weighs element k by its random upstream v[k] (seed 0):
        // the error is max |v[k]·x[k]| (central differences of x² are exact up to rounding).
        var v = Tensor.Randn([3], DType.Float64, new Generator(0)).ToArray<double>();
        double[] x = [1.0, 2.0, -1.5];
        Assert.Equal(x.Zip(v).Max(p => Math.Abs(p.First * p.Second)), result.MaxAbsError, 1e-6);
        var e = Assert.Throws<InvalidOperationException>(() => GradCheck.Check(wrong, [input]));
        Assert.Contains("input 0", e.Message);
    }

    [Fact]
    public void CheckReturnsSmallErrorForCorrectGradient()
    {
        var input = Tensor.FromArray(new[] { 0.3, -0.7 }, requiresGrad: true);
        double error = GradCheck.Check(x => x[0].Exp().Sum(), [input]);
        Assert.InRange(error, 0, 1e-8);
        Assert.Null(input.Grad); // the checker works on copies
    }

    [Fact]
    public void Float32InputsAreRejected()
    {
        var input = Tensor.Ones([2], requiresGrad: true);
        var e = Assert.Throws<ArgumentException>(() => GradCheck.Run(x => x[0] * 2.0, [input]));
        Assert.Contains("float32", e.Message);
    }

    [Fact]
    public void BadToleranceIsRejected()
    {
        var input = Tensor.Ones([2], DType.Float64, requiresGrad: true);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradCheck.Run(x => x[0], [input], eps: 0));
    }
}
