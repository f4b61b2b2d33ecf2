namespace Descent.Data;

/// <summary>
/// A dataset held in memory as two tensors whose first dimension is the sample: row i of
/// <see cref="Inputs"/> and row i of <see cref="Targets"/> form sample i (PyTorch's <c>TensorDataset</c>).
/// </summary>
/// <example><code>var data = new TensorDataset(x, y);   // x: [N, features], y: [N, 1] or [N]</code></example>
public sealed class TensorDataset : Dataset
{
    /// <summary>Wraps <paramref name="inputs"/> and <paramref name="targets"/>, which must have the same number of rows.</summary>
    public TensorDataset(Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.Rank == 0) throw new ArgumentException("inputs must have a first (sample) dimension, got a scalar", nameof(inputs));
        if (targets.Rank == 0) throw new ArgumentException("targets must have a first (sample) dimension, got a scalar", nameof(targets));
        if (inputs.Size(0) != targets.Size(0))
            throw new ArgumentException(
                $"inputs has {inputs.Size(0)} samples (shape {Shapes.Format(inputs.ShapeArray)}) but targets has {targets.Size(0)} (shape {Shapes.Format(targets.ShapeArray)})",
                nameof(targets));
        // Contiguous, graph-free copies (views stay views when already contiguous) so rows can be copied as spans.
        using (Autograd.NoGrad())
        {
            Inputs = inputs.Detach().Contiguous();
            Targets = targets.Detach().Contiguous();
        }
    }

    /// <summary>All inputs, sample along the first dimension (detached from any graph).</summary>
    public Tensor Inputs { get; }

    /// <summary>All targets, sample along the first dimension (detached from any graph).</summary>
    public Tensor Targets { get; }

    /// <inheritdoc/>
    public override int Count => Inputs.Size(0);

    /// <inheritdoc/>
    public override (Tensor Input, Tensor Target) Get(int index)
    {
        CheckIndex(index);
        return (Inputs[index], Targets[index]);
    }

    /// <summary>The rows at <paramref name="indices"/>, gathered by copying each row's span into new tensors.</summary>
    public override (Tensor Input, Tensor Target) GetBatch(ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty) throw new ArgumentException("a batch needs at least one index", nameof(indices));
        foreach (int i in indices) CheckIndex(i);
        return (Gather(Inputs, indices), Gather(Targets, indices));
    }

    private static Tensor Gather(Tensor source, ReadOnlySpan<int> indices)
    {
        var shape = source.Shape;
        shape[0] = indices.Length;
        var batch = Tensor.Uninitialized(shape, source.DType); // every row is copied in
        switch (source.DType)
        {
            case DType.Float32: CopyRows(source.AsSpan<float>(), batch.AsSpan<float>(), indices); break;
            case DType.Float64: CopyRows(source.AsSpan<double>(), batch.AsSpan<double>(), indices); break;
            default: CopyRows(source.AsSpan<long>(), batch.AsSpan<long>(), indices); break;
        }
        return batch;
    }

    private static void CopyRows<T>(ReadOnlySpan<T> source, Span<T> dest, ReadOnlySpan<int> indices)
    {
        int row = dest.Length / indices.Length;
        for (int i = 0; i < indices.Length; i++)
            source.Slice(indices[i] * row, row).CopyTo(dest.Slice(i * row, row));
    }
}
