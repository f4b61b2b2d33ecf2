using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>
/// A record's hyperparameters come in the order its source declares them, the base's first: the order of a state
/// dict's group and of the listings. It is read from the line each declaration's attribute records, which NativeAOT
/// keeps (it keeps no metadata tokens), not from the order reflection happens to return.
/// </summary>
public class HyperparameterOrderTests
{
    private sealed record ShuffledOptions : OptimizerOptions
    {
        [Hyperparameter("zeta", Range = HyperparameterRange.Finite)]
        public double Zeta { get; init; }

        [Hyperparameter("alpha", Range = HyperparameterRange.Finite)]
        public double Alpha { get; init; }

        /// <summary>Not declared: not a hyperparameter.</summary>
        public double Undeclared { get; init; }

        [Hyperparameter("mu", Range = HyperparameterRange.Finite)]
        public double Mu { get; init; }
    }

    [Fact]
    public void Declarations_come_in_source_order_after_the_base_s()
    {
        Assert.Equal(["lr", "zeta", "alpha", "mu"], new ShuffledOptions().Hyperparameters().Select(h => h.TorchName));
        Assert.Equal(["lr", "zeta", "alpha", "mu"], new ShuffledOptions { Lr = 0.1 }.ToDictionary().Keys);
    }

    [Fact]
    public void Adam_s_group_lists_its_hyperparameters_in_PyTorch_s_order()
    {
        // torch.optim.Adam's defaults dict: lr, betas, eps, weight_decay, amsgrad, then the flags after them.
        Assert.Equal(["lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "decoupled_weight_decay"],
            OptimizerRegistry.Find("adam")!.Hyperparameters.Select(h => h.TorchName));
    }

    [Fact]
    public void The_compiler_records_each_declaration_s_line()
    {
        var lines = typeof(ShuffledOptions).GetProperties()
            .Select(p => p.GetCustomAttributes(typeof(HyperparameterAttribute), false).OfType<HyperparameterAttribute>().SingleOrDefault())
            .OfType<HyperparameterAttribute>()
            .Where(a => a.TorchName != "lr")
            .ToDictionary(a => a.TorchName, a => a.Line);
        Assert.True(lines["zeta"] > 0 && lines["zeta"] < lines["alpha"] && lines["alpha"] < lines["mu"], string.Join(", ", lines));
    }
}
