using Descent.Cli.Catalog;
using Descent.Functions;
using Descent.Optim;

namespace Descent.Cli.Lab;

/// <summary>How a run of the grid ended.</summary>
internal enum GridStatus
{
    /// <summary>f − f* reached the tolerance within the budget.</summary>
    Reached,

    /// <summary>Finite all along but never within the tolerance.</summary>
    Stalled,

    /// <summary>The loss became non-finite, or the point went more than ten box-widths away.</summary>
    Diverged,

    /// <summary>No known minimum to measure against (the saddle, a user's function), and not diverged.</summary>
    Finished,
}

/// <summary>
/// One run of the lab's grid: one optimizer at one learning rate and one momentum (or β₁) from the landscape's start,
/// with what the interactive page draws at each step — the point, the loss, the plain gradient step −α∇f and the
/// optimizer's velocity or first moment — and what the calm-default search scores.
/// </summary>
internal sealed record GridRun(
    double Lr, double? Momentum, GridStatus Status, int? Reached, double FinalGap, bool InBox, double? Score,
    IReadOnlyList<double[]> Points, IReadOnlyList<double> Losses, IReadOnlyList<double[]> Gradients, IReadOnlyList<double[]>? Moments);

/// <summary>One optimizer's grid on one landscape: its rates, its momentum values (or none), and every run.</summary>
internal sealed record OptimizerGrid(OptimizerEntry Entry, double[] Lrs, MomentumAxis? Momentum, IReadOnlyList<GridRun> Runs)
{
    /// <summary>The runs at the optimizer's own (preset) momentum: the ones the calm default is picked from.</summary>
    public IEnumerable<GridRun> AtPresetMomentum => Momentum is { } m ? Runs.Where(r => r.Momentum == m.Preset) : Runs;
}

/// <summary>The optimizer's momentum-like hyperparameter as the grid varies it: its option name, label and values.</summary>
internal sealed record MomentumAxis(string Option, string Label, double Preset, double[] Values);

/// <summary>
/// Runs the lab's grid: for each optimizer, every learning rate of the search and, for an optimizer with momentum or β₁,
/// four values of it (0.5, 0.8, 0.9, 0.99, with its preset value in place of the nearest when it is none of them). Runs are independent, so
/// they run in parallel; each is deterministic, so the grid is the same on any machine.
/// </summary>
internal static class LandscapeGrid
{
    private static readonly double[] MomentumValues = [0.5, 0.8, 0.9, 0.99];

    /// <summary>
    /// The hyperparameter the momentum slider moves, or null: the momentum or β₁ of an optimizer that uses one by
    /// default. Plain gradient descent (and RMSprop) preset momentum 0: their slider would turn them into the momentum
    /// optimizer, which has its own entry.
    /// </summary>
    public static MomentumAxis? MomentumOf(OptimizerEntry entry)
    {
        foreach (var (option, label) in new[] { ("momentum", "μ"), ("beta1", "β₁") })
        {
            if (entry.Parameters.FirstOrDefault(p => p.Name == option) is not { } p || p.IsNone || !(p.Default > 0)) continue;
            double[] values = [.. MomentumValues];
            if (!values.Contains(p.Default))
            {
                int nearest = Array.IndexOf(values, values.MinBy(v => Math.Abs(v - p.Default)));
                values[nearest] = p.Default;
                Array.Sort(values);
            }
            return new MomentumAxis(option, label, p.Default, values);
        }
        return null;
    }

    /// <summary>Every run of one optimizer's grid on <paramref name="f"/>, each for <paramref name="steps"/> steps.</summary>
    /// <param name="presetMomentumOnly">Run only the optimizer's own momentum (what the rate search needs), not the four values.</param>
    public static OptimizerGrid Run(TestFunction f, OptimizerEntry entry, double[] lrs, int steps, bool presetMomentumOnly = false)
    {
        var momentum = MomentumOf(entry);
        if (presetMomentumOnly && momentum is not null) momentum = momentum with { Values = [momentum.Preset] };
        double?[] momenta = momentum is null ? [null] : [.. momentum.Values.Select(v => (double?)v)];
        var cells = momenta.SelectMany(m => lrs.Select(lr => (Lr: lr, Momentum: m))).ToArray();
        var runs = new GridRun[cells.Length];
        System.Threading.Tasks.Parallel.For(0, cells.Length, i => runs[i] = RunOne(f, entry, cells[i].Lr, momentum, cells[i].Momentum, steps));
        return new OptimizerGrid(entry, lrs, momentum, runs);
    }

    private static GridRun RunOne(TestFunction f, OptimizerEntry entry, double lr, MomentumAxis? axis, double? momentum, int steps)
    {
        var given = new Dictionary<string, double> { ["lr"] = lr };
        if (axis is not null && momentum is double m) given[axis.Option] = m;
        var gradients = new List<double[]>();
        var moments = new List<double[]>();
        bool hasMoment = true;
        void Observe(IterationInfo info, Optimizer optimizer, Tensor x)
        {
            var g = x.Grad?.ToDoubleArray() ?? f.Gradient(info.Point); // x.Grad holds ∇f at the point the callback sees
            gradients.Add([-lr * g[0], -lr * g[1]]);
            if (info.Iteration == 0 || !hasMoment) return;
            // The state after step k−1 → k: the velocity or first moment that step used.
            var state = optimizer.StateOf(x);
            Tensor? buffer = null;
            if (state is null || !(state.Tensors.TryGetValue("momentum_buffer", out buffer) || state.Tensors.TryGetValue("exp_avg", out buffer)))
            {
                hasMoment = false;
                return;
            }
            var b = buffer!.ToDoubleArray();
            moments.Add([-lr * b[0], -lr * b[1]]);
        }
        var result = LandscapeStudy.Run(f, entry, given, steps, Observe);
        return Summarise(f, lr, momentum, result, gradients, hasMoment && moments.Count > 0 ? moments : null);
    }

    private static GridRun Summarise(TestFunction f, double lr, double? momentum, MinimizeResult result, List<double[]> gradients, List<double[]>? moments)
    {
        bool diverged = result.StopReason is StopReason.Diverged or StopReason.Custom || !double.IsFinite(result.Loss);
        double min = f.MinimumValue ?? 0;
        int? reached = diverged ? null : LandscapeStudy.IterationsToTolerance(f, result.Losses);
        var status = diverged ? GridStatus.Diverged : reached is not null ? GridStatus.Reached : f.MinimumValue is null ? GridStatus.Finished : GridStatus.Stalled;
        double[] lower = f.Lower, upper = f.Upper;
        bool inBox = result.Trajectory.All(p => LandscapeStudy.InBox(lower, upper, p));
        double? score = diverged ? null : LandscapeStudy.Score(f, result);
        return new GridRun(lr, momentum, status, reached, result.Loss - min, inBox, score,
            result.Trajectory, result.Losses, gradients, moments);
    }
}
