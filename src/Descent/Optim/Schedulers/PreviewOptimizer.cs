namespace Descent.Optim.Schedulers;

/// <summary>The options of <see cref="PreviewOptimizer"/>: a learning rate and, when <see cref="InitialMomentum"/> is set, a momentum.</summary>
internal sealed record PreviewOptions : OptimizerOptions
{
    private double? _momentum;

    public double? InitialMomentum
    {
        get => _momentum;
        init => _momentum = value;
    }

    public override double? Momentum
    {
        get => _momentum;
        set
        {
            if (_momentum is null) base.Momentum = value; // throws: this group has none
            _momentum = value;
        }
    }
}

/// <summary>A stand-in optimizer whose step does nothing: it only holds groups for a schedule preview.</summary>
internal sealed class PreviewOptimizer : Optimizer<PreviewOptions>
{
    private PreviewOptimizer(IEnumerable<ParamGroupSpec<PreviewOptions>> groups) : base(groups, new PreviewOptions()) { }

    public static PreviewOptimizer Create(IReadOnlyList<(double Lr, double? InitialLr, double? Momentum)> groups)
    {
        if (groups.Count == 0) throw new ArgumentException("groupLrs is empty; give at least one group learning rate", "groupLrs");
        var specs = groups.Select(g => new ParamGroupSpec<PreviewOptions>(
            [Tensor.Zeros([1], DType.Float64)], o => o with { Lr = g.Lr, InitialMomentum = g.Momentum }));
        var optimizer = new PreviewOptimizer(specs);
        for (int i = 0; i < groups.Count; i++) optimizer.ParamGroups[i].InitialLr = groups[i].InitialLr;
        return optimizer;
    }

    protected override void Update(Tensor parameter, Tensor grad, ParamState state, PreviewOptions options) { }
}
