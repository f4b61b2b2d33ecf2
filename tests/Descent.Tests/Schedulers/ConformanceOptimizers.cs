using System.Text.Json.Nodes;
using Descent.Optim;
using Descent.Tests.Optim;

namespace Descent.Tests.Schedulers;

/// <summary>
/// The optimizer a scheduler reference case names, from the registry (PyTorch's class name), over two parameter groups
/// with the case's learning rates. A name the registry does not know fails the case: there is no stand-in.
/// </summary>
internal static class ConformanceOptimizers
{
    public static FirstOrderOptimizer Create(string name, JsonObject hyperparameters, double[] groupLrs)
    {
        var info = OptimizerRegistry.ForTorchName(name)
            ?? throw new NotSupportedException($"the scheduler case names optimizer {name}, which the registry does not have");
        var options = info.Defaults.WithValues(Hyper.ToDictionary(hyperparameters));
        var groups = groupLrs.Select(lr => ((IEnumerable<Tensor>)[Tensor.Zeros([3], DType.Float64, requiresGrad: true)],
            (IReadOnlyDictionary<string, object>?)new Dictionary<string, object> { ["lr"] = lr }));
        return (FirstOrderOptimizer)info.Create(groups, options);
    }

    /// <summary>Each group's momentum (or beta1); NaN where the optimizer has none (the reference's null).</summary>
    public static double[] Momenta(Optimizer optimizer) =>
        optimizer.ParamGroups.Select(g => g.Momentum ?? double.NaN).ToArray();
}
