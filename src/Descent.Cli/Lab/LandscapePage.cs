using System.Globalization;
using System.Text.Json.Nodes;
using Descent.Functions;
using Descent.Plotting;

namespace Descent.Cli.Lab;

/// <summary>
/// A landscape's grid as the interactive page reads it (the page's contract is in <c>lab.js</c>): the surface over the
/// frame, and for every optimizer every run with its points, gradient steps, moments and losses. Positions and arrows
/// are 16-bit quanta of the frame (the box widened by half its size on each side), the positions delta-coded, so that
/// the whole lab stays a few megabytes once compressed.
/// </summary>
internal static class LandscapePage
{
    /// <summary>Surface samples per side.</summary>
    public const int SurfaceSize = 160;

    /// <summary>Position quanta across the frame: 14 bits, a fortieth of a pixel on the page's largest canvas.</summary>
    public const int PositionQuanta = 16383;

    /// <summary>Arrow quanta across the frame: 10 bits, about a pixel on the page's largest canvas; arrows need no more.</summary>
    public const int ArrowQuanta = 1023;

    /// <summary>
    /// The most points a run shows on the page: the first 200 steps. The full lab's 500-step runs would more than double
    /// the page (and its 10 MB budget) for paths that have mostly settled by then; their status still counts every step.
    /// </summary>
    public const int MostPoints = 201;

    /// <summary>An arrow longer than sixteen frames is drawn clipped anyway; capping it keeps the numbers short.</summary>
    private const double LongestArrow = 16 * ArrowQuanta;

    /// <summary>True when the landscape is drawn with logarithmic levels: a known minimum and a floor-to-rim range of many decades.</summary>
    public static bool LogLevels(TestFunction f) => f.MinimumValue is not null && f.Name is "rosenbrock" or "beale" or "ill-conditioned-quadratic";

    /// <summary>A heading-style title from a function's name ("ill-conditioned-quadratic" → "Ill-conditioned quadratic").</summary>
    public static string Title(TestFunction f)
    {
        string t = f.Name.Replace('-', ' ');
        t = t.StartsWith("ill conditioned", StringComparison.Ordinal) ? "ill-conditioned" + t["ill conditioned".Length..] : t;
        return t.Length == 0 ? t : char.ToUpperInvariant(t[0]) + t[1..];
    }

    /// <summary>The box widened by half its size on each side: the area the page shows and quantises positions over.</summary>
    public static double[] Frame(TestFunction f)
    {
        double[] lo = f.Lower, hi = f.Upper;
        double w = hi[0] - lo[0], h = hi[1] - lo[1];
        return [lo[0] - w / 2, hi[0] + w / 2, lo[1] - h / 2, hi[1] + h / 2];
    }

    public static JsonObject Data(LandscapeResult r, int steps)
    {
        var f = r.Function;
        double[] frame = Frame(f);
        double[] lo = f.Lower, hi = f.Upper;
        var optimizers = new JsonArray();
        for (int i = 0; i < r.Grids.Count; i++)
            optimizers.Add(Optimizer(f, r.Grids[i], r.Runs[i].Lr, frame, i));
        return new JsonObject
        {
            ["id"] = f.Name,
            ["title"] = Title(f),
            ["formula"] = f.Formula,
            ["remarks"] = f.Remarks,
            ["box"] = Numbers(lo[0], hi[0], lo[1], hi[1]),
            ["frame"] = Numbers(frame),
            ["start"] = Numbers(f.Start),
            ["minima"] = new JsonArray([.. f.GlobalMinima.Select(m => (JsonNode)Numbers(m))]),
            ["fmin"] = f.MinimumValue,
            ["tolerance"] = LandscapeStudy.Tolerance,
            ["steps"] = steps,
            ["quanta"] = new JsonObject { ["xy"] = PositionQuanta, ["arrow"] = ArrowQuanta },
            ["surface"] = Surface(f.Value, frame, LogLevels(f), f.MinimumValue ?? 0),
            ["optimizers"] = optimizers,
        };
    }

    /// <summary>
    /// f sampled on an <paramref name="n"/>² grid over <paramref name="frame"/> (corners included, row 0 at the bottom),
    /// as bytes of a scale from the lowest value to the 98th percentile: the rim of a steep landscape would otherwise
    /// flatten its floor. With <paramref name="log"/>, the scale is of log₁₀(f − <paramref name="fmin"/> + 1e-12).
    /// </summary>
    public static JsonObject Surface(Func<double[], double> f, double[] frame, bool log, double fmin, int n = SurfaceSize)
    {
        var t = new double[n * n];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
            {
                double x = frame[0] + (frame[1] - frame[0]) * i / (n - 1), y = frame[2] + (frame[3] - frame[2]) * j / (n - 1);
                double v = f([x, y]);
                t[j * n + i] = log ? Math.Log10(Math.Max(v - fmin, 0) + 1e-12) : v;
            }
        var sorted = t.Where(double.IsFinite).Order().ToArray();
        // A user's formula may be finite only near its start, between the samples: then the surface is blank, not an error.
        double zmin = sorted.Length > 0 ? sorted[0] : 0, zmax = sorted.Length > 0 ? sorted[(int)(0.98 * (sorted.Length - 1))] : 1;
        if (!(zmax > zmin)) zmax = zmin + 1;
        var z = new JsonArray();
        foreach (double v in t)
            z.Add(double.IsFinite(v) ? (int)Math.Round(255 * Math.Clamp((v - zmin) / (zmax - zmin), 0, 1)) : 255);
        return new JsonObject { ["nx"] = n, ["ny"] = n, ["log"] = log, ["z"] = z, ["zmin"] = zmin, ["zmax"] = zmax };
    }

