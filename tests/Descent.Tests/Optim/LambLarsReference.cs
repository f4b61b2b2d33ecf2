using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>
/// timm's <c>Lamb.step</c> and <c>Lars.step</c> (timm/optim/lamb.py and lars.py, v1.0.28) restated with plain double
/// loops over arrays, one line per line of timm's code, and the problem the tests run them on: several tensors in two
/// groups (group 1 has weight decay 0, the exclusion rule), a matrix and vectors, one starting at zero, one whose gradient
/// is always zero in each group, one whose first gradient comes at step 5, and steps where a tensor or a whole group has none.
/// </summary>
internal static class LambLarsReference
{
    /// <summary>How a test tensor starts and which gradients it gets.</summary>
    public enum Kind { Random, StartsAtZero, ZeroGradient, LateFirstGradient }

    public sealed record Spec(int Group, int[] Shape, double Scale, Kind Kind)
    {
        public int Length => Shape.Aggregate(1, (a, b) => a * b);
    }

    public static readonly Spec[] Problem =
    [
        new(0, [3, 4], 3, Kind.Random),          // large weights: LAMB's trust clip caps its ratio
        new(0, [5], 0.5, Kind.Random),           // small weights: its ratio stays below 1
        new(0, [4], 1, Kind.StartsAtZero),       // ‖θ‖ = 0 at the first step: ratio 1
        new(0, [2, 3], 1, Kind.LateFirstGradient),
        new(1, [4], 1, Kind.Random),             // a bias, in the group with weight decay 0
        new(1, [3], 1, Kind.ZeroGradient),       // LAMB's ‖u‖ = 0 where λ = 0 and alwaysAdapt
        new(0, [2], 1, Kind.ZeroGradient),       // LARS's ‖g‖ = 0 where λ ≠ 0
    ];

    public const int Steps = 12;

    public static double[] Initial(int k, bool float32)
    {
        var s = Problem[k];
        var r = new Random(99 + k);
        return [.. Enumerable.Range(0, s.Length).Select(_ => Round(s.Kind == Kind.StartsAtZero ? 0 : s.Scale * (2 * r.NextDouble() - 1), float32))];
    }

    /// <summary>The gradient of tensor <paramref name="k"/> at step <paramref name="t"/> (from 0), or null for none.</summary>
    public static double[]? Gradient(int t, int k, bool float32, double scale = 1)
    {
        var s = Problem[k];
        if (s.Kind == Kind.LateFirstGradient && t < 4) return null;
        if (s.Group == 1 && t == 6) return null; // the whole group: its step count still advances
        if (k == 1 && t == 2) return null;      // a tensor with state skips a step
        if (s.Kind == Kind.ZeroGradient) return new double[s.Length];
        var r = new Random(1000 * t + k);
        return [.. Enumerable.Range(0, s.Length).Select(_ => Round(scale * (2 * r.NextDouble() - 1), float32))];
    }

    private static double Round(double x, bool float32) => float32 ? (float)x : x;

    public static double Norm(double[] x) => Math.Sqrt(x.Sum(v => v * v));

    /// <summary>timm's nested torch.where: the ratio, or 1 where either norm is not positive.</summary>
    public static double Guard(double wNorm, double otherNorm, double ratio) => wNorm > 0 ? otherNorm > 0 ? ratio : 1 : 1;

    /// <summary>The state of a run of the restated rule: θ, and per tensor two buffers (exp_avg and exp_avg_sq, or momentum_buffer and nothing).</summary>
    public sealed class Run(int tensors)
    {
        public double[][] Theta { get; } = new double[tensors][];
        public double[]?[] First { get; } = new double[tensors][];
        public double[]?[] Second { get; } = new double[tensors][];
        public long[] GroupStep { get; } = new long[2];
    }

