using Descent.Kernels;

namespace Descent.NN;

/// <summary>2-D max and average pooling over [N, C, H, W] (or [C, H, W]) inputs, as PyTorch's.</summary>
internal static class PoolOps
{
    /// <summary>PyTorch's output size: floor (or ceil) of (size + 2·pad − dilation·(k − 1) − 1) / stride + 1, where a
    /// ceil-mode window must still start inside the input or its left padding.</summary>
    private static int OutputSize(int size, int k, int stride, int pad, int dilation, bool ceilMode, string op)
    {
        // In long: the arguments' sums and products may not fit an int.
        long span = (long)size + 2L * pad - (long)dilation * (k - 1) - 1;
        long output = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
        if (span < 0) output = 0;
        if (ceilMode && (output - 1) * stride >= (long)size + pad) output--;
        if (output > int.MaxValue)
            throw new ArgumentException($"{op}: an input size of {size} with kernel {k}, stride {stride}, padding {pad} and dilation {dilation} gives an output size of {output}, more than {int.MaxValue}");
        return (int)output;
    }

    private static (int N, int C, int H, int W) Validate(Tensor x, string op, (int H, int W) k, (int H, int W) stride, (int H, int W) pad, (int H, int W) dilation)
    {
        x.CheckFloat(op);
        if (x.Rank != 4) throw new ArgumentException($"{op}: input must be [N, C, H, W] or [C, H, W], got shape {Shapes.Format(x.ShapeArray)}", nameof(x));
        if (k.H < 1 || k.W < 1) throw new ArgumentOutOfRangeException("kernelSize", $"{op}: kernel_size must be >= 1, got ({k.H}, {k.W})");
        if (stride.H < 1 || stride.W < 1) throw new ArgumentOutOfRangeException(nameof(stride), $"{op}: stride must be >= 1, got ({stride.H}, {stride.W})");
        if (dilation.H < 1 || dilation.W < 1) throw new ArgumentOutOfRangeException(nameof(dilation), $"{op}: dilation must be >= 1, got ({dilation.H}, {dilation.W})");
        if (pad.H < 0 || pad.W < 0 || pad.H > k.H / 2 || pad.W > k.W / 2)
            throw new ArgumentOutOfRangeException("padding", $"{op}: padding must be >= 0 and at most half the kernel size, got ({pad.H}, {pad.W}) for kernel ({k.H}, {k.W})");
        return (x.ShapeArray[0], x.ShapeArray[1], x.ShapeArray[2], x.ShapeArray[3]);
    }

    public static Tensor MaxPool2d(Tensor x, (int H, int W) k, (int H, int W) stride, (int H, int W) pad, (int H, int W) dilation, bool ceilMode)
    {
        if (x.Rank == 3) return MaxPool2d(x.Unsqueeze(0), k, stride, pad, dilation, ceilMode).Squeeze(0);
        var (n, c, h, w) = Validate(x, "max_pool2d", k, stride, pad, dilation);
        int oh = OutputSize(h, k.H, stride.H, pad.H, dilation.H, ceilMode, "max_pool2d"), ow = OutputSize(w, k.W, stride.W, pad.W, dilation.W, ceilMode, "max_pool2d");
        if (oh < 1 || ow < 1) throw new ArgumentException($"max_pool2d: output size {oh}x{ow} is too small for input shape {Shapes.Format(x.ShapeArray)}");
        var src = x.Contiguous();
        // Every window writes its maximum and index, so neither buffer needs clearing first.
        var result = Tensor.Uninitialized([n, c, oh, ow], x.DType);
        // The int32 indices live in an int64 tensor of half the length: a tensor, so that a TensorScope pools it and a
        // backward pass after the scope released it fails instead of reading reused memory.
        var indices = Tensor.Uninitialized([(result.NumEl + 1) / 2], DType.Int64);
        var window = new PoolWindow(h, w, oh, ow, k, stride, pad, dilation);
        var forwardIndices = (long[])indices.Storage;
        if (x.DType == DType.Float32) MaxPool.Forward((float[])src.Storage, src.Offset, (float[])result.Storage, result.Offset, forwardIndices, n * c, window);
        else MaxPool.Forward((double[])src.Storage, src.Offset, (double[])result.Storage, result.Offset, forwardIndices, n * c, window);
        int[] shape = x.Shape;
        return Autograd.Record(result, "MaxPool2DWithIndicesBackward", [x], g =>
        {
            var gc = g.Contiguous();
            var gx = Tensor.Uninitialized(shape, g.DType); // each worker clears its own planes before adding
            var argmax = (long[])indices.Storage; // read here, so that a released index tensor throws
            if (g.DType == DType.Float32) MaxPool.Backward((float[])gc.Storage, gc.Offset, argmax, (float[])gx.Storage, gx.NumEl, n * c, oh * ow);
            else MaxPool.Backward((double[])gc.Storage, gc.Offset, argmax, (double[])gx.Storage, gx.NumEl, n * c, oh * ow);
            return [gx];
        });
    }

