namespace Descent;

/// <summary>Layer normalisation, composed from differentiable operations in PyTorch's order.</summary>
internal static class NormOps
{
    /// <summary>
    /// (x − mean) · 1/√(var + eps) · weight + bias over the trailing <paramref name="normalizedShape"/> dims, with the biased
    /// (population) variance.
    /// </summary>
    public static Tensor LayerNorm(Tensor x, int[] normalizedShape, Tensor? weight, Tensor? bias, double eps)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        x.CheckFloat("layer_norm");
        int k = normalizedShape.Length;
        if (k == 0) throw new ArgumentException("layer_norm: normalized_shape must have at least one dimension", nameof(normalizedShape));
        if (k > x.Rank || !x.ShapeArray.AsSpan(x.Rank - k).SequenceEqual(normalizedShape))
            throw new ArgumentException($"layer_norm: input of shape {Shapes.Format(x.ShapeArray)} does not end with normalized_shape {Shapes.Format(normalizedShape)}", nameof(normalizedShape));
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, $"eps must be >= 0, got {eps}");
        foreach (var (t, name) in new[] { (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            x.CheckSameDType(t, "layer_norm");
            if (!Shapes.SameShape(t.ShapeArray, normalizedShape))
                throw new ArgumentException($"layer_norm: {name} of shape {Shapes.Format(t.ShapeArray)} must have normalized_shape {Shapes.Format(normalizedShape)}", name);
        }
        var dims = Enumerable.Range(x.Rank - k, k).ToArray();
        var centered = x - x.Mean(dims, keepDim: true);
        var variance = centered.Square().Mean(dims, keepDim: true);
        var y = centered * (variance + eps).Sqrt().Reciprocal();
        if (weight is not null) y *= weight;
        if (bias is not null) y += bias;
        return y;
    }
}
