namespace Descent.NN;

/// <summary>Dropout, as PyTorch's: the mask is drawn from a seedable generator.</summary>
internal static class DropoutOps
{
    /// <summary>Zeroes each element with probability p and scales the rest by 1/(1 − p) when training.</summary>
    public static Tensor Dropout(Tensor x, double p, bool training, Generator? generator)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, $"dropout probability p must be in [0, 1], got {p}");
        x.CheckFloat("dropout");
        if (!training || p == 0) return x;
        if (p == 1) return x * 0.0;
        var g = generator ?? Generator.Default;
        double scale = 1 / (1 - p);
        var mask = new double[x.NumEl];
        for (int i = 0; i < mask.Length; i++) mask[i] = g.NextDouble() < 1 - p ? scale : 0;
        return x * Tensor.FromDoubles(mask, x.Shape, x.DType);
    }
}
