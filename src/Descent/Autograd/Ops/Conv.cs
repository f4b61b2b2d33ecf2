using System.Buffers;
using System.Numerics;
using Descent.Kernels;

namespace Descent;

/// <summary>2-D convolution (cross-correlation, as PyTorch) through im2col and the matrix-multiply kernel.</summary>
internal static class ConvOps
{
    /// <summary>How many partial weight gradients the backward pass sums (a constant, for reproducible results).</summary>
    private const int WeightGradientChunks = 4;

    /// <summary>
    /// x [N, C, H, W] (or [C, H, W]), w [O, C/groups, kH, kW], b [O] or null. Padding may differ between the two
    /// sides (PyTorch's padding="same" with an even kernel pads more at the bottom/right).
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? b, (int H, int W) stride, (int Top, int Bottom, int Left, int Right) pad,
        (int H, int W) dilation, int groups)
    {
        x.CheckFloat("conv2d");
        x.CheckSameDType(w, "conv2d");
        if (b is not null) x.CheckSameDType(b, "conv2d");
        if (x.Rank == 3) return Conv2d(x.Unsqueeze(0), w, b, stride, pad, dilation, groups).Squeeze(0);
        if (x.Rank != 4) throw new ArgumentException($"conv2d: input must be [N, C, H, W] or [C, H, W], got shape {Shapes.Format(x.ShapeArray)}", nameof(x));
        if (w.Rank != 4) throw new ArgumentException($"conv2d: weight must be [O, C/groups, kH, kW], got shape {Shapes.Format(w.ShapeArray)}", nameof(w));
        if (groups < 1) throw new ArgumentOutOfRangeException(nameof(groups), groups, $"groups must be >= 1, got {groups}");
        if (stride.H < 1 || stride.W < 1) throw new ArgumentOutOfRangeException(nameof(stride), $"stride must be >= 1, got ({stride.H}, {stride.W})");
        if (dilation.H < 1 || dilation.W < 1) throw new ArgumentOutOfRangeException(nameof(dilation), $"dilation must be >= 1, got ({dilation.H}, {dilation.W})");
        if (pad.Top < 0 || pad.Bottom < 0 || pad.Left < 0 || pad.Right < 0) throw new ArgumentOutOfRangeException(nameof(pad), "padding must be >= 0");
        int n = x.ShapeArray[0], c = x.ShapeArray[1], h = x.ShapeArray[2], wd = x.ShapeArray[3];
        int o = w.ShapeArray[0], kh = w.ShapeArray[2], kw = w.ShapeArray[3];
        if (c % groups != 0 || o % groups != 0)
            throw new ArgumentException($"conv2d: groups ({groups}) must divide the input channels ({c}) and output channels ({o})", nameof(groups));
        if (w.ShapeArray[1] * groups != c)
            throw new ArgumentException($"conv2d: input of shape {Shapes.Format(x.ShapeArray)} has {c} channels but weight of shape {Shapes.Format(w.ShapeArray)} expects {w.ShapeArray[1] * groups} (groups={groups})");
        if (b is not null && (b.Rank != 1 || b.ShapeArray[0] != o))
            throw new ArgumentException($"conv2d: bias must have shape [{o}] for weight of shape {Shapes.Format(w.ShapeArray)}, got {Shapes.Format(b.ShapeArray)}", nameof(b));
        int outH = (h + pad.Top + pad.Bottom - dilation.H * (kh - 1) - 1) / stride.H + 1;
        int outW = (wd + pad.Left + pad.Right - dilation.W * (kw - 1) - 1) / stride.W + 1;
        if (outH < 1 || outW < 1 || h + pad.Top + pad.Bottom < dilation.H * (kh - 1) + 1 || wd + pad.Left + pad.Right < dilation.W * (kw - 1) + 1)
            throw new ArgumentException($"conv2d: kernel {kh}x{kw} (dilation {dilation.H}x{dilation.W}) is larger than the padded input {h + pad.Top + pad.Bottom}x{wd + pad.Left + pad.Right} (input shape {Shapes.Format(x.ShapeArray)})");

        var geo = new ConvGeometry(c, h, wd, kh, kw, stride.H, stride.W, pad.Top, pad.Left, dilation.H, dilation.W, outH, outW);
        var xc = x.Contiguous().Detach();
        var wc = w.Contiguous().Detach();
        var bc = b?.Contiguous().Detach();
        var y = Tensor.Uninitialized([n, o, outH, outW], x.DType); // every element is written by the products below
        if (x.DType == DType.Float32) Forward<float>(xc, wc, bc, y, geo, n, o, groups);
        else Forward<double>(xc, wc, bc, y, geo, n, o, groups);

        Tensor[] inputs = b is null ? [x, w] : [x, w, b];
        return Autograd.Record(y, "ConvolutionBackward", inputs, g =>
        {
            var gc = g.Contiguous().Detach();
            var gx = x.RequiresGrad ? new Tensor([n, c, h, wd], x.DType) : null;
            var gw = w.RequiresGrad ? new Tensor(w.Shape, x.DType) : null;
            var gb = b is { RequiresGrad: true } ? new Tensor([o], x.DType) : null;
            if (x.DType == DType.Float32) Backward<float>(xc, wc, gc, gx, gw, gb, geo, n, o, groups);
            else Backward<double>(xc, wc, gc, gx, gw, gb, geo, n, o, groups);
            return b is null ? [gx, gw] : [gx, gw, gb];
        });
    }

    private static void Forward<T>(Tensor x, Tensor w, Tensor? b, Tensor y, ConvGeometry geo, int n, int o, int groups)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int l = geo.OutPlane, colRows = geo.ColumnRows, gRows = colRows / groups, og = o / groups;
        int imageSize = geo.Channels * geo.Height * geo.Width;
        var xs = (T[])x.Storage; int xOff = x.Offset;
        var ws = (T[])w.Storage; int wOff = w.Offset;
        var ys = (T[])y.Storage;
        T[]? bias = (T[]?)b?.Storage;
        int bOff = b?.Offset ?? 0;
        // Samples are independent, so any split gives the same result; contiguous ranges, one per thread, keep the
        // synchronisation to one fork and join per call.
        int threads = n * colRows * l > 1 << 16 ? Math.Min(Parallelism.MaxThreads, n) : 1;
        int gemmThreads = threads > 1 ? 1 : 0; // a single worker may let one large product use the threads itself
        Parallelism.For(threads, threads, part =>
        {
            var cols = ArrayPool<T>.Shared.Rent(colRows * l);
            for (int s = part * n / threads; s < (part + 1) * n / threads; s++)
            {
                Conv.Im2Col<T>(xs.AsSpan(xOff + s * imageSize, imageSize), geo, cols);
                var outS = ys.AsSpan(s * o * l, o * l);
                for (int gi = 0; gi < groups; gi++)
                    Gemm.Multiply<T>(false, false, og, l, gRows, ws.AsSpan(wOff + gi * og * gRows, og * gRows), gRows, cols.AsSpan(gi * gRows * l, gRows * l), l,
                        outS.Slice(gi * og * l, og * l), l, maxThreads: gemmThreads);
                if (bias is not null)
                    for (int oc = 0; oc < o; oc++) System.Numerics.Tensors.TensorPrimitives.Add(outS.Slice(oc * l, l), bias[bOff + oc], outS.Slice(oc * l, l));
            }
            ArrayPool<T>.Shared.Return(cols);
        });
    }

    /// <summary>
    /// Writes the requested gradients (gx, gw, gb: zero-filled on entry, each null when not needed). Every sample's
    /// gradient rows are used while they are in cache: summed for the bias, multiplied for the weight, and multiplied
    /// and folded back for the input.
    /// </summary>
    private static void Backward<T>(Tensor x, Tensor w, Tensor g, Tensor? gx, Tensor? gw, Tensor? gb, ConvGeometry geo, int n, int o, int groups)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if ((gx is null && gw is null && gb is null) || n == 0) return;
        int l = geo.OutPlane, colRows = geo.ColumnRows, gRows = colRows / groups, og = o / groups;
        int imageSize = geo.Channels * geo.Height * geo.Width;
        var xs = (T[])x.Storage;
        var ws = (T[])w.Storage;
        var gs = (T[])g.Storage;
        // Samples are split into a fixed number of chunks (not one per thread), each accumulating its own weight and
        // bias gradients (weights first, then bias, in one pooled array); the chunks are then added in order, so the
        // result does not depend on the thread count.
        int chunks = Math.Min(n, WeightGradientChunks);
        int wSize = gw is null ? 0 : o * gRows, partSize = wSize + (gb is null ? 0 : o);
        var partial = partSize == 0 ? null : new T[chunks][];
        int threads = n * colRows * l > 1 << 16 ? Parallelism.MaxThreads : 1;
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
                var gS = gs.AsSpan(g.Offset + s * o * l, o * l);
                if (gb is not null)
                    for (int oc = 0; oc < o; oc++) part![wSize + oc] += System.Numerics.Tensors.TensorPrimitives.Sum(gS.Slice(oc * l, l));
                if (acc is not null) Conv.Im2Col<T>(xs.AsSpan(x.Offset + s * imageSize, imageSize), geo, cols);
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
                        Gemm.Multiply<T>(true, false, gRows, l, og, ws.AsSpan(w.Offset + gi * og * gRows, og * gRows), gRows, gG, l,
                            cols.AsSpan(gi * gRows * l, gRows * l), l, maxThreads: gemmThreads);
                }
                if (gx is not null) Conv.Col2Im<T>(cols, geo, gx.AsSpan<T>().Slice(s * imageSize, imageSize));
            }
            ArrayPool<T>.Shared.Return(cols);
        });
        if (partial is null) return;
        var sum = partial[0].AsSpan(0, partSize);
        for (int chunk = 1; chunk < chunks; chunk++) System.Numerics.Tensors.TensorPrimitives.Add(sum, partial[chunk].AsSpan(0, partSize), sum);
        if (gw is not null)
        {
            var dst = gw.AsSpan<T>();
            if (gRows < ConvWeightGradient.ThinRows) sum[..wSize].CopyTo(dst);
            else // the GEMM path accumulated each group's gradient transposed
                for (int gi = 0; gi < groups; gi++)
                    Conv.Transpose<T>(sum.Slice(gi * og * gRows, og * gRows), gRows, og, dst.Slice(gi * og * gRows, og * gRows));
        }
        if (gb is not null) sum.Slice(wSize, o).CopyTo(gb.AsSpan<T>());
        foreach (var part in partial) ArrayPool<T>.Shared.Return(part);
    }
}
