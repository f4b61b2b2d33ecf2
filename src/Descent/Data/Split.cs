namespace Descent.Data;

/// <summary>Seeded random splits of a data set into training and validation parts.</summary>
public static class Split
{
    /// <summary>
    /// Splits the indices 0..n−1 at random: ⌈n · validationFraction⌉ go to validation (scikit-learn's rounding), the
    /// rest to training. The same seed gives the same split; each part is returned in ascending order.
    /// </summary>
    /// <param name="n">The number of examples.</param>
    /// <param name="validationFraction">The share of examples held out, in [0, 1].</param>
    /// <param name="seed">The seed of the shuffle.</param>
    public static (int[] Train, int[] Validation) TrainValidation(int n, double validationFraction = 0.2, long seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (!(validationFraction >= 0 && validationFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, $"validationFraction must be in [0, 1], got {validationFraction}");
        int k = (int)Math.Ceiling(n * validationFraction);
        var permutation = new Generator(seed).Permutation(n);
        var validation = permutation[..k];
        var train = permutation[k..];
        Array.Sort(validation);
        Array.Sort(train);
        return (train, validation);
    }

    /// <summary>Splits a data set's rows (features and labels alike) as <see cref="TrainValidation(int, double, long)"/> does.</summary>
    /// <param name="data">The data set.</param>
    /// <param name="validationFraction">The share of examples held out, in [0, 1].</param>
    /// <param name="seed">The seed of the shuffle.</param>
    public static (LabeledData Train, LabeledData Validation) TrainValidation(LabeledData data, double validationFraction = 0.2, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (train, validation) = TrainValidation(data.Count, validationFraction, seed);
        return (data with { Features = Rows(data.Features, train), Labels = Rows(data.Labels, train) },
                data with { Features = Rows(data.Features, validation), Labels = Rows(data.Labels, validation) });
    }

    /// <summary>A new tensor holding the given rows (indices along the first dimension) of <paramref name="t"/>, in that order.</summary>
    /// <param name="t">A tensor with at least one dimension.</param>
    /// <param name="indices">Row indices in [0, t.Size(0)); repeats allowed.</param>
    public static Tensor Rows(Tensor t, int[] indices)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(indices);
        if (t.Rank == 0) throw new ArgumentException("t must have a first dimension, got a scalar", nameof(t));
        int n = t.Size(0);
        var shape = t.Shape;
        shape[0] = indices.Length;
        var result = Tensor.Zeros(shape, t.DType);
        foreach (int i in indices)
            if (i < 0 || i >= n) throw new ArgumentOutOfRangeException(nameof(indices), i, $"row index {i} is out of range for {n} rows");
        if (result.NumEl == 0) return result;
        int row = result.NumEl / indices.Length;
        var src = t.Detach().Contiguous();
        switch (t.DType)
        {
            case DType.Float32: Copy(src.AsSpan<float>(), result.AsSpan<float>(), indices, row); break;
            case DType.Float64: Copy(src.AsSpan<double>(), result.AsSpan<double>(), indices, row); break;
            default: Copy(src.AsSpan<long>(), result.AsSpan<long>(), indices, row); break;
        }
        return result;
    }

    private static void Copy<T>(ReadOnlySpan<T> src, Span<T> dst, int[] indices, int row)
    {
        for (int k = 0; k < indices.Length; k++) src.Slice(indices[k] * row, row).CopyTo(dst.Slice(k * row, row));
    }
}
