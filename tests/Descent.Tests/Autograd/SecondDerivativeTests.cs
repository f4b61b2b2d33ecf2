namespace Descent.Tests.Autograd;

public class SecondDerivativeTests
{
    private static double[] Gradient(Func<Tensor, Tensor> f, double[] at)
    {
        var x = Tensor.FromArray((double[])at.Clone(), requiresGrad: true);
        f(x).Sum().Backward();
        return x.Grad!.ToArray<double>();
    }

    public static TheoryData<string> Functions => new() { "exp", "sqrt", "tanh", "sigmoid", "reciprocal", "pow", "softplus", "silu", "gelu_tanh", "mixed" };

    private static Tensor Apply(string name, Tensor x) => name switch
    {
        "exp" => x.Exp(),
        "sqrt" => x.Sqrt(),
        "tanh" => x.Tanh(),
        "sigmoid" => x.Sigmoid(),
        "reciprocal" => x.Reciprocal(),
        "pow" => x.Pow(x),
        "softplus" => x.Softplus(),
        "silu" => x.Silu(),
        "gelu_tanh" => x.Gelu("tanh"),
        _ => x.Exp() * x.Sqrt() + x.Cos() * x.Tanh(),
    };

    [Theory, MemberData(nameof(Functions))]
    public void HessianVectorProductMatchesDifferencesOfGradients(string name)
    {
        double[] at = [0.7, 1.3, 0.4];
        double[] v = [0.5, -1.0, 2.0];
        var x = Tensor.FromArray((double[])at.Clone(), requiresGrad: true);
        Apply(name, x).Sum().Backward(createGraph: true);
        var g = x.Grad!;
        Assert.True(g.RequiresGrad, "the gradient of a createGraph backward must itself be differentiable");
        x.Grad = null;
        (g * Tensor.FromArray(v)).Sum().Backward();
        var hv = x.Grad!.ToArray<double>();

        const double h = 1e-5;
        var plus = Gradient(t => Apply(name, t), at.Select((a, i) => a + h * v[i]).ToArray());
        var minus = Gradient(t => Apply(name, t), at.Select((a, i) => a - h * v[i]).ToArray());
        for (int i = 0; i < at.Length; i++)
            Assert.Equal((plus[i] - minus[i]) / (2 * h), hv[i], 6);
    }
}
