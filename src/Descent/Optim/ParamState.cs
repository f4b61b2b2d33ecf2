namespace Descent.Optim;

/// <summary>
/// The state an optimizer keeps for one parameter (PyTorch's <c>optimizer.state[p]</c>): its step count, named
/// tensors (<c>exp_avg</c>, <c>momentum_buffer</c>…) and named numbers. Buffers have the parameter's shape and dtype.
/// </summary>
public sealed class ParamState
{
    /// <summary>The number of steps taken for this parameter.</summary>
    public long Step { get; set; }

    /// <summary>The state tensors by PyTorch's names.</summary>
    public Dictionary<string, Tensor> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>The scalar state by PyTorch's names (NAdam's <c>mu_product</c>, LBFGS's counters…).</summary>
    public Dictionary<string, double> Numbers { get; } = new(StringComparer.Ordinal);

    /// <summary>A deep copy: every tensor gets storage of its own.</summary>
    public ParamState Clone()
    {
        var copy = new ParamState { Step = Step };
        foreach (var (name, t) in Tensors) copy.Tensors[name] = CopyOf(t);
        foreach (var (name, v) in Numbers) copy.Numbers[name] = v;
        return copy;
    }

    /// <summary>The named buffer, created as zeros shaped like <paramref name="like"/> on first use.</summary>
    internal Tensor Buffer(string name, Tensor like, double initialValue = 0)
    {
        if (Tensors.TryGetValue(name, out var t)) return t;
        t = Tensor.Zeros(like.ShapeArray, like.DType);
        if (initialValue != 0) t.Fill_(initialValue);
        Tensors[name] = t;
        return t;
    }

    internal static Tensor CopyOf(Tensor t)
    {
        var copy = new Tensor((int[])t.ShapeArray.Clone(), t.DType);
        t.CopyInto(copy);
        return copy;
    }
}
