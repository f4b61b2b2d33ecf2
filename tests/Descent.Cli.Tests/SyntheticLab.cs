using System.Text.Json;

namespace Descent.Cli.Tests;

/// <summary>
/// Small lab data made in the test, following the page contract (lab-index, one gzip+base64 blob per landscape and
/// one for the theory): two landscapes (a bowl with a known minimum, a saddle without), three optimizers (gd without
/// momentum, momentum and adam with), and SGD with momentum on a quadratic for the theory widget.
/// </summary>
internal static class SyntheticLab
{
    private const int Quanta = 65535;

    private sealed record Landscape(string Id, string Title, Func<double, double, double> F, Func<double, double, (double, double)> Grad,
        double? Fmin, double[] Box, double[] Start, double[][] Minima, bool Log);

    private sealed record Optimizer(string Name, string Title, string Color, string? MomentumLabel, double[]? Momenta, double DefaultMomentum);

    private static readonly double[] Lrs = [0.01, 0.03, 0.1, 0.3, 0.6];

    private static readonly Optimizer[] Optimizers =
    [
        new("gd", "Gradient descent", "#1f77b4", null, null, 0),
        new("momentum", "Momentum", "#ff7f0e", "β", [0.5, 0.9], 0.9),
        new("adam", "Adam", "#2ca02c", "β₁", [0.8, 0.9], 0.9),
    ];

    private static readonly Landscape[] Landscapes =
    [
        new("bowl", "Bowl", (x, y) => (x * x + 4 * y * y) / 2, (x, y) => (x, 4 * y), 0, [-2, 2, -2, 2], [-1.5, 1.2], [[0, 0]], Log: true),
        new("saddle", "Saddle", (x, y) => (x * x - y * y) / 2, (x, y) => (x, -y), null, [-2, 2, -2, 2], [-1.5, 0.05], [], Log: false),
    ];

    /// <summary>The report data: the index, then the landscapes' and the theory's blobs.</summary>
    public static IReadOnlyList<Descent.Plotting.ReportData> Data()
    {
        var index = new
        {
            landscapes = Landscapes.Select(l => new { id = l.Id, title = l.Title, data = "lab-data-" + l.Id }),
            theory = "lab-theory",
        };
        var data = new List<Descent.Plotting.ReportData> { new("lab-index", JsonSerializer.Serialize(index), false) };
        data.AddRange(Landscapes.Select(l => new Descent.Plotting.ReportData("lab-data-" + l.Id, JsonSerializer.Serialize(LandscapeJson(l)), true)));
        data.Add(new("lab-theory", JsonSerializer.Serialize(Theory()), true));
        return data;
    }

    private static object LandscapeJson(Landscape l)
    {
        double[] box = l.Box;
        double w = box[1] - box[0], h = box[3] - box[2];
        double[] frame = [box[0] - w / 2, box[1] + w / 2, box[2] - h / 2, box[3] + h / 2];
        const int steps = 60;
        return new
        {
            id = l.Id, title = l.Title, formula = "f(x, y) = …", remarks = "A synthetic landscape of the tests.",
            box, frame, start = l.Start, minima = l.Minima, fmin = l.Fmin, tolerance = 1e-4, steps,
            surface = Surface((x, y) => l.F(x, y) - (l.Fmin ?? 0), frame, l.Log),
            optimizers = Optimizers.Select(o => new
            {
                name = o.Name, title = o.Title, color = o.Color, lrs = Lrs,
                momentum = o.Momenta is null ? null : new { label = o.MomentumLabel, values = o.Momenta },
                @default = new { lr = 0.1, momentum = o.Momenta is null ? (double?)null : o.DefaultMomentum },
                principle = o.Title + " steps against the gradient.",
                runs = (o.Momenta ?? [double.NaN]).SelectMany(m => Lrs.Select(lr => Run(l, o, lr, m, frame, steps))).ToArray(),
            }),
        };
    }

