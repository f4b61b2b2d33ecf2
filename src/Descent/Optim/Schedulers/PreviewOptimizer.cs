namespace Descent.Optim.Schedulers;

/// <summary>The options of <see cref="PreviewOptimizer"/>: a learning rate and, when the previewed optimizer has one, a momentum.</summary>
internal sealed record PreviewOptions : OptimizerOptions
{
    [Hyperparameter("momentum", Range = HyperparameterRange.Finite, Cycled = true)]
    public double? Momentum { get; init; }
}

/// <summary>A stand-in optimizer whose step does nothing: it only holds groups for a schedule preview.</summary>
internal sealed class PreviewOptimizer : Optimizer<PreviewOptions>
{
    private PreviewOptimizer(IEnumerable<ParamGroupSpec<PreviewOptions>> groups) : base(groups, new PreviewOptions()) { }

    public static PreviewOptimizer Create(IReadOnlyList<(double Lr, double? InitialLr, double? Momentum)> groups)
    {
        if (groups.Count == 0) throw new ArgumentException("groupLrs is empty; give at least one group learning rate", "groupLrs");
        var specs = groups.Select(g => new ParamGroupSpec<PreviewOptions>(
            [Tensor.Zeros([1], DType.Float64)], o => o with { Lr = g.Lr, Momentum = g.Momentum }));
        var optimizer = new PreviewOptimizer(specs);
        for (int i = 0; i < groups.Count; i++) optimizer.ParamGroups[i].InitialLr = groups[i].InitialLr;
        return optimizer;
    }

    protected override void Update(Tensor parameter, Tensor grad, ParamState state, PreviewOptions options) { }
}