    /// <summary>timm's Lamb.step, <paramref name="steps"/> times; <paramref name="groups"/>[g] are group g's options, defaults = group 0's unless given.</summary>
    public static Run Lamb(LambOptions[] groups, LambOptions defaults, bool float32, int steps = Steps, double gradScale = 1)
    {
        var run = new Run(Problem.Length);
        for (int k = 0; k < Problem.Length; k++) run.Theta[k] = Initial(k, float32);
        for (int t = 0; t < steps; t++)
        {
            var grads = Enumerable.Range(0, Problem.Length).Select(k => Gradient(t, k, float32, gradScale)).ToArray();
            // _get_clip_grad_norm: the norm of the stack of every gradient's norm, clamped to at least 1.
            double? clip = null;
            if (defaults.MaxGradNorm is double maxGradNorm)
                clip = Math.Max(Math.Sqrt(grads.Where(g => g is not null).Sum(g => Math.Pow(Norm(g!), 2))) / maxGradNorm, 1.0);
            for (int gi = 0; gi < groups.Length; gi++)
            {
                var o = groups[gi];
                double beta1 = o.Betas.Item1, beta2 = o.Betas.Item2;
                double beta3 = o.GradAveraging ? 1 - beta1 : 1.0;
                long step = ++run.GroupStep[gi];
                double bc1 = o.BiasCorrection ? 1 - Math.Pow(beta1, step) : 1, bc2 = o.BiasCorrection ? 1 - Math.Pow(beta2, step) : 1;
                for (int k = 0; k < Problem.Length; k++)
                {
                    if (Problem[k].Group != gi || grads[k] is not { } grad) continue;
                    var p = run.Theta[k];
                    var g = clip is double c ? grad.Select(x => x / c).ToArray() : grad;
                    var m = run.First[k] ??= new double[p.Length];
                    var v = run.Second[k] ??= new double[p.Length];
                    var update = new double[p.Length];
                    for (int i = 0; i < p.Length; i++)
                    {
                        m[i] = m[i] * beta1 + beta3 * g[i];
                        v[i] = v[i] * beta2 + (1 - beta2) * g[i] * g[i];
                        double denom = Math.Sqrt(v[i]) / Math.Sqrt(bc2) + o.Eps;
                        update[i] = m[i] / bc1 / denom;
                    }
                    if (o.WeightDecay != 0)
                    {
                        if (o.DecoupledDecay)
                        {
                            double scale = o.CorrectedWeightDecay ? o.Lr * o.Lr / defaults.Lr : o.Lr;
                            for (int i = 0; i < p.Length; i++) p[i] += -scale * o.WeightDecay * p[i];
                        }
                        else
                        {
                            for (int i = 0; i < p.Length; i++) update[i] += o.WeightDecay * p[i];
                        }
                    }
                    if (o.WeightDecay != 0 || o.AlwaysAdapt)
                    {
                        double wNorm = Norm(p), gNorm = Norm(update);
                        double ratio = Guard(wNorm, gNorm, wNorm / gNorm);
                        if (o.TrustClip) ratio = Math.Min(ratio, 1.0);
                        for (int i = 0; i < p.Length; i++) update[i] *= ratio;
                    }
                    for (int i = 0; i < p.Length; i++) p[i] += -o.Lr * update[i];
                }
            }
        }
        return run;
    }

    /// <summary>timm's Lars.step, <paramref name="steps"/> times; First holds momentum_buffer.</summary>
    public static Run Lars(LarsOptions[] groups, bool float32, int steps = Steps)
    {
        var run = new Run(Problem.Length);
        for (int k = 0; k < Problem.Length; k++) run.Theta[k] = Initial(k, float32);
        for (int t = 0; t < steps; t++)
        {
            for (int k = 0; k < Problem.Length; k++)
            {
                var o = groups[Problem[k].Group];
                if (Gradient(t, k, float32) is not { } grad) continue;
                var p = run.Theta[k];
                var g = (double[])grad.Clone();
                if (o.WeightDecay != 0 || o.AlwaysAdapt)
                {
                    double wNorm = Norm(p), gNorm = Norm(g);
                    double ratio = Guard(wNorm, gNorm, o.TrustCoeff * wNorm / (gNorm + wNorm * o.WeightDecay + o.Eps));
                    if (o.TrustClip) ratio = Math.Min(ratio / o.Lr, 1.0);
                    for (int i = 0; i < p.Length; i++) g[i] = (g[i] + o.WeightDecay * p[i]) * ratio;
                }
                if (o.Momentum != 0)
                {
                    if (run.First[k] is not { } buf) buf = run.First[k] = (double[])g.Clone();
                    else for (int i = 0; i < p.Length; i++) buf[i] = buf[i] * o.Momentum + (1 - o.Dampening) * g[i];
                    g = o.Nesterov ? [.. g.Select((x, i) => x + o.Momentum * buf[i])] : buf;
                }
                for (int i = 0; i < p.Length; i++) p[i] += -o.Lr * g[i];
            }
        }
        return run;
    }
}