    /// <summary>One run recorded as the contract says: quantised positions (first absolute, then deltas), g and m in quanta.</summary>
    private static object Run(Landscape l, Optimizer o, double lr, double momentum, double[] frame, int steps)
    {
        double sx = Quanta / (frame[1] - frame[0]), sy = Quanta / (frame[3] - frame[2]);
        double x = l.Start[0], y = l.Start[1], vx = 0, vy = 0, mx = 0, my = 0, ax = 0, ay = 0;
        var xy = new List<int>(); var g = new List<int>(); var m = new List<int>(); var loss = new List<double>();
        int qx = 0, qy = 0;
        int? at = null, reached = null;
        bool inBox = true;
        for (int t = 0; t <= steps; t++)
        {
            int nx = (int)Math.Round((x - frame[0]) * sx), ny = (int)Math.Round((y - frame[2]) * sy);
            xy.Add(nx - qx); xy.Add(ny - qy); qx = nx; qy = ny;
            double f = l.F(x, y) - (l.Fmin ?? 0);
            loss.Add(double.Parse(f.ToString("G4", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture));
            if (l.Fmin is not null && reached is null && f <= 1e-4) reached = t;
            inBox &= x >= l.Box[0] && x <= l.Box[1] && y >= l.Box[2] && y <= l.Box[3];
            var (gx, gy) = l.Grad(x, y);
            g.Add((int)Math.Round(-lr * gx * sx)); g.Add((int)Math.Round(-lr * gy * sy));
            if (t == steps) break;
            double dx, dy;
            switch (o.Name)
            {
                case "gd": dx = -lr * gx; dy = -lr * gy; break;
                case "momentum": vx = momentum * vx + gx; vy = momentum * vy + gy; dx = -lr * vx; dy = -lr * vy; break;
                default:
                    mx = momentum * mx + (1 - momentum) * gx; my = momentum * my + (1 - momentum) * gy;
                    ax = 0.999 * ax + 0.001 * gx * gx; ay = 0.999 * ay + 0.001 * gy * gy;
                    double c1 = 1 - Math.Pow(momentum, t + 1), c2 = 1 - Math.Pow(0.999, t + 1);
                    dx = -lr * mx / c1 / (Math.Sqrt(ax / c2) + 1e-8); dy = -lr * my / c1 / (Math.Sqrt(ay / c2) + 1e-8);
                    vx = mx / c1; vy = my / c1;
                    break;
            }

            if (o.Momenta is not null) { m.Add((int)Math.Round(-lr * vx * sx)); m.Add((int)Math.Round(-lr * vy * sy)); }
            x += dx; y += dy;
            if (x < frame[0] || x > frame[1] || y < frame[2] || y > frame[3]) { at = t + 1; inBox = false; break; }
        }

        int n = loss.Count;
        if (o.Momenta is not null && m.Count / 2 > n - 1) m.RemoveRange(2 * (n - 1), m.Count - 2 * (n - 1));
        string status = at is not null ? "diverged" : l.Fmin is null ? "finished" : reached is not null ? "reached" : "stalled";
        return new
        {
            lr, momentum = o.Momenta is null ? (double?)null : momentum, status, reached, final = loss[^1], inBox, at, n,
            xy, g, m = o.Momenta is null ? null : m, loss,
        };
    }

    private static object Surface(Func<double, double, double> f, double[] rect, bool log)
    {
        const int nx = 48, ny = 40;
        var t = new double[nx * ny];
        for (int j = 0; j < ny; j++)
        {
            for (int i = 0; i < nx; i++)
            {
                double v = f(rect[0] + i * (rect[1] - rect[0]) / (nx - 1), rect[2] + j * (rect[3] - rect[2]) / (ny - 1));
                t[j * nx + i] = log ? Math.Log10(Math.Max(v, 0) + 1e-12) : v;
            }
        }

        double zmin = Math.Max(t.Min(), log ? -6 : double.MinValue), zmax = t.Max();
        return new { nx, ny, log, zmin, zmax, z = t.Select(v => (int)Math.Round(255 * (Math.Clamp(v, zmin, zmax) - zmin) / (zmax - zmin))) };
    }

    /// <summary>SGD with momentum on f = (x² + 10 y²)/2: the iterates, the same recurrence per direction as "theory", rates and gap.</summary>
    private static object Theory()
    {
        double[] a = [1, 10], start = [-4, 2], box = [-5, 5, -3, 3];
        double[] lrs = [0.05, 0.1, 0.19, 0.21], momenta = [0, 0.5, 0.9];
        const int steps = 40;
        var runs = momenta.SelectMany(beta => lrs.Select(lr =>
        {
            var practice = new List<double>(); var theory = new List<double>();
            double x = start[0], y = start[1], vx = 0, vy = 0, gap = 0;
            double[] rates = a.Select(ai => Radius(1 + beta - lr * ai, beta)).ToArray();
            for (int t = 0; t <= steps; t++)
            {
                practice.Add(x); practice.Add(y);
                double tx = Closed(start[0], a[0], lr, beta, t), ty = Closed(start[1], a[1], lr, beta, t);
                theory.Add(tx); theory.Add(ty);
                gap = Math.Max(gap, Math.Max(Math.Abs(x - tx), Math.Abs(y - ty)) / Math.Sqrt(20));
                vx = beta * vx + a[0] * x; vy = beta * vy + a[1] * y; x -= lr * vx; y -= lr * vy;
            }

            return new { lr, momentum = beta, practice, theory, rates, radius = rates.Max(), gap, status = rates.Max() < 1 ? "converges" : "diverges" };
        })).ToArray();
        return new
        {
            title = "Ill-conditioned quadratic", formula = "f = (x² + 10 y²) / 2", a, kappa = 10, start, box, steps,
            surface = Surface((x, y) => (a[0] * x * x + a[1] * y * y) / 2, box, log: false),
            lrs, momenta, @default = new { lr = 0.1, momentum = 0.5 }, runs,
        };
    }

    // The 2x2 recurrence x_{t+1} = (1 + β − lr a) x_t − β x_{t−1}, run per direction (the tests need only its values).
    private static double Closed(double x0, double ai, double lr, double beta, int t)
    {
        double previous = x0, x = x0 - lr * ai * x0;
        if (t == 0) return x0;
        for (int k = 1; k < t; k++) (previous, x) = (x, (1 + beta - lr * ai) * x - beta * previous);
        return x;
    }

    private static double Radius(double trace, double det)
    {
        double disc = trace * trace - 4 * det;
        return disc >= 0 ? Math.Max(Math.Abs((trace + Math.Sqrt(disc)) / 2), Math.Abs((trace - Math.Sqrt(disc)) / 2)) : Math.Sqrt(det);
    }
}
