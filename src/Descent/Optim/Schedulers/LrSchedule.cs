namespace Descent.Optim.Schedulers;

/// <summary>
/// Previews a schedule without training: builds a stand-in optimizer with the given groups, steps the scheduler and
/// records every group's learning rate (and momentum) after each step. The lab plots schedules with it.
/// </summary>
/// <example>
/// <code>
/// var preview = LrSchedule.Preview([0.1, 0.01], o => new CosineAnnealingLR(o, tMax: 30), epochs: 60);
/// double lrOfGroup0AtEpoch10 = preview.Lr[10][0];
/// </code>
/// </example>
public static class LrSchedule
{
    /// <summary>The schedule over groups with learning rates <paramref name="groupLrs"/>.</summary>
    /// <param name="groupLrs">Each group's learning rate before the scheduler is built.</param>
    /// <param name="factory">Builds the scheduler on the stand-in optimizer, e.g. <c>o =&gt; new StepLR(o, stepSize: 10)</c>.</param>
    /// <param name="epochs">The number of <see cref="LRScheduler.Step()"/> calls (&gt;= 0).</param>
    /// <param name="momentum">The groups' momentum (as SGD's, default 0), or null for an optimizer without one.</param>
    public static SchedulePreview Preview(IReadOnlyList<double> groupLrs, Func<Optimizer, LRScheduler> factory, int epochs, double? momentum = 0.0)
    {
        ArgumentNullException.ThrowIfNull(groupLrs);
        return Run(PreviewOptimizer.Create(groupLrs.Select(lr => (lr, (double?)null, momentum)).ToList()), factory, epochs);
    }

    /// <summary>The schedule over a copy of <paramref name="optimizer"/>'s groups (learning rate, initial learning rate, momentum); the optimizer itself is not changed.</summary>
    /// <param name="optimizer">The optimizer whose groups to copy.</param>
    /// <param name="factory">Builds the scheduler on the stand-in optimizer.</param>
    /// <param name="epochs">The number of <see cref="LRScheduler.Step()"/> calls (&gt;= 0).</param>
    public static SchedulePreview Preview(Optimizer optimizer, Func<Optimizer, LRScheduler> factory, int epochs)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return Run(PreviewOptimizer.Create(optimizer.ParamGroups.Select(g => (g.Lr, g.InitialLr, g.Momentum)).ToList()), factory, epochs);
    }

    /// <summary>The schedule of a <see cref="ReduceLROnPlateau"/> fed <paramref name="metrics"/>, one per epoch.</summary>
    /// <param name="groupLrs">Each group's learning rate before the scheduler is built.</param>
    /// <param name="factory">Builds the scheduler on the stand-in optimizer.</param>
    /// <param name="metrics">The metric of each epoch, in order.</param>
    /// <param name="momentum">The groups' momentum (as SGD's, default 0), or null for an optimizer without one.</param>
    public static SchedulePreview Preview(IReadOnlyList<double> groupLrs, Func<Optimizer, ReduceLROnPlateau> factory, IReadOnlyList<double> metrics, double? momentum = 0.0)
    {
        ArgumentNullException.ThrowIfNull(groupLrs);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(metrics);
        var optimizer = PreviewOptimizer.Create(groupLrs.Select(lr => (lr, (double?)null, momentum)).ToList());
        var scheduler = factory(optimizer) ?? throw new ArgumentException("the factory returned null", nameof(factory));
        CheckSameOptimizer(scheduler.Optimizer, optimizer, nameof(factory));
        var preview = new SchedulePreview(optimizer, metrics.Count);
        for (int epoch = 0; epoch < metrics.Count; epoch++)
        {
            scheduler.Step(metrics[epoch]);
            preview.Record(epoch + 1, optimizer);
        }
        return preview;
    }

    private static SchedulePreview Run(Optimizer optimizer, Func<Optimizer, LRScheduler> factory, int epochs)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Require.NonNegative(epochs, nameof(epochs));
        var scheduler = factory(optimizer) ?? throw new ArgumentException("the factory returned null", nameof(factory));
        CheckSameOptimizer(scheduler.Optimizer, optimizer, nameof(factory));
        var preview = new SchedulePreview(optimizer, epochs);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            scheduler.Step();
            preview.Record(epoch + 1, optimizer);
        }
        return preview;
    }

    private static void CheckSameOptimizer(Optimizer actual, Optimizer expected, string name)
    {
        if (!ReferenceEquals(actual, expected))
            throw new ArgumentException("the factory must build the scheduler on the optimizer it is given", name);
    }
}

/// <summary>A previewed schedule: every group's learning rate (and momentum) after each step.</summary>
public sealed class SchedulePreview
{
    private readonly double[][] _lr;
    private readonly double[][]? _momentum;

    internal SchedulePreview(Optimizer optimizer, int epochs)
    {
        int groups = optimizer.ParamGroups.Count;
        _lr = new double[epochs + 1][];
        bool hasMomentum = optimizer.ParamGroups.All(g => g.Momentum is not null);
        _momentum = hasMomentum ? new double[epochs + 1][] : null;
        for (int k = 0; k <= epochs; k++)
        {
            _lr[k] = new double[groups];
            if (_momentum is not null) _momentum[k] = new double[groups];
        }
        Record(0, optimizer);
    }

    /// <summary>The number of steps previewed.</summary>
    public int Epochs => _lr.Length - 1;

    /// <summary><c>Lr[k][g]</c>: group g's learning rate after k steps (k = 0: right after construction).</summary>
    public IReadOnlyList<IReadOnlyList<double>> Lr => _lr;

    /// <summary><c>Momentum[k][g]</c>: group g's momentum (or β₁) after k steps; null when the groups have none.</summary>
    public IReadOnlyList<IReadOnlyList<double>>? Momentum => _momentum;

    /// <summary>Group <paramref name="group"/>'s learning rate after each step, k = 0 … <see cref="Epochs"/>.</summary>
    public double[] LrOfGroup(int group) => _lr.Select(row => row[group]).ToArray();

    internal void Record(int k, Optimizer optimizer)
    {
        var groups = optimizer.ParamGroups;
        for (int g = 0; g < groups.Count; g++)
        {
            _lr[k][g] = groups[g].Lr;
            if (_momentum is not null) _momentum[k][g] = groups[g].Momentum!.Value;
        }
    }
}
