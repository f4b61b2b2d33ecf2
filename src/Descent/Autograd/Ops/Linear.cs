namespace Descent;

/// <summary>The affine map of a fully connected layer, and dropout.</summary>
internal static class LinearOps
{
    /// <summary>x · wᵀ + b with w [out, in] (or [in]), x [*, in], b [out] (or a scalar).</summary>
    public static Tensor Linear(Tensor x, Tensor w, Tensor? b)
    {
        x.CheckFloat("linear");
        x.CheckSameDType(w, "linear");
        if (w.Rank is not (1 or 2)) throw new ArgumentException($"linear: weight must be [out, in] or [in], got shape {Shapes.Format(w.ShapeArray)}", nameof(w));
        if (x.Rank == 0 || x.ShapeArray[^1] != w.ShapeArray[^1])
            throw new ArgumentException($"linear: input of shape {Shapes.Format(x.ShapeArray)} does not match weight of shape {Shapes.Format(w.ShapeArray)} (need input.shape[-1] == weight.shape[-1])");
        var y = x.MatMul(w.Rank == 2 ? w.Transpose(0, 1) : w);
        if (b is null) return y;
        x.CheckSameDType(b, "linear");
        int outFeatures = w.Rank == 2 ? w.ShapeArray[0] : 1;
        if (b.NumEl != outFeatures || b.Rank > 1)
            throw new ArgumentException($"linear: bias of shape {Shapes.Format(b.ShapeArray)} does not match weight of shape {Shapes.Format(w.ShapeArray)} (need [{outFeatures}])", nameof(b));
        return y + b;
    }

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