    private static JsonObject Optimizer(TestFunction f, OptimizerGrid grid, double defaultLr, double[] frame, int index)
    {
        var entry = grid.Entry;
        var runs = new JsonArray();
        foreach (var run in grid.Runs) runs.Add(Run(f, run, frame));
        return new JsonObject
        {
            ["name"] = entry.Name,
            ["title"] = entry.Info.Title,
            ["color"] = OptimizerPalette.GetHex(entry.Name, index),
            ["principle"] = entry.Summary,
            ["lrs"] = Numbers(grid.Lrs),
            ["momentum"] = grid.Momentum is { } m ? new JsonObject { ["label"] = m.Label, ["values"] = Numbers(m.Values) } : null,
            ["default"] = new JsonObject { ["lr"] = defaultLr, ["momentum"] = grid.Momentum?.Preset },
            ["runs"] = runs,
        };
    }

    /// <summary>One run, recorded up to the first point that is not finite or lies outside the frame.</summary>
    private static JsonObject Run(TestFunction f, GridRun run, double[] frame)
    {
        double sx = 1 / (frame[1] - frame[0]), sy = 1 / (frame[3] - frame[2]);
        int n = 0;
        while (n < Math.Min(run.Points.Count, MostPoints) && InFrame(run.Points[n], frame) && double.IsFinite(run.Losses[n]) && Finite(run.Gradients[n])) n++;
        var positions = run.Points.Take(n).Select(p => new[] { (p[0] - frame[0]) * sx, (p[1] - frame[2]) * sy }).ToList();
        double fmin = f.MinimumValue ?? 0;
        return new JsonObject
        {
            ["lr"] = run.Lr,
            ["momentum"] = run.Momentum,
            ["status"] = run.Status.ToString().ToLowerInvariant(),
            ["reached"] = run.Reached,
            ["final"] = double.IsFinite(run.FinalGap) ? Significant(run.FinalGap, 4) : null,
            ["inBox"] = run.InBox,
            ["at"] = n < Math.Min(run.Points.Count, MostPoints) ? n : null,
            ["n"] = n,
            ["xy"] = DeltaCoded(positions, n, PositionQuanta, 1, 1, PositionQuanta),
            ["g"] = DeltaCoded(run.Gradients, n, ArrowQuanta, sx, sy, LongestArrow),
            ["m"] = run.Moments is null ? null : DeltaCoded(run.Moments, Math.Max(0, n - 1), ArrowQuanta, sx, sy, LongestArrow),
            ["loss"] = Numbers(run.Losses.Take(n).Select(l => l - fmin), 3),
        };
    }

    private static bool Finite(double[] v) => double.IsFinite(v[0]) && double.IsFinite(v[1]);

    private static bool InFrame(double[] p, double[] frame) =>
        p[0] >= frame[0] && p[0] <= frame[1] && p[1] >= frame[2] && p[1] <= frame[3];

    /// <summary>
    /// The first <paramref name="count"/> pairs scaled by (<paramref name="sx"/>, <paramref name="sy"/>) into
    /// <paramref name="quanta"/> per unit, as [a₀, b₀, a₁ − a₀, b₁ − b₀, …]: a smooth path's differences are small numbers that
    /// compress to about a byte. Values are capped at ±<paramref name="limit"/> quanta.
    /// </summary>
    private static JsonArray DeltaCoded(IReadOnlyList<double[]> pairs, int count, int quanta, double sx, double sy, double limit)
    {
        var a = new JsonArray();
        long pa = 0, pb = 0;
        for (int t = 0; t < Math.Min(count, pairs.Count); t++)
        {
            long qa = Quantum(pairs[t][0] * sx * quanta, limit), qb = Quantum(pairs[t][1] * sy * quanta, limit);
            a.Add(qa - pa);
            a.Add(qb - pb);
            (pa, pb) = (qa, qb);
        }
        return a;
    }

    private static long Quantum(double v, double limit) => double.IsFinite(v) ? (long)Math.Round(Math.Clamp(v, -limit, limit)) : 0;

    /// <summary><paramref name="v"/> to <paramref name="digits"/> significant digits: what a readout shows, and far shorter in the page than 17.</summary>
    public static double Significant(double v, int digits) =>
        double.Parse(v.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Numbers as a JSON array, each to <paramref name="digits"/> significant digits when given.</summary>
    public static JsonArray Numbers(IEnumerable<double> values, int? digits = null) =>
        new([.. values.Select(v => (JsonNode)(digits is int d ? Significant(v, d) : v))]);

    private static JsonArray Numbers(params double[] values) => Numbers((IEnumerable<double>)values);
}
