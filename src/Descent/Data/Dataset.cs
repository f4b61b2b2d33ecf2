namespace Descent.Data;

/// <summary>
/// A finite collection of samples, each an (input, target) pair of tensors, as PyTorch's map-style
/// <c>torch.utils.data.Dataset</c>. <see cref="DataLoader"/> turns one into batches.
/// </summary>
public abstract class Dataset
{
    /// <summary>The number of samples.</summary>
    public abstract int Count { get; }

    /// <summary>Sample <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>): its input and its target.</summary>
    public abstract (Tensor Input, Tensor Target) Get(int index);

    /// <summary>
    /// The samples at <paramref name="indices"/> stacked along a new first dimension. The default stacks
    /// <see cref="Get"/>'s tensors; in-memory datasets override it to copy rows directly.
    /// </summary>
    public virtual (Tensor Input, Tensor Target) GetBatch(ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty) throw new ArgumentException("a batch needs at least one index", nameof(indices));
        var inputs = new Tensor[indices.Length];
        var targets = new Tensor[indices.Length];
        for (int i = 0; i < indices.Length; i++) (inputs[i], targets[i]) = Get(indices[i]);
        using (Autograd.NoGrad()) return (Tensor.Stack(inputs), Tensor.Stack(targets));
    }

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> unless 0 ≤ index &lt; Count.</summary>
    protected void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"index {index} is out of range for a dataset of {Count} samples");
    }
}
