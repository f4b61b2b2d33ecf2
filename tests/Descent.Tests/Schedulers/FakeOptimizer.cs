using Descent.Optim;

namespace Descent.Tests.Schedulers;

/// <summary>Options of <see cref="FakeOptimizer"/>: a learning rate and, when the optimizer has one, a momentum.</summary>
internal sealed record FakeOptions : OptimizerOptions
{
    [Hyperparameter("momentum", Range = HyperparameterRange.Finite, Cycled = true)]
    public double? Momentum { get; init; }
}

/// <summary>An optimizer whose step does nothing, for testing schedulers on their own.</summary>
internal sealed class FakeOptimizer : Optimizer<FakeOptions>
{
    private FakeOptimizer(IEnumerable<ParamGroupSpec<FakeOptions>> groups, FakeOptions defaults) : base(groups, defaults) { }

    protected override void Update(Tensor parameter, Tensor grad, ParamState state, FakeOptions options) { }

    /// <summary>One group per learning rate, each with one scalar parameter.</summary>
    public static FakeOptimizer Create(double[] groupLrs, double? momentum = 0.9)
    {
        var defaults = new FakeOptions { Lr = groupLrs[0], Momentum = momentum };
        return new FakeOptimizer(
            groupLrs.Select(lr => new ParamGroupSpec<FakeOptions>([Tensor.Zeros([1], DType.Float64)], o => o with { Lr = lr })),
            defaults);
    }
}
