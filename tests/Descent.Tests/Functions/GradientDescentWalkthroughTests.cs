using System.Text.Json.Nodes;
using Descent.Optim;
using Descent.Tests.Conformance;

namespace Descent.Tests.Functions;

/// <summary>
/// The walk-through of examples/GradientDescent (f(x) = x², x₀ = 2, lr 0.1, 100 iterations) against PyTorch's run of
/// the same problem: the first <c>square</c> case of optim-public.json. expected[t] is x after step t + 1 (the
/// example's "Iteration t + 1") and losses[t] is f before that step, f(x_t).
/// </summary>
public class GradientDescentWalkthroughTests
{
    private static JsonObject SquareCase()
    {
        var file = JsonNode.Parse(File.ReadAllText(Path.Combine(ReferenceFiles.Directory, "optim-public.json")))!.AsObject();
        return file["cases"]!.AsArray().Select(c => c!.AsObject()).First(c => (string?)c["function"] == "square");
    }

    private static (double Start, double Lr, int Steps, double[] Xs, double[] Losses) Reference()
    {
        var c = SquareCase();
        Assert.Equal("SGD", (string?)c["optimizer"]);
        double[] xs = c["expected"]!.AsArray().Select(step => ReferenceFiles.Doubles(step!.AsArray()[0])[0]).ToArray();
        return (ReferenceFiles.Doubles(c["initial"]!.AsArray()[0])[0], c["hyperparameters"]!["lr"]!.GetValue<double>(),
            c["steps"]!.GetValue<int>(), xs, ReferenceFiles.Doubles(c["losses"]));
    }

    /// <summary>The example's first loop, by hand: x ← x − α f′(x) with f′(x) = 2x, one rounding per update.</summary>
    private static double[] ByHand(double start, double lr, int steps)
    {
        var xs = new double[steps];
        double x = start;
        for (int i = 0; i < steps; i++)
        {
            x = Math.FusedMultiplyAdd(-lr, 2 * x, x);
            xs[i] = x;
        }
        return xs;
    }

    [Fact]
    public void ByHandMatchesPyTorchToTheLastDigit()
    {
        var (start, lr, steps, expected, losses) = Reference();
        Assert.Equal((2.0, 0.1, 100), (start, lr, steps));
        double[] xs = ByHand(start, lr, steps);
        for (int t = 0; t < steps; t++)
        {
            Assert.Equal(expected[t].ToString("R"), xs[t].ToString("R"));
            double before = t == 0 ? start : xs[t - 1];
            Assert.Equal(losses[t].ToString("R"), (before * before).ToString("R"));
        }
        Assert.Equal("4.074071952668972E-10", xs[^1].ToString("R", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void TensorBackwardAndSgdFollowTheSameTrajectory()
    {
        var (start, lr, steps, expected, _) = Reference();
        var x = Tensor.FromArray(new[] { start }, requiresGrad: true);
        var optimizer = new SGD([x], lr: lr);
        for (int t = 0; t < steps; t++)
        {
            optimizer.ZeroGrad();
            (x * x).Sum().Backward();
            optimizer.Step();
            double v = x.Item<double>();
            Assert.Equal(expected[t].ToString("R", System.Globalization.CultureInfo.InvariantCulture), v.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
