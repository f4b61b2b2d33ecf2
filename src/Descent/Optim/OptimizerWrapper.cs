namespace Descent.Optim;

/// <summary>
/// What the wrappers (<see cref="Lookahead"/>, <see cref="SAM"/>, <see cref="SkipNonFinite"/>) share beyond the base
/// constructor <c>Optimizer(Optimizer inner)</c>, which gives them the inner optimizer's groups and state: building the
/// inner optimizer from a registry entry named by the wrapper's options, as the registry, the command line and the lab do.
/// </summary>
/// <remarks>
/// The mechanism, in one place: a wrapper shares the inner optimizer's <see cref="ParamGroup"/>s and per-parameter
/// <see cref="ParamState"/>s, so schedulers (which set <see cref="ParamGroup.Lr"/>), <c>ZeroGrad</c>, the state dict and
/// checkpoints see one optimizer. Its hyperparameters are one more options record in each group's
/// <see cref="ParamGroup.Layers"/> (the outermost is <see cref="ParamGroup.Options"/>), its counters are in
/// <see cref="ParamGroup.Numbers"/>, and its buffers are in the same <see cref="ParamState"/>s under names of its own
/// (<c>lookahead_slow_buff</c>); all of them go into the state dict's groups and state as PyTorch's wrappers put them
/// into the inner optimizer's dictionaries. The inner optimizer steps through its public <c>Step</c>, so its own hooks run.
/// </remarks>
internal static class OptimizerWrapper
{
    /// <summary>The registry entry <paramref name="baseName"/> names, which builds a wrapper's inner optimizer.</summary>
    /// <exception cref="ArgumentException">No name, or not an entry's (naming <c>base</c>).</exception>
    public static OptimizerInfo BaseEntry(string? baseName, string wrapper) =>
        baseName is null
            ? throw new ArgumentException($"{wrapper} built from the registry needs a base optimizer (base), got none", "base")
            : OptimizerRegistry.Find(baseName) ?? throw new ArgumentException($"base must name an optimizer, got '{baseName}'", "base");

    /// <summary>
    /// Builds a registry wrapper's inner optimizer: <paramref name="defaults"/>' base entry with its preset, at each
    /// group's learning rate. Returns it with each group's wrapper options (the defaults changed by the group's
    /// <see cref="ParamGroupSpec{TOptions}.Configure"/>), which all name the same base.
    /// </summary>
    public static (Optimizer Inner, List<TOptions> Layers) BuildInner<TOptions>(IReadOnlyList<ParamGroupSpec<TOptions>> groups, TOptions defaults,
        Func<TOptions, string?> baseOf, string wrapper) where TOptions : OptimizerOptions
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(defaults);
        defaults.Validate();
        var entry = BaseEntry(baseOf(defaults), wrapper);
        var layers = groups.Select(g => g.Configure is null ? defaults : g.Configure(defaults with { })).ToList();
        foreach (var layer in layers)
        {
            layer.Validate();
            if (baseOf(layer) != baseOf(defaults))
                throw new ArgumentException($"every group of one {wrapper} has the same base optimizer; a group names '{baseOf(layer)}', the defaults '{baseOf(defaults)}'", "base");
        }
        var inner = entry.Create(
            groups.Select((g, i) => (g.Parameters, (IReadOnlyDictionary<string, object>?)new Dictionary<string, object> { ["lr"] = layers[i].Lr })),
            entry.Preset with { Lr = defaults.Lr });
        return (inner, layers);
    }

    /// <summary>The first-order optimizer a wrapper that updates with the gradients needs.</summary>
    /// <exception cref="ArgumentException"><paramref name="inner"/> re-evaluates the model through a closure (L-BFGS).</exception>
    public static FirstOrderOptimizer FirstOrder(Optimizer inner, string wrapper) => inner as FirstOrderOptimizer
        ?? throw new ArgumentException($"{wrapper} steps its inner optimizer with the gradients it computed, so the inner optimizer must be first-order; " +
            $"{inner.GetType().Name} needs a closure", "base");

    /// <summary>The registry's name for <paramref name="inner"/>'s class (<c>adam</c>), or null when no entry has it.</summary>
    public static string? RegistryNameOf(Optimizer inner) => OptimizerRegistry.All.FirstOrDefault(e => e.OptimizerType == inner.GetType())?.Name;
}
