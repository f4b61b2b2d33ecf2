using System.Text.Json.Nodes;
using Descent.Cli.Catalog;
using Descent.Cli.Lab;
using Descent.Functions;

namespace Descent.Cli.Tests;

/// <summary>
/// The interactive page's data for a landscape, decoded as the page decodes it: the positions are the runs' points,
/// the arrows are −α∇f and −α·(momentum buffer), every cell of the grid is there, and each default is one of its cells.
/// </summary>
public class LandscapePageTests
{
    private const int Steps = 60;

    private static readonly Lazy<(LandscapeResult Result, JsonObject Page)> Rosenbrock = new(() =>
    {
        var f = TestFunctions.ByName("rosenbrock");
        var optimizers = new[] { "gd", "momentum", "adam", "lbfgs" }.Select(OptimizerCatalog.Find).ToList();
        var result = LandscapeStudy.Run(f, optimizers, Steps, quick: true, fixedLr: null);
        return (result, LandscapePage.Data(result, Steps));
    });

    private static JsonObject Optimizer(string name) =>
        Rosenbrock.Value.Page["optimizers"]!.AsArray().Select(o => o!.AsObject()).Single(o => (string)o["name"]! == name);

    private static double[][] Decode(JsonArray coded, double scale0, double scale1)
    {
        var pairs = new double[coded.Count / 2][];
        long a = 0, b = 0;
        for (int t = 0; t < pairs.Length; t++)
        {
            a += (long)coded[2 * t]!;
            b += (long)coded[2 * t + 1]!;
            pairs[t] = [a * scale0, b * scale1];
        }
        return pairs;
    }

    [Fact]
    public void EveryCellOfTheGridIsARunAndTheDefaultIsOneOfThem()
    {
        var momentum = Optimizer("momentum");
        var lrs = momentum["lrs"]!.AsArray().Select(v => (double)v!).ToArray();
        var values = momentum["momentum"]!["values"]!.AsArray().Select(v => (double)v!).ToArray();
        Assert.Equal(LandscapeStudy.LrGrid(quick: true), lrs);
        Assert.Equal([0.5, 0.8, 0.9, 0.99], values);
        var runs = momentum["runs"]!.AsArray();
        Assert.Equal(lrs.Length * values.Length, runs.Count);
        for (int mi = 0; mi < values.Length; mi++)
            for (int li = 0; li < lrs.Length; li++)
            {
                Assert.Equal(lrs[li], (double)runs[mi * lrs.Length + li]!["lr"]!);
                Assert.Equal(values[mi], (double)runs[mi * lrs.Length + li]!["momentum"]!);
            }
        Assert.Contains((double)momentum["default"]!["lr"]!, lrs);
        Assert.Equal(0.9, (double)momentum["default"]!["momentum"]!);

        var gd = Optimizer("gd");
        Assert.Null(gd["momentum"]);
        Assert.Equal(lrs.Length, gd["runs"]!.AsArray().Count);
        var lbfgs = Optimizer("lbfgs");
        Assert.Single(lbfgs["runs"]!.AsArray());
    }

    [Fact]
    public void PositionsDecodeToTheRunsPointsWithinAQuantum()
    {
        var (result, page) = Rosenbrock.Value;
        var frame = page["frame"]!.AsArray().Select(v => (double)v!).ToArray();
        int q = (int)page["quanta"]!["xy"]!;
        var grid = result.Grids.Single(g => g.Entry.Name == "adam");
        var json = Optimizer("adam")["runs"]!.AsArray();
        for (int i = 0; i < grid.Runs.Count; i++)
        {
            var run = grid.Runs[i];
            int n = (int)json[i]!["n"]!;
            var points = Decode(json[i]!["xy"]!.AsArray(), (frame[1] - frame[0]) / q, (frame[3] - frame[2]) / q);
            Assert.Equal(n, points.Length);
            for (int t = 0; t < n; t++)
            {
                Assert.Equal(run.Points[t][0], frame[0] + points[t][0], (frame[1] - frame[0]) / q);
                Assert.Equal(run.Points[t][1], frame[2] + points[t][1], (frame[3] - frame[2]) / q);
            }
            Assert.Equal(n, json[i]!["loss"]!.AsArray().Count);
            // A run stops being recorded only where it left the frame (or diverged).
            if (json[i]!["at"] is null) Assert.Equal(run.Points.Count, n);
            else
            {
                var p = run.Points[n];
                Assert.True(!(p[0] >= frame[0] && p[0] <= frame[1] && p[1] >= frame[2] && p[1] <= frame[3]) || !double.IsFinite(run.Losses[n]),
                    $"adam at lr {run.Lr}: recording stopped at {n}, inside the frame");
                Assert.False(run.InBox);
            }
        }
    }

