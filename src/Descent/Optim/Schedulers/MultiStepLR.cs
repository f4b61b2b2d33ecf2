namespace Descent.Optim.Schedulers;

/// <summary>
/// Multiplies each group's learning rate by <c>gamma</c> at every milestone epoch:
/// lr = base_lr · gamma^(number of milestones ≤ epoch) (PyTorch's <c>MultiStepLR</c>). A milestone listed twice
/// decays twice, as in PyTorch.
/// </summary>
public sealed class MultiStepLR : LRScheduler
{
    private readonly int[] _milestones;

    /// <summary>Creates the schedule and sets the groups' epoch-0 learning rates.</summary>
    /// <param name="optimizer">The optimizer whose learning rates change.</param>
    /// <param name="milestones">Epochs at which to decay, in non-decreasing order, each &gt;= 0.</param>
    /// <param name="gamma">Multiplicative factor of each decay (&gt; 0).</param>
    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        _milestones = milestones.ToArray();
        for (int i = 0; i < _milestones.Length; i++)
        {
            if (_milestones[i] < 0)
                throw new ArgumentOutOfRangeException(nameof(milestones), _milestones[i], $"milestones[{i}] must be >= 0, got {_milestones[i]}");
            if (i > 0 && _milestones[i] < _milestones[i - 1])
                throw new ArgumentException($"milestones must be increasing, got {_milestones[i]} after {_milestones[i - 1]} (at index {i})", nameof(milestones));
        }
        Require.Positive(gamma, nameof(gamma));
        Gamma = gamma;
        Initialize();
    }

    /// <summary>The decay epochs.</summary>
    public IReadOnlyList<int> Milestones => _milestones;

    /// <summary>Multiplicative factor of each decay.</summary>
    public double Gamma { get; }

    private protected override double[] ComputeLr()
    {
        var lrs = CurrentLrs();
        int count = _milestones.Count(m => m == LastEpoch);
        if (count == 0) return lrs;
        double factor = Math.Pow(Gamma, count);
        for (int i = 0; i < lrs.Length; i++) lrs[i] *= factor;
        return lrs;
    }

    private protected override double[]? ClosedFormLr()
    {
        int passed = _milestones.Count(m => m <= LastEpoch); // bisect_right on the sorted milestones
        return BaseLrs.Select(b => b * Math.Pow(Gamma, passed)).ToArray();
    }
}
