using System.Numerics;

namespace Descent.Data;

/// <summary>
/// The arithmetic shared by the scalers: per-feature statistics over the first dimension and the elementwise map
/// y = (x − a[j]) / b[j] · c + d, where j is the feature (or 0 when one statistic covers every feature). Statistics
/// accumulate in double; results keep the input's dtype.
/// </summary>
internal static class TransformsAffine
{
    /// <summary>The number of examples (first dimension) and the number of features per example.</summary>
    public static (int N, int F) Layout(Tensor x, string argName)
    {
        ArgumentNullException.ThrowIfNull(x, argName);
        if (x.Rank == 0) throw new ArgumentException($"{argName} must have a first dimension of examples, got a scalar", argName);
        if (!x.DType.IsFloatingPoint()) throw new ArgumentException($"{argName} must be float32 or float64, got {x.DType.Name()}", argName);
        int n = x.Size(0);
        // The feature count sizes the statistics, so it must be exact even for a tensor without examples.
        return (n, Shapes.NumEl(x.ShapeArray.AsSpan(1), argName));
    }

    public static (double[] Mean, double[] Std) MeanStd(Tensor x, int f, bool perFeature) => x.DType == DType.Float32
        ? MeanStd<float>(x.Detach().Contiguous().AsSpan<float>(), f, perFeature)
        : MeanStd<double>(x.Detach().Contiguous().AsSpan<double>(), f, perFeature);

    public static (double[] Min, double[] Max) MinMax(Tensor x, int f, bool perFeature) => x.DType == DType.Float32
        ? MinMax<float>(x.Detach().Contiguous().AsSpan<float>(), f, perFeature)
        : MinMax<double>(x.Detach().Contiguous().AsSpan<double>(), f, perFeature);

    /// <summary>A new tensor of x's shape and dtype holding (x − a[j]) / b[j] · c + d.</summary>
    public static Tensor Apply(Tensor x, int f, double[] a, double[] b, double c, double d) => Map(x, f, a, b, c, d, inverse: false);

    /// <summary>The inverse of <see cref="Apply"/>: (x − d) / c · b[j] + a[j].</summary>
    public static Tensor ApplyInverse(Tensor x, int f, double[] a, double[] b, double c, double d) => Map(x, f, a, b, c, d, inverse: true);

    private static Tensor Map(Tensor x, int f, double[] a, double[] b, double c, double d, bool inverse)
    {
        var y = Tensor.Zeros(x.Shape, x.DType);
        if (x.NumEl == 0) return y;
        var src = x.Detach().Contiguous();
        if (x.DType == DType.Float32) Map<float>(src.AsSpan<float>(), y.AsSpan<float>(), f, a, b, c, d, inverse);
        else Map<double>(src.AsSpan<double>(), y.AsSpan<double>(), f, a, b, c, d, inverse);
        return y;
    }

    private static void Map<T>(ReadOnlySpan<T> x, Span<T> y, int f, double[] a, double[] b, double c, double d, bool inverse) where T : IFloatingPoint<T>
    {
        bool global = a.Length == 1;
        for (int row = 0; row < x.Length; row += f)
        {
            for (int j = 0; j < f; j++)
            {
                int s = global ? 0 : j;
                double v = double.CreateTruncating(x[row + j]);
                y[row + j] = T.CreateTruncating(inverse ? (v - d) / c * b[s] + a[s] : (v - a[s]) / b[s] * c + d);
            }
        }
    }

    // Statistics per column of x seen as rows of `cols` values (cols = 1: one statistic over every value).
    private static (double[], double[]) MeanStd<T>(ReadOnlySpan<T> x, int f, bool perFeature) where T : IFloatingPoint<T>
    {
        int cols = perFeature ? f : 1;
        var mean = new double[cols];
        var m2 = new double[cols];
        for (int row = 0; row < x.Length; row += cols)
            for (int j = 0; j < cols; j++) mean[j] += double.CreateTruncating(x[row + j]);
        double count = x.Length / cols;
        for (int j = 0; j < cols; j++) mean[j] /= count;
        for (int row = 0; row < x.Length; row += cols)
        {
            for (int j = 0; j < cols; j++)
            {
                double dev = double.CreateTruncating(x[row + j]) - mean[j];
                m2[j] += dev * dev;
            }
        }
        for (int j = 0; j < cols; j++) m2[j] = Math.Sqrt(m2[j] / count); // population std, as scikit-learn
        return (mean, m2);
    }

    private static (double[], double[]) MinMax<T>(ReadOnlySpan<T> x, int f, bool perFeature) where T : IFloatingPoint<T>
    {
        int cols = perFeature ? f : 1;
        var min = Enumerable.Repeat(double.PositiveInfinity, cols).ToArray();
        var max = Enumerable.Repeat(double.NegativeInfinity, cols).ToArray();
        for (int row = 0; row < x.Length; row += cols)
        {
            for (int j = 0; j < cols; j++)
            {
                double v = double.CreateTruncating(x[row + j]);
                if (v < min[j]) min[j] = v;
                if (v > max[j]) max[j] = v;
            }
        }
        return (min, max);
    }

    public static void CheckFitted(bool fitted, string type)
    {
        if (!fitted) throw new InvalidOperationException($"{type} is not fitted; call Fit on the training data first");
    }

    public static void CheckFeatures(int fitted, int f, bool perFeature, string argName)
    {
        if (perFeature && fitted != f)
            throw new ArgumentException($"{argName} has {f} features per example, but the scaler was fitted on {fitted}", argName);
    }

    public static void CheckNoNaN(double[] stats, string what)
    {
        foreach (double s in stats)
            if (!double.IsFinite(s)) throw new ArgumentException($"the data's {what} is not finite ({s}); it contains NaN or infinite values");
    }
}
