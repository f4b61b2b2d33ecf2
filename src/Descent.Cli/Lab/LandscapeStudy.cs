using System.Diagnostics;
using Descent.Cli.Catalog;
using Descent.Functions;
using Descent.Optim;

namespace Descent.Cli.Lab;

/// <summary>One optimizer's run on one landscape, at the learning rate the search picked.</summary>
internal sealed record LandscapeRun(
    string Optimizer, double Lr, double[] Xs, double[] Ys, double[] Losses, double[] GradientNorms,
    double FinalLoss, double? DistanceToMinimum, int? IterationsToTolerance, double Seconds, string StopReason);

/// <summary>Every optimizer's run on one landscape.</summary>
internal sealed record LandscapeResult(TestFunction Function, IReadOnlyList<LandscapeRun> Runs, IReadOnlyList<OptimizerGrid> Grids);

/// <summary>
/// Runs each optimizer on a 2-D test function from its recommended start. Unless the user fixes the learning rate, each
/// optimizer's rate is picked by a log-spaced search: every rate of the grid runs the full budget, a run that diverges
/// (a non-finite loss, or a point further than ten box-widths from the box) is discarded, and the calm default wins:
/// the smallest rate that reaches the tolerance without leaving the picture (see <see cref="SearchLr"/>).
/// </summary>
internal static class LandscapeStudy
{
    /// <summary>The loss gap to the known minimum that counts as "reached".</summary>
    public const double Tolerance = 1e-4;

    public static double[] LrGrid(bool quick) => quick
        ? [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1]
        : [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1, 2];

    public static LandscapeResult Run(TestFunction f, IReadOnlyList<OptimizerEntry> optimizers, int steps, bool quick, double? fixedLr)
    {
        var runs = new List<LandscapeRun>();
        var grids = new List<OptimizerGrid>();
        foreach (var entry in optimizers)
        {
            // LBFGS does up to 20 inner iterations per step and its line search sets the step length: fewer steps, its own rate.
            bool ownStep = entry.Info.ChoosesStepLength;
            int budget = ownStep ? Math.Max(5, steps / 20) : steps;
            double[] lrs = fixedLr is double given ? [given] : ownStep ? [entry.DefaultLr] : LrGrid(quick);
            var grid = LandscapeGrid.Run(f, entry, lrs, budget);
            double lr = lrs.Length == 1 ? lrs[0] : PickCalm(f, [.. grid.AtPresetMomentum]);
            runs.Add(Measure(f, entry, lr, budget));
            grids.Add(grid);
        }
        return new LandscapeResult(f, runs, grids);
    }

    /// <summary>The calm default rate of <paramref name="entry"/> on <paramref name="f"/> over <paramref name="grid"/>, at its own momentum (see <see cref="PickCalm"/>).</summary>
    internal static double SearchLr(TestFunction f, OptimizerEntry entry, int steps, double[] grid) =>
        PickCalm(f, [.. LandscapeGrid.Run(f, entry, grid, steps, presetMomentumOnly: true).Runs]);

    /// <summary>
    /// The calm default: among the rates whose whole path stays in the plotted box, the smallest one that reaches the
    /// tolerance within the budget; when none reaches it, the smallest rate scoring nearly as well as the best one in
    /// the box. Only when every path leaves the box does the search fall back to the best score overall (and when every
    /// run diverges, to the smallest rate). So no path leaves the picture at its default rate, and none is more
    /// aggressive than it needs to be.
    /// </summary>
    internal static double PickCalm(TestFunction f, IReadOnlyList<GridRun> runs)
    {
        var scored = runs.Where(r => r.Score is not null).ToList();
        if (scored.Count == 0) return runs.Min(r => r.Lr);
        var inBox = scored.Where(s => s.InBox).ToList();
        if (inBox.Any(s => s.Status == GridStatus.Reached)) return inBox.Where(s => s.Status == GridStatus.Reached).Min(s => s.Lr);
        var candidates = inBox.Count > 0 ? inBox : scored;
        // Among the rates that do nearly as well as the best, the smallest: it draws the calmest path.
        double best = candidates.Min(s => s.Score!.Value);
        double slack = f.MinimumValue is null ? 1e-9 * Math.Abs(best) : NearlyAsGood;
        return candidates.Where(s => s.Score <= best + slack).Min(s => s.Lr);
    }

