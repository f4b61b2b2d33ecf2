namespace Descent.Data;

/// <summary>
/// Standardises features: fit the mean and the (population) standard deviation of each feature on the training data,
/// then map any data x to (x − mean) / std. A feature that is constant in the training data keeps std = 1, as in
/// scikit-learn, so it maps to 0 instead of NaN. Statistics run over the first dimension (examples); each position
/// of the other dimensions is one feature. With <c>perFeature: false</c> one mean and one std cover every value
/// (as MNIST's usual normalisation 0.1307 / 0.3081 does).
/// </summary>
/// <example>
/// <code>
/// var scaler = new StandardScaler().Fit(train.Features);
/// train = train with { Features = scaler.Transform(train.Features) };
/// test = test with { Features = scaler.Transform(test.Features) };
/// </code>
/// </example>
public sealed class StandardScaler
{
    private double[]? _mean;
    private double[]? _std;
    private int _features;

    /// <summary>Creates an unfitted scaler.</summary>
    /// <param name="perFeature">True (default): one mean and std per feature; false: one for all values.</param>
    public StandardScaler(bool perFeature = true) => PerFeature = perFeature;

    /// <summary>Whether each feature has its own mean and std.</summary>
    public bool PerFeature { get; }

    /// <summary>True once <see cref="Fit"/> has run.</summary>
    public bool IsFitted => _mean is not null;

    /// <summary>The fitted means (float64, one per feature, or a single one).</summary>
    public Tensor Mean => Stat(_mean);

    /// <summary>The fitted standard deviations used for scaling (1 where the training data was constant).</summary>
    public Tensor Std => Stat(_std);

    /// <summary>Computes the mean and std of <paramref name="x"/> (float32 or float64, first dimension = examples).</summary>
    /// <param name="x">The training features; at least one example.</param>
    /// <returns>This scaler, for chaining.</returns>
    public StandardScaler Fit(Tensor x)
    {
        var (n, f) = TransformsAffine.Layout(x, nameof(x));
        if (n == 0 || f == 0) throw new ArgumentException($"x must hold at least one value to fit, got shape [{string.Join(", ", x.Shape)}]", nameof(x));
        var (mean, std) = TransformsAffine.MeanStd(x, f, PerFeature);
        TransformsAffine.CheckNoNaN(mean, "mean");
        TransformsAffine.CheckNoNaN(std, "standard deviation");
        for (int j = 0; j < std.Length; j++) if (std[j] == 0) std[j] = 1;
        (_mean, _std, _features) = (mean, std, f);
        return this;
    }

    /// <summary>(x − mean) / std, as a new tensor of x's shape and dtype.</summary>
    /// <param name="x">Features with as many per example as the training data.</param>
    public Tensor Transform(Tensor x)
    {
        TransformsAffine.CheckFitted(IsFitted, nameof(StandardScaler));
        var (_, f) = TransformsAffine.Layout(x, nameof(x));
        TransformsAffine.CheckFeatures(_features, f, PerFeature, nameof(x));
        return TransformsAffine.Apply(x, f, _mean!, _std!, 1, 0);
    }

    /// <summary>Fits on <paramref name="x"/> and returns it transformed.</summary>
    /// <param name="x">The training features.</param>
    public Tensor FitTransform(Tensor x) => Fit(x).Transform(x);

    /// <summary>x · std + mean: undoes <see cref="Transform"/>.</summary>
    /// <param name="x">Standardised features.</param>
    public Tensor InverseTransform(Tensor x)
    {
        TransformsAffine.CheckFitted(IsFitted, nameof(StandardScaler));
        var (_, f) = TransformsAffine.Layout(x, nameof(x));
        TransformsAffine.CheckFeatures(_features, f, PerFeature, nameof(x));
        return TransformsAffine.ApplyInverse(x, f, _mean!, _std!, 1, 0);
    }

    private Tensor Stat(double[]? values)
    {
        TransformsAffine.CheckFitted(IsFitted, nameof(StandardScaler));
        return PerFeature ? Tensor.FromArray((double[])values!.Clone()) : Tensor.Scalar(values![0], DType.Float64);
    }
}
