using System.Numerics;
using Descent.Kernels;

namespace Descent.NN;

/// <summary>2-D convolution (cross-correlation, as PyTorch): validation and shapes here, the passes in <see cref="Conv"/>.</summary>
internal static class ConvOps
{
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
        if ((long)w.ShapeArray[1] * groups != c)
            throw new ArgumentException($"conv2d: input of shape {Shapes.Format(x.ShapeArray)} has {c} channels but weight of shape {Shapes.Format(w.ShapeArray)} expects {(long)w.ShapeArray[1] * groups} (groups={groups})");
        if (b is not null && (b.Rank != 1 || b.ShapeArray[0] != o))
            throw new ArgumentException($"conv2d: bias must have shape [{o}] for weight of shape {Shapes.Format(w.ShapeArray)}, got {Shapes.Format(b.ShapeArray)}", nameof(b));
        // Sizes in long: padding and dilation are arguments, and their sums and products may not fit an int.
        long paddedH = (long)h + pad.Top + pad.Bottom, paddedW = (long)wd + pad.Left + pad.Right;
        long spanH = (long)dilation.H * (kh - 1) + 1, spanW = (long)dilation.W * (kw - 1) + 1;
        if (paddedH < spanH || paddedW < spanW)
            throw new ArgumentException($"conv2d: kernel {kh}x{kw} (dilation {dilation.H}x{dilation.W}) is larger than the padded input {paddedH}x{paddedW} (input shape {Shapes.Format(x.ShapeArray)})");
        long outH = (paddedH - spanH) / stride.H + 1, outW = (paddedW - spanW) / stride.W + 1;
        // The kernels index the padded input in ints, and hold one sample's columns, [C·kH·kW, outH·outW], in one array.
        if (paddedH > int.MaxValue || paddedW > int.MaxValue)
            throw new ArgumentException($"conv2d: the padded input {paddedH}x{paddedW} (input shape {Shapes.Format(x.ShapeArray)}) is larger than {int.MaxValue} along a side", nameof(pad));
        if (Shapes.Product([c, kh, kw, (int)outH, (int)outW]) > Shapes.MaxNumEl)
            throw new ArgumentException($"conv2d: input of shape {Shapes.Format(x.ShapeArray)} and weight of shape {Shapes.Format(w.ShapeArray)} " +
                $"(output {outH}x{outW}) need a column buffer of {c}·{kh}·{kw} × {outH}·{outW} elements, more than {Shapes.MaxNumEl}");

        var geo = new ConvGeometry(c, h, wd, kh, kw, stride.H, stride.W, pad.Top, pad.Left, dilation.H, dilation.W, (int)outH, (int)outW);
        var xc = x.Contiguous().Detach();
        var wc = w.Contiguous().Detach();
        var bc = b?.Contiguous().Detach();
        var y = Tensor.Uninitialized([n, o, (int)outH, (int)outW], x.DType); // every element is written by the products below
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
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Conv.Forward((T[])x.Storage, x.Offset, (T[])w.Storage, w.Offset, (T[]?)b?.Storage, b?.Offset ?? 0, (T[])y.Storage, geo, n, o, groups);

    /// <summary>Writes the requested gradients (gx, gw, gb: zero-filled on entry, each null when not needed).</summary>
    private static void Backward<T>(Tensor x, Tensor w, Tensor g, Tensor? gx, Tensor? gw, Tensor? gb, ConvGeometry geo, int n, int o, int groups)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Conv.Backward((T[])x.Storage, x.Offset, (T[])w.Storage, w.Offset, (T[])g.Storage, g.Offset,
            (T[]?)gx?.Storage, (T[]?)gw?.Storage, (T[]?)gb?.Storage, geo, n, o, groups);
}
