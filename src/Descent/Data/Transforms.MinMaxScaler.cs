namespace Descent.Data;

/// <summary>
/// Rescales features linearly so that, on the training data, each feature's minimum maps to <see cref="Min"/> and its
/// maximum to <see cref="Max"/> ([0, 1] by default): y = (x − dataMin) / (dataMax − dataMin) · (max − min) + min.
/// Data outside the training range maps outside [min, max]. A constant feature uses a range of 1 (as scikit-learn),
/// so it maps to <see cref="Min"/>. With <c>perFeature: false</c> one range covers every value (pixels 0–255 → 0–1).
/// </summary>
public sealed class MinMaxScaler
{
    private double[]? _dataMin;
    private double[]? _range;
    private int _features;

    /// <summary>Creates an unfitted scaler to the range [min, max].</summary>
    /// <param name="min">The value the training minimum maps to.</param>
    /// <param name="max">The value the training maximum maps to; must be greater than <paramref name="min"/>.</param>
    /// <param name="perFeature">True (default): one range per feature; false: one for all values.</param>
    public MinMaxScaler(double min = 0, double max = 1, bool perFeature = true)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || !(min < max))
            throw new ArgumentException($"the feature range needs finite min < max, got min {min}, max {max}", nameof(max));
        (Min, Max, PerFeature) = (min, max, perFeature);
    }

    /// <summary>The lower end of the output range.</summary>
    public double Min { get; }

    /// <summary>The upper end of the output range.</summary>
    public double Max { get; }

    /// <summary>Whether each feature has its own range.</summary>
    public bool PerFeature { get; }

    /// <summary>True once <see cref="Fit"/> has run.</summary>
    public bool IsFitted => _dataMin is not null;

    /// <summary>The training data's minimum per feature (float64).</summary>
    public Tensor DataMin => Stat(_dataMin);

    /// <summary>The training data's maximum minus minimum per feature (1 where the feature was constant).</summary>
    public Tensor DataRange => Stat(_range);

    /// <summary>Finds each feature's minimum and maximum in <paramref name="x"/> (first dimension = examples).</summary>
    /// <param name="x">The training features (float32 or float64); at least one example.</param>
    /// <returns>This scaler, for chaining.</returns>
    public MinMaxScaler Fit(Tensor x)
    {
        var (n, f) = TransformsAffine.Layout(x, nameof(x));
        if (n == 0 || f == 0) throw new ArgumentException($"x must hold at least one value to fit, got shape [{string.Join(", ", x.Shape)}]", nameof(x));
        var (min, max) = TransformsAffine.MinMax(x, f, PerFeature);
        TransformsAffine.CheckNoNaN(min, "minimum");
        TransformsAffine.CheckNoNaN(max, "maximum");
        var range = new double[min.Length];
        for (int j = 0; j < range.Length; j++) range[j] = max[j] > min[j] ? max[j] - min[j] : 1;
        (_dataMin, _range, _features) = (min, range, f);
        return this;
    }

    /// <summary>The rescaled features, as a new tensor of x's shape and dtype.</summary>
    /// <param name="x">Features with as many per example as the training data.</param>
    public Tensor Transform(Tensor x)
    {
        TransformsAffine.CheckFitted(IsFitted, nameof(MinMaxScaler));
        var (_, f) = TransformsAffine.Layout(x, nameof(x));
        TransformsAffine.CheckFeatures(_features, f, PerFeature, nameof(x));
        return TransformsAffine.Apply(x, f, _dataMin!, _range!, Max - Min, Min);
    }

    /// <summary>Fits on <paramref name="x"/> and returns it transformed.</summary>
    /// <param name="x">The training features.</param>
    public Tensor FitTransform(Tensor x) => Fit(x).Transform(x);

    /// <summary>Undoes <see cref="Transform"/>.</summary>
    /// <param name="x">Rescaled features.</param>
    public Tensor InverseTransform(Tensor x)
    {
        TransformsAffine.CheckFitted(IsFitted, nameof(MinMaxScaler));
        var (_, f) = TransformsAffine.Layout(x, nameof(x));
        TransformsAffine.CheckFeatures(_features, f, PerFeature, nameof(x));
        return TransformsAffine.ApplyInverse(x, f, _dataMin!, _range!, Max - Min, Min);
    }

    private Tensor Stat(double[]? values)
    {
        TransformsAffine.CheckFitted(IsFitted, nameof(MinMaxScaler));
        return PerFeature ? Tensor.FromArray((double[])values!.Clone()) : Tensor.Scalar(values![0], DType.Float64);
    }
}
