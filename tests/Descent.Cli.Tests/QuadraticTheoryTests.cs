using System.Text.Json.Nodes;
using Descent.Cli.Catalog;
using Descent.Cli.Lab;
using Descent.Functions;
using Descent.Optim;

namespace Descent.Cli.Tests;

/// <summary>
/// The closed form of gradient descent and heavy-ball momentum on the ill-conditioned quadratic coincides with
/// Descent's own SGD iterates, in every damping regime and on exact double roots; its rates and envelopes bound the
/// iterates; and the lab's theory data follows the page contract.
/// </summary>
public class QuadraticTheoryTests
{
    private static readonly TestFunction Quadratic = TheoryStudy.Function();
    private static readonly double[] A = QuadraticTheory.Curvatures(Quadratic);

    // Exact double roots of β² = 4μ, β = 1 + μ − αa, for a = 1 and a = 100 (every number a dyadic fraction or 100·one):
    // a = 100: α = 1/64, μ = 1/16 (σ = −1/4) and α = 1/256, μ = 9/64 (σ = 3/8); a = 1: α = μ = 1/4 (σ = 1/2) and
    // α = 9/16, μ = 1/16 (σ = 1/4). Beside them, rates a hair off the double root (real on one side, complex on the other).
    public static TheoryData<double, double> Grid()
    {
        var optimum = TheoryStudy.Optimum(1, 100); // both directions a rounding away from a double root
        double[] lrs = [1e-3, 5e-3, 0.01, 0.019, 0.028, 4.0 / 121, optimum.Lr, 0.045, 1.0 / 64, 1.0 / 64 * (1 + 1e-9), 1.0 / 64 * (1 - 1e-9),
            1.0 / 64 * (1 + 1e-14), 1.0 / 64 * (1 - 1e-14), 1.0 / 256, 0.25, 9.0 / 16];
        double[] momenta = [0, 1.0 / 16, 9.0 / 64, 0.25, 0.5, 81.0 / 121, optimum.Momentum, 0.9, 0.99];
        var grid = new TheoryData<double, double>();
        foreach (double mu in momenta)
            foreach (double lr in lrs)
                grid.Add(lr, mu);
        return grid;
    }

    [Fact]
    public void TheCurvaturesAreThoseOfTheFunctionWithItsHalf()
    {
        Assert.Equal([1.0, 100.0], A); // f = ½ (x² + 100 y²): gradient (x, 100 y)
        Assert.Equal([-4.0, 2.0], Quadratic.Start);
    }

