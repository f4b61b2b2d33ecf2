using System.Numerics;

namespace Descent.Kernels;

/// <summary>The layout batch norm sees: [Batch, Channels, Spatial] (Spatial = 1 for [N, C] inputs).</summary>
internal readonly record struct ChannelLayout(int Batch, int Channels, int Spatial)
{
    /// <summary>The values per channel, N·S.</summary>
    public int PerChannel => Batch * Spatial;

    /// <summary>Where block (n, c), of <see cref="Spatial"/> contiguous values, starts.</summary>
    public int Block(int n, int c) => (n * Channels + c) * Spatial;
}

/// <summary>
/// Batch normalisation over the channels of a [N, C, S] tensor: per-channel statistics, the fused normalisation
/// y = x·scale + shift, and the backward pass. Channels are independent, each summed in a fixed order, so splitting the
/// channels over threads does not change any result. Sums are accumulated in double (PyTorch's accumulation type on CPU).
/// </summary>
internal static class BatchNormChannels
{
    /// <summary>
    /// Each channel's mean and Σ(x − mean)² (the centred sum of squares, from which the biased and the unbiased variance
    /// follow), in two sweeps over the channel's values: the mean, then the centred squares, exact where a one-sweep sum
    /// of squares would cancel.
    /// </summary>
    public static void Stats<T>(T[] xs, int xOff, ChannelLayout s, double[] mean, double[] centredSquares)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ForChannels(s, c =>
        {
            double sum = 0;
            for (int n = 0; n < s.Batch; n++)
                foreach (var v in xs.AsSpan(xOff + s.Block(n, c), s.Spatial)) sum += double.CreateTruncating(v);
            double m = sum / s.PerChannel, squares = 0;
            for (int n = 0; n < s.Batch; n++)
                foreach (var v in xs.AsSpan(xOff + s.Block(n, c), s.Spatial))
                {
                    double d = double.CreateTruncating(v) - m;
                    squares += d * d;
                }
            mean[c] = m;
            centredSquares[c] = squares;
        });
    }

    /// <summary>y = x·scale[c] + shift[c] for every value of channel c (scale = w·rstd, shift = b − mean·scale, as PyTorch folds them).</summary>
    public static void Normalize<T>(T[] xs, int xOff, T[] ys, ChannelLayout s, T[] scale, T[] shift)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ForChannels(s, c =>
        {
            for (int n = 0; n < s.Batch; n++)
            {
                int at = s.Block(n, c);
                ScaleShift(xs.AsSpan(xOff + at, s.Spatial), ys.AsSpan(at, s.Spatial), scale[c], shift[c]);
            }
        });
    }

    /// <summary>
    /// The gradients of y = (x − mean)·rstd·w + b. Per channel, with Σg and Σg·(x − mean): dw = rstd·Σg·(x − mean) and
    /// db = Σg; with batch statistics (<paramref name="batchStats"/>) the mean and rstd depend on x, so
    /// dx = (g − Σg/n − (x − mean)·rstd²·Σg·(x − mean)/n)·rstd·w, else dx = g·rstd·w.
    /// A null dx, dw or db is not computed; <paramref name="w"/> null counts as ones.
    /// </summary>
    public static void Backward<T>(T[] xs, int xOff, T[] gs, int gOff, ChannelLayout s, double[] mean, double[] rstd, T[]? w,
        bool batchStats, T[]? dx, T[]? dw, T[]? db)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ForChannels(s, c =>
        {
            double m = mean[c], sumG = 0, sumGC = 0;
            for (int n = 0; n < s.Batch; n++)
            {
                var x = xs.AsSpan(xOff + s.Block(n, c), s.Spatial);
                var g = gs.AsSpan(gOff + s.Block(n, c), s.Spatial);
                for (int i = 0; i < x.Length; i++)
                {
                    double gi = double.CreateTruncating(g[i]);
                    sumG += gi;
                    sumGC += gi * (double.CreateTruncating(x[i]) - m);
                }
            }
            if (dw is not null) dw[c] = T.CreateTruncating(sumGC * rstd[c]);
            if (db is not null) db[c] = T.CreateTruncating(sumG);
            if (dx is null) return;
            double scale = rstd[c] * (w is null ? 1 : double.CreateTruncating(w[c]));
            double meanG = batchStats ? sumG / s.PerChannel : 0;
            double k = batchStats ? sumGC * rstd[c] * rstd[c] / s.PerChannel : 0;
            for (int n = 0; n < s.Batch; n++)
            {
                int at = s.Block(n, c);
                var x = xs.AsSpan(xOff + at, s.Spatial);
                var g = gs.AsSpan(gOff + at, s.Spatial);
                var d = dx.AsSpan(at, s.Spatial);
                for (int i = 0; i < x.Length; i++)
                {
                    double projection = (double.CreateTruncating(x[i]) - m) * k;
                    d[i] = T.CreateTruncating((double.CreateTruncating(g[i]) - meanG - projection) * scale);
                }
            }
        });
    }

    /// <summary>d = x·a + b, vectorised.</summary>
    private static void ScaleShift<T>(ReadOnlySpan<T> x, Span<T> d, T a, T b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<T>.Count)
        {
            var va = new Vector<T>(a);
            var vb = new Vector<T>(b);
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
                (new Vector<T>(x.Slice(i)) * va + vb).CopyTo(d.Slice(i));
        }
        for (; i < x.Length; i++) d[i] = x[i] * a + b;
    }

    /// <summary>Runs <paramref name="body"/> for every channel, the channels split in fixed ranges over threads for large inputs.</summary>
    private static void ForChannels(ChannelLayout s, Action<int> body)
    {
        long work = (long)s.Channels * s.PerChannel;
        int threads = work > 1 << 16 ? Math.Min(Parallelism.MaxThreads, s.Channels) : 1;
        Parallelism.For(threads, threads, part =>
        {
            for (int c = part * s.Channels / threads; c < (part + 1) * s.Channels / threads; c++) body(c);
        });
    }
}
