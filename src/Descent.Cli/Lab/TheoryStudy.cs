using System.Globalization;
using System.Text.Json.Nodes;
using Descent.Functions;
using Descent.Optim;

namespace Descent.Cli.Lab;

/// <summary>One run of momentum on the quadratic: Descent's iterates beside the closed form's, points flattened (x₀, y₀, x₁, y₁, …).</summary>
internal sealed record TheoryRun(double Lr, double Momentum, double[] Practice, double[] Theory, double[] Rates, double Gap)
{
    /// <summary>The spectral radius of the whole run: its slowest direction's rate.</summary>
    public double Radius => Rates.Max();

    /// <summary>Every direction's rate is below 1.</summary>
    public bool Converges => Radius < 1;

    /// <summary>The recorded points (steps 0 … Points − 1).</summary>
    public int Points => Practice.Length / Rates.Length;
}

/// <summary>
/// Theory drawn over practice: on Descent's ill-conditioned quadratic, SGD with momentum μ (μ = 0: gradient descent) is
/// run by the library and predicted by <see cref="QuadraticTheory"/> over a grid of learning rates and momenta, and
/// the two are written as the lab page's "Theory JSON".
/// </summary>
internal static class TheoryStudy
{
    /// <summary>The quadratic studied: the registry's own, so that the iterates are Descent's.</summary>
    public static TestFunction Function() => TestFunctions.ByName("ill-conditioned-quadratic");

    /// <summary>A run stops being recorded once the point is this many times further from the minimum than the start.</summary>
    public const double EscapeFactor = 1e3;

    /// <summary>A diverging run keeps at least this many steps, so that the way it leaves shows.</summary>
    public const int MinSteps = 4;

    /// <summary>
    /// Goh's optimal heavy ball for curvatures in [a_min, a_max]: α = (2 / (√a_min + √a_max))², μ = ((√κ − 1)/(√κ + 1))²,
    /// where both extreme directions sit on a double root and converge at the same rate √μ.
    /// </summary>
    public static (double Lr, double Momentum) Optimum(double aMin, double aMax)
    {
        double sMin = Math.Sqrt(aMin), sMax = Math.Sqrt(aMax);
        double lr = 4 / ((sMin + sMax) * (sMin + sMax));
        double q = (sMax - sMin) / (sMax + sMin); // (√κ − 1)/(√κ + 1)
        return (lr, q * q);
    }

    /// <summary>
    /// The learning rates: from calm to past the stability edge 2(1 + μ)/a_max of every momentum (so a slider goes from
    /// converging through oscillating to diverging), with the optimum's rate among them.
    /// </summary>
    public static double[] Lrs(double aMax, double optimumLr)
    {
        double edge = 2 / aMax; // plain gradient descent's edge; momentum μ moves it to (1 + μ) times this
        double[] fractions = [0.05, 0.1, 0.25, 0.5, 0.75, 1.25, 2.25];
        return [.. fractions.Select(k => LandscapePage.Significant(k * edge, 3)).Append(optimumLr).Distinct().Order()];
    }

    /// <summary>The momenta: the usual ones and the optimum's.</summary>
    public static double[] Momenta(double optimumMomentum) => [.. new[] { 0, 0.5, optimumMomentum, 0.8, 0.9, 0.99 }.Distinct().Order()];

    /// <summary>The lab page's "Theory JSON" (see the page contract): surface, grid, default and every run.</summary>
    public static JsonObject Data(bool quick)
    {
        var f = Function();
        double[] a = QuadraticTheory.Curvatures(f);
        double aMin = a.Min(), aMax = a.Max();
        var (lr0, mu0) = Optimum(aMin, aMax);
        double[] lrs = Lrs(aMax, lr0), momenta = Momenta(mu0);
        int steps = quick ? 60 : 100;
        var runs = new JsonArray();
        foreach (double mu in momenta)
            foreach (double lr in lrs)
                runs.Add(RunJson(Run(f, a, lr, mu, steps), a, f.Start));
        double[] lower = f.Lower, upper = f.Upper;
        return new JsonObject
        {
            ["title"] = "Momentum on an ill-conditioned quadratic: theory over practice",
            ["formula"] = Formula(a),
            ["a"] = LandscapePage.Numbers(a),
            ["kappa"] = aMax / aMin,
            ["start"] = LandscapePage.Numbers(f.Start),
            ["box"] = LandscapePage.Numbers([lower[0], upper[0], lower[1], upper[1]]),
            ["steps"] = steps,
            ["surface"] = LandscapePage.Surface(f.Value, [lower[0], upper[0], lower[1], upper[1]], log: true, f.MinimumValue ?? 0, quick ? 80 : LandscapePage.SurfaceSize),
            ["lrs"] = LandscapePage.Numbers(lrs),
            ["momenta"] = LandscapePage.Numbers(momenta),
            ["default"] = new JsonObject { ["lr"] = lr0, ["momentum"] = mu0 },
            ["runs"] = runs,
        };
    }