    [Fact]
    public void TheGridCoversEveryDampingAndExactDoubleRoots()
    {
        var seen = Grid().SelectMany(row => A.Select(a => QuadraticTheory.DampingOf(a, (double)row[0], (double)row[1]))).ToHashSet();
        Assert.Equal(Enum.GetValues<Damping>().ToHashSet(), seen);
        Assert.Equal(Damping.Critical, QuadraticTheory.DampingOf(100, 1.0 / 64, 1.0 / 16));
        Assert.Equal(Damping.Critical, QuadraticTheory.DampingOf(100, 1.0 / 256, 9.0 / 64));
        Assert.Equal(Damping.Critical, QuadraticTheory.DampingOf(1, 0.25, 0.25));
        Assert.Equal(Damping.Critical, QuadraticTheory.DampingOf(1, 9.0 / 16, 1.0 / 16));
        Assert.Equal(Damping.Over, QuadraticTheory.DampingOf(100, 1.0 / 64 * (1 + 1e-9), 1.0 / 16));
        Assert.Equal(Damping.Under, QuadraticTheory.DampingOf(100, 1.0 / 64 * (1 - 1e-9), 1.0 / 16));
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void TheClosedFormIsDescentsSgd(double lr, double momentum)
    {
        var result = Minimizer.Minimize(Quadratic.Value, Quadratic.Start, x => new SGD([x], lr, momentum), new StoppingCriteria { MaxIterations = 100 });
        int n = result.Trajectory.Count;
        Assert.True(n >= 40, $"only {n} finite iterates"); // the fastest divergence here overflows f near step 45
        for (int i = 0; i < A.Length; i++)
        {
            double x0 = Quadratic.Start[i];
            double[] theory = QuadraticTheory.Iterates(A[i], lr, momentum, x0, n - 1);
            for (int t = 0; t < n; t++)
            {
                double bound = 1e-12 * Math.Abs(x0) * Math.Max(1, QuadraticTheory.Envelope(A[i], lr, momentum, t));
                double practice = result.Trajectory[t][i];
                Assert.True(Math.Abs(practice - theory[t]) <= bound,
                    $"lr {lr}, μ {momentum}, a {A[i]} ({QuadraticTheory.DampingOf(A[i], lr, momentum)}), step {t}: SGD {practice:R}, closed form {theory[t]:R}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void TheIteratesStayUnderTheirEnvelope(double lr, double momentum)
    {
        foreach (double a in A)
        {
            double[] x = QuadraticTheory.Iterates(a, lr, momentum, 1, 200);
            double[] recurrence = Recurrence(a, lr, momentum, 200);
            for (int t = 0; t <= 200; t++)
            {
                double envelope = QuadraticTheory.Envelope(a, lr, momentum, t) * (1 + 1e-9);
                Assert.True(Math.Abs(x[t]) <= envelope && (double.IsInfinity(recurrence[t]) || Math.Abs(recurrence[t]) <= envelope),
                    $"a {a}, lr {lr}, μ {momentum}, step {t}: |x| {Math.Abs(x[t]):R} and {Math.Abs(recurrence[t]):R} over the envelope {envelope:R}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void ADirectionConvergesExactlyWhenItsRateIsBelowOne(double lr, double momentum)
    {
        foreach (double a in A)
        {
            double rate = QuadraticTheory.Rate(a, lr, momentum);
            Assert.True(Math.Abs(rate - 1) > 1e-3, $"a {a}, lr {lr}, μ {momentum}: rate {rate} too close to 1 to tell in {Long} steps");
            double last = Math.Abs(Recurrence(a, lr, momentum, Long)[^1]);
            if (rate < 1) Assert.True(last < 1e-6, $"a {a}, lr {lr}, μ {momentum}: rate {rate} < 1, but |x| is {last} after {Long} steps");
            else Assert.True(last > 1e6, $"a {a}, lr {lr}, μ {momentum}: rate {rate} > 1, but |x| is {last} after {Long} steps");
        }
    }

    // (a, α, μ) on an exact double root, with σ = β/2 of both signs.
    public static TheoryData<double, double, double> DoubleRoots => new() { { 100, 1.0 / 64, 1.0 / 16 }, { 100, 1.0 / 256, 9.0 / 64 }, { 1, 0.25, 0.25 }, { 1, 9.0 / 16, 1.0 / 16 } };

    [Theory]
    [MemberData(nameof(DoubleRoots))]
    public void BesideADoubleRootTheClosedFormLosesNothing(double a, double lr, double momentum)
    {
        foreach (double nudge in new[] { 0, 1e-15, -1e-15, 1e-12, -1e-12, 1e-9, -1e-9, 1e-6, -1e-6, 1e-3, -1e-3 })
        {
            double nudged = lr * (1 + nudge);
            double[] closed = QuadraticTheory.Iterates(a, nudged, momentum, 1, 300), recurrence = Recurrence(a, nudged, momentum, 300);
            for (int t = 0; t <= 300; t++)
                Assert.True(Math.Abs(closed[t] - recurrence[t]) <= 1e-12 * Math.Max(1, QuadraticTheory.Envelope(a, nudged, momentum, t)),
                    $"a {a}, lr {lr}·(1 + {nudge}), μ {momentum} ({QuadraticTheory.DampingOf(a, nudged, momentum)}), step {t}: {closed[t]:R} against {recurrence[t]:R}");
        }
    }

    [Fact]
    public void TheRateIsTheLargerRootsModulus()
    {
        Assert.Equal(0.5, QuadraticTheory.Rate(100, 0.015, 0), 15); // |1 − 1.5|
        Assert.Equal(0.25, QuadraticTheory.Rate(100, 1.0 / 64, 1.0 / 16)); // double root −1/4
        Assert.Equal(Math.Sqrt(0.9), QuadraticTheory.Rate(100, 0.01, 0.9), 15); // complex: √μ
        double beta = 1 + 1.0 / 16 - 0.5; // real roots: the larger of (β ± √(β² − 4μ))/2
        Assert.Equal((beta + Math.Sqrt(beta * beta - 0.25)) / 2, QuadraticTheory.Rate(1, 0.5, 1.0 / 16), 15);
    }

    [Fact]
    public void TheRegistrysMomentumAndGdAreThisSgd()
    {
        foreach (var (name, momentum) in new[] { ("gd", 0.0), ("momentum", 0.9) })
        {
            var entry = OptimizerCatalog.Find(name);
            var given = new Dictionary<string, double> { ["lr"] = 0.015, ["momentum"] = momentum };
            if (momentum == 0) given.Remove("momentum");
            var stop = new StoppingCriteria { MaxIterations = 50 };
            var registry = Minimizer.Minimize(Quadratic.Value, Quadratic.Start, x => entry.Build([x], given), stop);
            var study = TheoryStudy.Run(Quadratic, A, 0.015, momentum, 50);
            Assert.Equal(study.Practice, registry.Trajectory.SelectMany(p => p).ToArray());
        }
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        Assert.Equal("lr", Assert.Throws<ArgumentOutOfRangeException>(() => QuadraticTheory.Rate(1, -0.1, 0)).ParamName);
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => QuadraticTheory.Rate(1, 0.1, double.NaN)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentOutOfRangeException>(() => QuadraticTheory.Iterates(double.PositiveInfinity, 0.1, 0, 1, 3)).ParamName);
        Assert.Equal("steps", Assert.Throws<ArgumentOutOfRangeException>(() => QuadraticTheory.Iterates(1, 0.1, 0, 1, -1)).ParamName);
    }

    [Fact]
    public void TheQuickDataFollowsTheContract()
    {
        string json = TheoryStudy.Data(quick: true).ToJsonString();
        var data = JsonNode.Parse(json)!.AsObject(); // as the page reads it
        foreach (string key in new[] { "title", "formula", "a", "kappa", "start", "box", "steps", "surface", "lrs", "momenta", "default", "runs" })
            Assert.True(data.ContainsKey(key), $"no \"{key}\"");
        double[] lrs = Doubles(data["lrs"]!), momenta = Doubles(data["momenta"]!);
        Assert.Equal(lrs.Order(), lrs);
        Assert.Equal(momenta.Order(), momenta);
        Assert.Contains((double)data["default"]!["lr"]!, lrs);
        Assert.Contains((double)data["default"]!["momentum"]!, momenta);
        Assert.Contains(0.0, momenta);
        Assert.Equal([1.0, 100.0], Doubles(data["a"]!));
        Assert.Equal([-4.0, 2.0], Doubles(data["start"]!));
        Assert.Equal([-5.0, 5.0, -5.0, 5.0], Doubles(data["box"]!));

        var surface = data["surface"]!.AsObject();
        int nx = (int)surface["nx"]!, ny = (int)surface["ny"]!;
        double[] z = Doubles(surface["z"]!);
        Assert.Equal(nx * ny, z.Length);
        Assert.All(z, q => Assert.InRange(q, 0, 255));
        Assert.Equal(0, z.Min());
        Assert.Equal(255, z.Max());

        var runs = data["runs"]!.AsArray();
        Assert.Equal(lrs.Length * momenta.Length, runs.Count);
        int steps = (int)data["steps"]!;
        bool anyConverges = false, anyDiverges = false;
        for (int mi = 0; mi < momenta.Length; mi++)
            for (int li = 0; li < lrs.Length; li++)
            {
                var run = runs[mi * lrs.Length + li]!.AsObject();
                string where = $"run lr {lrs[li]}, μ {momenta[mi]}";
                Assert.Equal(lrs[li], (double)run["lr"]!);
                Assert.Equal(momenta[mi], (double)run["momentum"]!);
                double[] practice = Doubles(run["practice"]!), theory = Doubles(run["theory"]!), rates = Doubles(run["rates"]!);
                Assert.Equal(practice.Length, theory.Length);
                Assert.True(practice.Length % 2 == 0 && practice.Length >= 2 * (TheoryStudy.MinSteps + 1), $"{where}: {practice.Length} coordinates");
                Assert.Equal([-4.0, 2.0], practice[..2]);
                Assert.Equal(rates.Max(), (double)run["radius"]!);
                bool converges = (string)run["status"]! == "converges";
                Assert.Equal(rates.Max() < 1, converges);
                if (converges)
                {
                    Assert.Equal(2 * (steps + 1), practice.Length);
                    Assert.True((double)run["gap"]! < 1e-12, $"{where}: gap {(double)run["gap"]!}");
                }
                else
                {
                    Assert.True((string)run["status"]! == "diverges", $"{where}: status {(string)run["status"]!}");
                    Assert.True(practice.Length == 2 * (steps + 1) || Math.Sqrt(practice[^2] * practice[^2] + practice[^1] * practice[^1]) > TheoryStudy.EscapeFactor * Math.Sqrt(20),
                        $"{where}: stopped at {practice.Length / 2 - 1} steps short of escaping");
                }
                anyConverges |= converges;
                anyDiverges |= !converges;
            }
        Assert.True(anyConverges && anyDiverges, "the sliders should go from converging to diverging");
        Assert.True(json.Length < 400_000, $"{json.Length} characters");
    }

    private const int Long = 30_000;

    /// <summary>x_{t+1} = (1 + μ − αa) x_t − μ x_{t−1} from x₀ = 1 at rest, iterated in doubles.</summary>
    private static double[] Recurrence(double a, double lr, double momentum, int steps)
    {
        var x = new double[steps + 1];
        x[0] = 1;
        double previous = 1, beta = Math.FusedMultiplyAdd(-lr, a, 1 + momentum); // β as the closed form rounds it
        for (int t = 1; t <= steps; t++)
        {
            x[t] = Math.Abs(x[t - 1]) > 1e150 ? double.PositiveInfinity : beta * x[t - 1] - momentum * previous; // no ∞ − ∞
            previous = x[t - 1];
        }
        return x;
    }

    private static double[] Doubles(JsonNode node) => [.. node.AsArray().Select(v => (double)v!)];
}