    [Fact]
    public void ArrowsAreTheGradientStepAndTheMomentumStep()
    {
        var (_, page) = Rosenbrock.Value;
        var f = TestFunctions.ByName("rosenbrock");
        var frame = page["frame"]!.AsArray().Select(v => (double)v!).ToArray();
        int qx = (int)page["quanta"]!["xy"]!, qa = (int)page["quanta"]!["arrow"]!;
        double w = frame[1] - frame[0], h = frame[3] - frame[2];
        var momentum = Optimizer("momentum");
        int checkedRuns = 0;
        foreach (var run in momentum["runs"]!.AsArray().Select(r => r!.AsObject()).Where(r => (int)r["n"]! > 10))
        {
            double lr = (double)run["lr"]!;
            var points = Decode(run["xy"]!.AsArray(), w / qx, h / qx);
            var g = Decode(run["g"]!.AsArray(), w / qa, h / qa);
            var m = Decode(run["m"]!.AsArray(), w / qa, h / qa);
            Assert.Equal(points.Length, g.Length);
            Assert.Equal(points.Length - 1, m.Length);
            for (int t = 0; t + 1 < points.Length; t++)
            {
                var grad = f.Gradient([frame[0] + points[t][0], frame[2] + points[t][1]]);
                // The gradient at the decoded point differs from the gradient at the true point by the curvature times a quantum.
                double slack = 2 * w / qa + lr * 2000 * w / qx;
                if (Math.Abs(lr * grad[0]) < 16 * w) Assert.Equal(-lr * grad[0], g[t][0], slack);
                // SGD with momentum steps by −α·b exactly: the moment arrow is the step taken.
                Assert.Equal(points[t + 1][0] - points[t][0], m[t][0], 2 * w / qa + 2 * w / qx);
                Assert.Equal(points[t + 1][1] - points[t][1], m[t][1], 2 * h / qa + 2 * h / qx);
            }
            checkedRuns++;
        }
        Assert.True(checkedRuns >= 8, $"only {checkedRuns} runs were recorded for more than 10 steps");
        Assert.All(Optimizer("gd")["runs"]!.AsArray(), r => Assert.Null(r!["m"]));
        Assert.All(Optimizer("adam")["runs"]!.AsArray(), r => Assert.NotNull(r!["m"]));
    }

    [Fact]
    public void StatusesMatchTheLosses()
    {
        var (result, _) = Rosenbrock.Value;
        foreach (var run in result.Grids.SelectMany(g => g.Runs))
        {
            switch (run.Status)
            {
                case GridStatus.Reached:
                    Assert.True(run.Losses[run.Reached!.Value] <= LandscapeStudy.Tolerance);
                    Assert.All(run.Losses.Take(run.Reached.Value), l => Assert.True(l > LandscapeStudy.Tolerance));
                    break;
                case GridStatus.Stalled:
                    Assert.All(run.Losses, l => Assert.True(l > LandscapeStudy.Tolerance && double.IsFinite(l)));
                    break;
                case GridStatus.Diverged:
                    Assert.Null(run.Score);
                    break;
                default:
                    Assert.Fail($"rosenbrock has a known minimum, yet a run is {run.Status}");
                    break;
            }
        }
        Assert.Contains(result.Grids.SelectMany(g => g.Runs), r => r.Status == GridStatus.Diverged);
        Assert.Contains(result.Grids.SelectMany(g => g.Runs), r => r.Status == GridStatus.Reached);
    }
}