    /// <summary>True when a point lies in the plotting box (the picture).</summary>
    public static bool InBox(TestFunction f, double[] p) => InBox(f.Lower, f.Upper, p);

    /// <summary>True when a point lies in the box [<paramref name="lower"/>, <paramref name="upper"/>]: for a whole path, take the bounds once (<see cref="TestFunction.Lower"/> is a copy).</summary>
    internal static bool InBox(double[] lower, double[] upper, double[] p)
    {
        for (int i = 0; i < p.Length; i++)
            if (!(p[i] >= lower[i] && p[i] <= upper[i])) return false;
        return true;
    }

    /// <summary>How far (in decades of mean loss gap) a rate may trail the best one and still be picked.</summary>
    private const double NearlyAsGood = 0.25;

    /// <summary>
    /// How good a run is, lower being better: with a known minimum, the mean over the run of log₁₀(f − f*) — the area
    /// under the loss curve on a log scale, which rewards getting close early and staying close, not a lucky last
    /// jump; without one (saddles), the final loss.
    /// </summary>
    internal static double Score(TestFunction f, MinimizeResult result) => f.MinimumValue is double min
        ? result.Losses.Average(l => Math.Log10(Math.Max(l - min, 1e-12)))
        : result.Loss;

    /// <summary>One optimizer at one rate from the function's start, stopped after the budget or once it escapes.</summary>
    internal static MinimizeResult Run(TestFunction f, OptimizerEntry entry, double lr, int steps) =>
        Run(f, entry, new Dictionary<string, double> { ["lr"] = lr }, steps);

    /// <summary>
    /// One optimizer built from <paramref name="given"/> over its preset, from the function's start, stopped after the
    /// budget or once it escapes; <paramref name="observe"/> sees each point with the optimizer and the parameter tensor
    /// (whose gradient is that point's).
    /// </summary>
    internal static MinimizeResult Run(TestFunction f, OptimizerEntry entry, IReadOnlyDictionary<string, double> given, int steps,
        Action<IterationInfo, Optimizer, Tensor>? observe = null)
    {
        double[] lower = f.Lower, upper = f.Upper; // copies: taken once per run, not per step
        var stop = new StoppingCriteria { MaxIterations = steps, StopWhen = info => Escaped(lower, upper, info.Point) };
        var (x, fx) = Minimizer.StartFor(f.Value, f.Start, entry.Info); // a row matrix for an optimizer of matrices
        var optimizer = entry.Build([x], given);
        return Minimizer.Minimize(fx, x, optimizer, stop, observe is null ? null : info => observe(info, optimizer, x), recordTrajectory: true);
    }

    /// <summary>The first iteration whose loss is within <see cref="Tolerance"/> of the known minimum, or null (none reached, or no known minimum).</summary>
    internal static int? IterationsToTolerance(TestFunction f, IReadOnlyList<double> losses)
    {
        if (f.MinimumValue is not double min) return null;
        for (int i = 0; i < losses.Count; i++)
            if (losses[i] - min <= Tolerance) return i;
        return null;
    }

    /// <summary>True when a point has left the plotting box by more than ten box-widths: the run is heading to infinity.</summary>
    private static bool Escaped(double[] lower, double[] upper, double[] p)
    {
        for (int i = 0; i < p.Length; i++)
        {
            double width = upper[i] - lower[i];
            if (!double.IsFinite(p[i]) || p[i] < lower[i] - 10 * width || p[i] > upper[i] + 10 * width) return true;
        }
        return false;
    }

    private static LandscapeRun Measure(TestFunction f, OptimizerEntry entry, double lr, int steps)
    {
        var clock = Stopwatch.StartNew();
        var result = Run(f, entry, lr, steps);
        double seconds = clock.Elapsed.TotalSeconds;
        var xs = result.Trajectory.Select(p => p[0]).ToArray();
        var ys = result.Trajectory.Select(p => p[1]).ToArray();
        double? distance = f.GlobalMinima.Count == 0 ? null
            : f.GlobalMinima.Min(m => Math.Sqrt(m.Zip(result.Point, (a, b) => (a - b) * (a - b)).Sum()));
        int? reached = IterationsToTolerance(f, result.Losses);
        string reason = result.StopReason == StopReason.Custom ? "escaped" : result.StopReason.ToString();
        return new LandscapeRun(entry.Name, lr, xs, ys, [.. result.Losses], [.. result.GradientNorms], result.Loss, distance, reached, seconds, reason);
    }
}
