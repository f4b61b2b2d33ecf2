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
        t = StaggeredZeros(like, Tensors.Count + 1);
        if (initialValue != 0) t.Fill_(initialValue);
        Tensors[name] = t;
        return t;
    }

    /// <summary>Buffers of at least this many bytes start <see cref="StaggerBytes"/> × their number into a longer array.</summary>
    internal const long StaggerMinBytes = 1 << 22;

    /// <summary>The shift between the starts of a large parameter's buffers (and of the first buffer from the parameter).</summary>
    internal const int StaggerBytes = 1 << 16;

    /// <summary>
    /// Zeros shaped like <paramref name="like"/>; when large, a view that starts <paramref name="number"/> ×
    /// <see cref="StaggerBytes"/> into its storage.
    /// </summary>
    /// <remarks>
    /// The garbage collector puts every large array at the same offset within a 4 MiB region, so the arrays a fused
    /// update streams through (parameter, gradient, each buffer) often start a multiple of 256 MiB apart. On the AMD
    /// Zen core this was measured on, elements at such addresses collide in the core's address-indexed structures:
    /// Adam's step over a 64M-element parameter, whose gradient and two buffers were 256 MiB apart, ran at a fifth of
    /// its bandwidth (and a 16M one at 40% when only the parameter and one buffer were). Shifting each buffer by a
    /// different 64 KiB, fewer than 4 MiB in all, keeps any two of them, and each from the parameter, off a common
    /// multiple of 4 MiB, whatever the regions.
    /// </remarks>
    private static Tensor StaggeredZeros(Tensor like, int number)
    {
        int size = like.DType.ElementSize();
        if ((long)like.NumEl * size < StaggerMinBytes) return Tensor.Zeros(like.ShapeArray, like.DType);
        int offset = number % ((1 << 22) / StaggerBytes) * (StaggerBytes / size);
        if ((long)like.NumEl + offset > Array.MaxLength) return Tensor.Zeros(like.ShapeArray, like.DType);
        var shape = (int[])like.ShapeArray.Clone();
        return new Tensor(StoragePool.AllocateZeroed(like.DType, like.NumEl + offset), shape, Shapes.ContiguousStrides(shape), offset, like.DType);
    }

    internal static Tensor CopyOf(Tensor t)
    {
        var copy = new Tensor((int[])t.ShapeArray.Clone(), t.DType);
        t.CopyInto(copy);
        return copy;
    }
}
