namespace Descent.Optim;

/// <summary>
/// An optimizer's state as plain data (PyTorch's <c>optimizer.state_dict()</c>): each group's hyperparameters and
/// parameter indices, and each parameter's state by index. Parameters are numbered across groups in order, as PyTorch
/// does, so the dictionary holds no reference to the model. Tensors are copies, safe to keep or save.
/// </summary>
public sealed class OptimizerStateDict
{
    /// <summary>The parameter groups, in order.</summary>
    public List<ParamGroupState> ParamGroups { get; } = [];

    /// <summary>The state of each parameter that has any, keyed by the parameter's index.</summary>
    public SortedDictionary<int, ParamState> State { get; } = [];

    /// <summary>
    /// Every state tensor by a flat name (<c>state.{index}.{name}</c>), the form a safetensors file holds.
    /// </summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedTensors() =>
        State.SelectMany(s => s.Value.Tensors.Select(t => KeyValuePair.Create($"state.{s.Key}.{t.Key}", t.Value)));
}

/// <summary>One parameter group in an <see cref="OptimizerStateDict"/>.</summary>
public sealed class ParamGroupState
{
    /// <summary>
    /// The hyperparameters by PyTorch's names: numbers are <see cref="double"/>, flags <see cref="bool"/>, pairs
    /// (<c>betas</c>, <c>etas</c>, <c>step_sizes</c>) <c>double[]</c>, names <see cref="string"/>; <c>initial_lr</c> when
    /// a scheduler set it.
    /// </summary>
    public Dictionary<string, object> Hyperparameters { get; } = new(StringComparer.Ordinal);

    /// <summary>The indices of the group's parameters.</summary>
    public List<int> Params { get; } = [];
}