    /// <summary>
    /// Window (i, j) covers rows hs..he-1 and columns ws..we-1 (clipped to the input) and is divided by PyTorch's divisor;
    /// the window arithmetic is in long, as a kernel size or padding near int.MaxValue would overflow an int.
    /// </summary>
    private static (int Hs, int He, int Ws, int We, double Divisor)[] AvgWindows(int h, int w, int oh, int ow, (int H, int W) k,
        (int H, int W) stride, (int H, int W) pad, bool countIncludePad, int? divisorOverride)
    {
        var windows = new (int Hs, int He, int Ws, int We, double Divisor)[oh * ow];
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            long hs = (long)i * stride.H - pad.H, ws = (long)j * stride.W - pad.W;
            long he = Math.Min(hs + k.H, (long)h + pad.H), we = Math.Min(ws + k.W, (long)w + pad.W);
            double poolSize = (double)(he - hs) * (we - ws);
            hs = Math.Clamp(hs, 0, h); ws = Math.Clamp(ws, 0, w); he = Math.Min(he, h); we = Math.Min(we, w);
            double divisor = divisorOverride ?? (countIncludePad ? poolSize : (double)(he - hs) * (we - ws));
            windows[i * ow + j] = ((int)hs, (int)he, (int)ws, (int)we, divisor);
        }
        return windows;
    }

    public static Tensor AvgPool2d(Tensor x, (int H, int W) k, (int H, int W) stride, (int H, int W) pad, bool ceilMode, bool countIncludePad, int? divisorOverride)
    {
        if (x.Rank == 3) return AvgPool2d(x.Unsqueeze(0), k, stride, pad, ceilMode, countIncludePad, divisorOverride).Squeeze(0);
        var (n, c, h, w) = Validate(x, "avg_pool2d", k, stride, pad, (1, 1));
        if (divisorOverride is <= 0) throw new ArgumentOutOfRangeException(nameof(divisorOverride), divisorOverride, $"divisor_override must be > 0, got {divisorOverride}");
        int oh = OutputSize(h, k.H, stride.H, pad.H, 1, ceilMode, "avg_pool2d"), ow = OutputSize(w, k.W, stride.W, pad.W, 1, ceilMode, "avg_pool2d");
        if (oh < 1 || ow < 1) throw new ArgumentException($"avg_pool2d: output size {oh}x{ow} is too small for input shape {Shapes.Format(x.ShapeArray)}");
        var result = new Tensor([n, c, oh, ow], x.DType);
        // An empty result needs no windows (its planes may even have more windows than an int counts).
        var windows = result.NumEl == 0 ? [] : AvgWindows(h, w, oh, ow, k, stride, pad, countIncludePad, divisorOverride);
        var src = x.Contiguous();
        if (x.DType == DType.Float32) AvgPool.Forward(src.AsSpan<float>(), result.AsSpan<float>(), windows, h, w);
        else AvgPool.Forward(src.AsSpan<double>(), result.AsSpan<double>(), windows, h, w);
        int[] shape = x.Shape;
        return Autograd.Record(result, "AvgPool2DBackward", [x], g =>
        {
            var gc = g.Contiguous();
            var gx = new Tensor(shape, g.DType);
            if (g.DType == DType.Float32) AvgPool.Backward(gc.AsSpan<float>(), gx.AsSpan<float>(), windows, h, w);
            else AvgPool.Backward(gc.AsSpan<double>(), gx.AsSpan<double>(), windows, h, w);
            return [gx];
        });
    }
}
