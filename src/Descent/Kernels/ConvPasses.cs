using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Descent.Kernels;

/// <summary>
/// The forward and backward passes of a 2-D convolution over whole batches, through im2col and the matrix-multiply
/// kernel, on storage arrays with offsets (the workers each take their own slice, so arrays rather than spans are passed).
/// </summary>
internal static partial class Conv
{
    /// <summary>How many partial weight gradients the backward pass sums (a constant, for reproducible results).</summary>
    private const int WeightGradientChunks = 4;

    /// <summary>
    /// y [n, o, outH, outW] = w [o, C/groups, kH, kW] ⋆ x [n, C, H, W] (+ bias [o]); every element of y is written.
    /// Samples are independent, so any split over threads gives the same result.
    /// </summary>
    public static void Forward<T>(T[] xs, int xOff, T[] ws, int wOff, T[]? bias, int bOff, T[] ys, ConvGeometry geo, int n, int o, int groups)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int l = geo.OutPlane, colRows = geo.ColumnRows, gRows = colRows / groups, og = o / groups;
        int imageSize = geo.Channels * geo.Height * geo.Width;
        // Contiguous ranges of samples, one per thread, keep the synchronisation to one fork and join per call.
        int threads = (long)n * colRows * l > 1 << 16 ? Math.Min(Parallelism.MaxThreads, n) : 1;
        int gemmThreads = threads > 1 ? 1 : 0; // a single worker may let one large product use the threads itself
        Parallelism.For(threads, threads, part =>
        {
            var cols = ArrayPool<T>.Shared.Rent(colRows * l);
            for (int s = part * n / threads; s < (part + 1) * n / threads; s++)
            {
                Im2Col<T>(xs.AsSpan(xOff + s * imageSize, imageSize), geo, cols);
                var outS = ys.AsSpan(s * o * l, o * l);
                for (int gi = 0; gi < groups; gi++)
                    Gemm.Multiply<T>(false, false, og, l, gRows, ws.AsSpan(wOff + gi * og * gRows, og * gRows), gRows, cols.AsSpan(gi * gRows * l, gRows * l), l,
                        outS.Slice(gi * og * l, og * l), l, maxThreads: gemmThreads);
                if (bias is not null)
                    for (int oc = 0; oc < o; oc++) TensorPrimitives.Add(outS.Slice(oc * l, l), bias[bOff + oc], outS.Slice(oc * l, l));
            }
            ArrayPool<T>.Shared.Return(cols);
        });
    }

    /// <summary>
    /// Writes the requested gradients (gx [n, C, H, W], gw [o, C/groups, kH, kW], gb [o]: zero-filled on entry, from
    /// offset 0, each null when not needed) from the output gradient g [n, o, outH, outW]. Every sample's gradient rows
    /// are used while they are in cache: summed for the bias, multiplied for the weight, and multiplied and folded back
    /// for the input.
    /// </summary>
    public static void Backward<T>(T[] xs, int xOff, T[] ws, int wOff, T[] gs, int gOff, T[]? gx, T[]? gw, T[]? gb, ConvGeometry geo, int n, int o, int groups)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if ((gx is null && gw is null && gb is null) || n == 0) return;
        int l = geo.OutPlane, colRows = geo.ColumnRows, gRows = colRows / groups, og = o / groups;
        int imageSize = geo.Channels * geo.Height * geo.Width;
        // Samples are split into a fixed number of chunks (not one per thread), each accumulating its own weight and
        // bias gradients (weights first, then bias, in one pooled array); the chunks are then added in order, so the
        // result does not depend on the thread count.
        int chunks = Math.Min(n, WeightGradientChunks);
        int wSize = gw is null ? 0 : o * gRows, partSize = wSize + (gb is null ? 0 : o);
        var partial = partSize == 0 ? null : new T[chunks][];
        int threads = (long)n * colRows * l > 1 << 16 ? Parallelism.MaxThreads : 1;
        // With a single chunk (one sample) the products themselves may use the threads; inside chunks they run serially.
        int gemmThreads = chunks > 1 && threads > 1 ? 1 : 0;
        Parallelism.For(chunks, threads, chunk =>
        {
            var cols = ArrayPool<T>.Shared.Rent(colRows * l);
            T[]? part = null;
            if (partial is not null)
            {
                part = partial[chunk] = ArrayPool<T>.Shared.Rent(partSize);
                Array.Clear(part, 0, partSize);
            }
            var acc = gw is null ? null : part;
            for (int s = chunk * n / chunks; s < (chunk + 1) * n / chunks; s++)
            {
                var gS = gs.AsSpan(gOff + s * o * l, o * l);
                if (gb is not null)
                    for (int oc = 0; oc < o; oc++) part![wSize + oc] += TensorPrimitives.Sum(gS.Slice(oc * l, l));
                if (acc is not null) Im2Col<T>(xs.AsSpan(xOff + s * imageSize, imageSize), geo, cols);
                for (int gi = 0; gi < groups; gi++)
                {
                    var gG = gS.Slice(gi * og * l, og * l);
                    // dW[og, gRows] += gOut[og, l] · colsᵀ.
                    if (acc is not null && gRows < ConvWeightGradient.ThinRows)
                        ConvWeightGradient.AccumulateThin<T>(gG, cols.AsSpan(gi * gRows * l, gRows * l), og, gRows, l, acc.AsSpan(gi * og * gRows, og * gRows));
                    else if (acc is not null) // dWᵀ[gRows, og] += cols · gOutᵀ: no padded tiles for og = 32, a multiple of the tile width
                        Gemm.Multiply<T>(false, true, gRows, og, l, cols.AsSpan(gi * gRows * l, gRows * l), l, gG, l,
                            acc.AsSpan(gi * og * gRows, og * gRows), og, accumulate: true, maxThreads: gemmThreads);
                    // The group's columns have been used for dW; overwrite them with dcols = Wᵀ · gOut.
                    if (gx is not null)
                        Gemm.Multiply<T>(true, false, gRows, l, og, ws.AsSpan(wOff + gi * og * gRows, og * gRows), gRows, gG, l,
                            cols.AsSpan(gi * gRows * l, gRows * l), l, maxThreads: gemmThreads);
                }
                if (gx is not null) Col2Im<T>(cols, geo, gx.AsSpan(s * imageSize, imageSize));
            }
            ArrayPool<T>.Shared.Return(cols);
        });
        if (partial is null) return;
        var sum = partial[0].AsSpan(0, partSize);
        for (int chunk = 1; chunk < chunks; chunk++) TensorPrimitives.Add(sum, partial[chunk].AsSpan(0, partSize), sum);
        if (gw is not null)
        {
            var dst = gw.AsSpan(0, wSize);
            if (gRows < ConvWeightGradient.ThinRows) sum[..wSize].CopyTo(dst);
            else // the GEMM path accumulated each group's gradient transposed
                for (int gi = 0; gi < groups; gi++)
                    Transpose<T>(sum.Slice(gi * og * gRows, og * gRows), gRows, og, dst.Slice(gi * og * gRows, og * gRows));
        }
        if (gb is not null) sum.Slice(wSize, o).CopyTo(gb.AsSpan(0, o));
        foreach (var part in partial) ArrayPool<T>.Shared.Return(part);
    }
}
