using System.Numerics;
using Descent.Kernels;

namespace Descent.NN;

/// <summary>Layer normalisation: validation and shapes here, the fused passes over rows in <see cref="LayerNormRows"/>.</summary>
internal static class NormOps
{
    /// <summary>
    /// (x − mean)·rstd·weight + bias over the trailing <paramref name="normalizedShape"/> dims, rstd = 1/√(var + eps) with
    /// the biased (population) variance. Backward, with x̂ = (x − mean)·rstd and ĝ = g·weight:
    /// dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), dweight = Σ g·x̂, dbias = Σ g over the leading dims.
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
        int size = Shapes.NumEl(normalizedShape);
        int rows = size == 0 ? 0 : x.NumEl / size;
        var xc = x.Contiguous().Detach();
        var wc = weight?.Contiguous().Detach();
        var bc = bias?.Contiguous().Detach();
        var y = new Tensor(x.Shape, x.DType);
        var mean = new double[rows];
        var rstd = new double[rows];
        if (x.DType == DType.Float32) Forward<float>(xc, wc, bc, y, mean, rstd, size, eps);
        else Forward<double>(xc, wc, bc, y, mean, rstd, size, eps);

        var inputs = new List<Tensor> { x };
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        var dims = Enumerable.Range(x.Rank - k, k).ToArray();
        var leading = Enumerable.Range(0, x.Rank - k).ToArray();
        return Autograd.Record(y, "NativeLayerNormBackward", [.. inputs], g =>
        {
            Tensor? gx, gw, gb;
            if (Autograd.IsGradEnabled) (gx, gw, gb) = ComposedBackward(x, weight, g, dims, leading, eps);
            else (gx, gw, gb) = FusedBackward(xc, wc, g.Contiguous(), mean, rstd, size, x.RequiresGrad, weight is { RequiresGrad: true }, bias is { RequiresGrad: true });
            var result = new List<Tensor?> { gx };
            if (weight is not null) result.Add(gw);
            if (bias is not null) result.Add(gb);
            return [.. result];
        });
    }

    private static void Forward<T>(Tensor x, Tensor? w, Tensor? b, Tensor y, double[] mean, double[] rstd, int size, double eps)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LayerNormRows.Forward(x.AsSpan<T>(), w is null ? default : w.AsSpan<T>(), b is null ? default : b.AsSpan<T>(), y.AsSpan<T>(), mean, rstd, size, eps);

    private static (Tensor? Gx, Tensor? Gw, Tensor? Gb) FusedBackward(Tensor x, Tensor? w, Tensor g, double[] mean, double[] rstd, int size,
        bool needX, bool needW, bool needB)
    {
        var gx = needX ? new Tensor(x.Shape, x.DType) : null;
        var gw = needW ? new Tensor(w!.Shape, x.DType) : null;
        var gb = needB ? new Tensor(w?.Shape ?? [size], x.DType) : null;
        if (x.DType == DType.Float32) Backward<float>(x, w, g, gx, gw, gb, mean, rstd, size);
        else Backward<double>(x, w, g, gx, gw, gb, mean, rstd, size);
        return (gx, gw, gb);
    }

    private static void Backward<T>(Tensor x, Tensor? w, Tensor g, Tensor? gx, Tensor? gw, Tensor? gb, double[] mean, double[] rstd, int size)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LayerNormRows.Backward(x.AsSpan<T>(), w is null ? default : w.AsSpan<T>(), g.AsSpan<T>(),
            gx is null ? default : gx.AsSpan<T>(), gw is null ? default : gw.AsSpan<T>(), gb is null ? default : gb.AsSpan<T>(), mean, rstd, size);

    /// <summary>The same gradients from differentiable operations, used when the backward pass is itself recorded.</summary>
    private static (Tensor? Gx, Tensor? Gw, Tensor? Gb) ComposedBackward(Tensor x, Tensor? w, Tensor g, int[] dims, int[] leading, double eps)
    {
        var centered = x - x.Mean(dims, keepDim: true);
        var rstd = (centered.Square().Mean(dims, keepDim: true) + eps).Sqrt().Reciprocal();
        var xhat = centered * rstd;
        var gh = w is null ? g : g * w;
        var gx = rstd * (gh - gh.Mean(dims, keepDim: true) - xhat * (gh * xhat).Mean(dims, keepDim: true));
        Tensor SumLeading(Tensor t) => leading.Length == 0 ? t : t.Sum(leading);
        return (gx, w is null ? null : SumLeading(g * xhat), SumLeading(g));
    }
}
