using System.Numerics;

namespace Descent.Kernels;

/// <summary>Layer normalisation over rows of one size: the fused forward pass and the fused backward pass.</summary>
internal static class LayerNormRows
{
    /// <summary>
    /// y = (x − mean)·rstd·w + b for each of the mean.Length rows of <paramref name="size"/> elements, keeping each row's
    /// mean and rstd = 1/√(var + eps) (biased variance) for the backward pass; an empty w or b is left out.
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> xs, ReadOnlySpan<T> ws, ReadOnlySpan<T> bs, Span<T> ys, Span<double> mean, Span<double> rstd, int size, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool hasW = !ws.IsEmpty, hasB = !bs.IsEmpty;
        for (int r = 0; r < mean.Length; r++)
        {
            var row = xs.Slice(r * size, size);
            T m = T.Zero;
            foreach (var v in row) m += v;
            m /= T.CreateChecked(size);
            T variance = T.Zero;
            foreach (var v in row) variance += (v - m) * (v - m);
            variance /= T.CreateChecked(size);
            T s = T.One / T.Sqrt(variance + T.CreateChecked(eps));
            mean[r] = double.CreateChecked(m);
            rstd[r] = double.CreateChecked(s);
            var outRow = ys.Slice(r * size, size);
            for (int i = 0; i < size; i++)
            {
                T v = (row[i] - m) * s;
                if (hasW) v *= ws[i];
                if (hasB) v += bs[i];
                outRow[i] = v;
            }
        }
    }

    /// <summary>
    /// With x̂ = (x − mean)·rstd and ĝ = g·w: dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) per row, and dw += Σ g·x̂, db += Σ g
    /// over the rows. An empty w counts as ones; an empty dx, dw or db is not computed (dw and db must be zero on entry).
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> xs, ReadOnlySpan<T> ws, ReadOnlySpan<T> gs, Span<T> dx, Span<T> dw, Span<T> db,
        ReadOnlySpan<double> mean, ReadOnlySpan<double> rstd, int size)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool hasW = !ws.IsEmpty, needX = !dx.IsEmpty, needW = !dw.IsEmpty, needB = !db.IsEmpty;
        T n = T.CreateChecked(size);
        for (int r = 0; r < mean.Length; r++)
        {
            T m = T.CreateChecked(mean[r]), s = T.CreateChecked(rstd[r]);
            var row = xs.Slice(r * size, size);
            var gRow = gs.Slice(r * size, size);
            T sumG = T.Zero, sumGX = T.Zero;
            for (int i = 0; i < size; i++)
            {
                T xhat = (row[i] - m) * s;
                T gh = hasW ? gRow[i] * ws[i] : gRow[i];
                sumG += gh;
                sumGX += gh * xhat;
                if (needW) dw[i] += gRow[i] * xhat;
                if (needB) db[i] += gRow[i];
            }
            if (!needX) continue;
            T meanG = sumG / n, meanGX = sumGX / n;
            var dRow = dx.Slice(r * size, size);
            for (int i = 0; i < size; i++)
            {
                T xhat = (row[i] - m) * s;
                T gh = hasW ? gRow[i] * ws[i] : gRow[i];
                dRow[i] = s * (gh - meanG - xhat * meanGX);
            }
        }
    }
}
