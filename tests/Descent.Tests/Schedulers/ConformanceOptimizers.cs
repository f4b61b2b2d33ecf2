using System.Text.Json.Nodes;
using Descent.Optim;

namespace Descent.Tests.Schedulers;

/// <summary>The optimizer a scheduler reference case names, over two parameter groups with the case's learning rates.</summary>
internal static class ConformanceOptimizers
{
    public static Optimizer Create(string name, JsonObject hyperparameters, double[] groupLrs)
    {
        double? momentum = name switch
        {
            "SGD" or "RMSprop" => hyperparameters["momentum"]?.GetValue<double>() ?? 0.0,
            "Adam" or "AdamW" or "Adamax" or "NAdam" or "RAdam" => hyperparameters["betas"]?[0]?.GetValue<double>() ?? 0.9,
            _ => null,
        };
        return FakeOptimizer.Create(groupLrs, momentum);
    }

    /// <summary>Each group's momentum (or beta1); NaN where the optimizer has none (the reference's null).</summary>
    public static double[] Momenta(Optimizer optimizer) =>
        optimizer.ParamGroups.Select(g => g.Options.Momentum ?? double.NaN).ToArray();
}