    /// <summary>
    /// SGD on <paramref name="f"/> from its start for up to <paramref name="steps"/> steps (recording stops once the point
    /// has gone <see cref="EscapeFactor"/> times further out than the start, after at least <see cref="MinSteps"/>), and
    /// the closed form at the same steps, direction by direction with curvatures <paramref name="a"/>.
    /// </summary>
    public static TheoryRun Run(TestFunction f, double[] a, double lr, double momentum, int steps)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(a);
        double[] start = f.Start;
        double limit = EscapeFactor * Norm(start);
        var stop = new StoppingCriteria { MaxIterations = steps, StopWhen = info => info.Iteration >= MinSteps && Norm(info.Point) > limit };
        var result = Minimizer.Minimize(f.Value, start, x => new SGD([x], lr, momentum), stop);
        int n = result.Trajectory.Count, d = start.Length;
        var practice = new double[n * d];
        var theory = new double[n * d];
        for (int i = 0; i < d; i++)
        {
            double[] closed = QuadraticTheory.Iterates(a[i], lr, momentum, start[i], n - 1);
            for (int t = 0; t < n; t++)
            {
                practice[t * d + i] = result.Trajectory[t][i];
                theory[t * d + i] = closed[t];
            }
        }
        double[] rates = [.. a.Select(ai => QuadraticTheory.Rate(ai, lr, momentum))];
        return new TheoryRun(lr, momentum, practice, theory, rates, Gap(practice, theory, d) / Norm(start));
    }

    /// <summary>The largest distance between the two paths' points at the same step.</summary>
    private static double Gap(double[] practice, double[] theory, int d)
    {
        double gap = 0;
        for (int t = 0; t < practice.Length; t += d)
            gap = Math.Max(gap, Norm(practice.AsSpan(t, d), theory.AsSpan(t, d)));
        return gap;
    }

    private static JsonObject RunJson(TheoryRun run, double[] a, double[] start) => new()
    {
        // |x₀ᵢ|·rᵢᵗ(1 + |kᵢ|t) per step and direction: the bound the closed form gives, which the errors stay under.
        ["envelope"] = LandscapePage.Numbers([.. Enumerable.Range(0, run.Points).SelectMany(t => a.Select((ai, i) => Math.Abs(start[i]) * QuadraticTheory.Envelope(ai, run.Lr, run.Momentum, t)))], 3),
        ["lr"] = run.Lr,
        ["momentum"] = run.Momentum,
        ["practice"] = LandscapePage.Numbers(run.Practice, 9),
        ["theory"] = LandscapePage.Numbers(run.Theory, 9),
        ["rates"] = LandscapePage.Numbers(run.Rates),
        ["radius"] = run.Radius,
        ["gap"] = LandscapePage.Significant(run.Gap, 3),
        ["status"] = run.Converges ? "converges" : "diverges",
    };

    /// <summary>"f(x, y) = ½ (x² + 100 y²)" for curvatures [1, 100].</summary>
    private static string Formula(double[] a)
    {
        static string Term(double ai, string v) => (ai == 1 ? "" : ai.ToString("G6", CultureInfo.InvariantCulture) + " ") + v + "²";
        return $"f(x, y) = ½ ({Term(a[0], "x")} + {Term(a[1], "y")})";
    }

    private static double Norm(ReadOnlySpan<double> p)
    {
        double sum = 0;
        foreach (double v in p) sum += v * v;
        return Math.Sqrt(sum);
    }

    private static double Norm(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        double sum = 0;
        for (int i = 0; i < p.Length; i++) sum += (p[i] - q[i]) * (p[i] - q[i]);
        return Math.Sqrt(sum);
    }
}
