using System.Numerics;
using System.Runtime.InteropServices;

namespace Descent;

/// <summary>2-D max and average pooling over [N, C, H, W] (or [C, H, W]) inputs, as PyTorch's.</summary>
internal static class PoolOps
{
    /// <summary>PyTorch's output size: floor (or ceil) of (size + 2·pad − dilation·(k − 1) − 1) / stride + 1, where a
    /// ceil-mode window must still start inside the input or its left padding.</summary>
    private static int OutputSize(int size, int k, int stride, int pad, int dilation, bool ceilMode)
    {
        int span = size + 2 * pad - dilation * (k - 1) - 1;
        int output = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
        if (span < 0) output = 0;
        if (ceilMode && (output - 1) * stride >= size + pad) output--;
        return output;
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
        int oh = OutputSize(h, k.H, stride.H, pad.H, dilation.H, ceilMode), ow = OutputSize(w, k.W, stride.W, pad.W, dilation.W, ceilMode);
        if (oh < 1 || ow < 1) throw new ArgumentException($"max_pool2d: output size {oh}x{ow} is too small for input shape {Shapes.Format(x.ShapeArray)}");
        var src = x.Contiguous();
        // Every window writes its maximum and index, so neither buffer needs clearing first.
        var result = Tensor.Uninitialized([n, c, oh, ow], x.DType);
        // The int32 indices live in an int64 tensor of half the length: a tensor, so that a TensorScope pools it and a
        // backward pass after the scope released it fails instead of reading reused memory.
        var indices = Tensor.Uninitialized([(result.NumEl + 1) / 2], DType.Int64);
        var window = new Window(h, w, oh, ow, k, stride, pad, dilation);
        if (x.DType == DType.Float32) MaxForward<float>(src, result, indices, window);
        else MaxForward<double>(src, result, indices, window);
        int[] shape = x.Shape;
        return Autograd.Record(result, "MaxPool2DWithIndicesBackward", [x], g =>
        {
            var gc = g.Contiguous();
            var gx = Tensor.Uninitialized(shape, g.DType); // each worker clears its own planes before adding
            if (g.DType == DType.Float32) MaxBackward<float>(gc, indices, gx, n * c, oh * ow);
            else MaxBackward<double>(gc, indices, gx, n * c, oh * ow);
            return [gx];
        });
    }

    private readonly record struct Window(int H, int W, int OutH, int OutW, (int H, int W) K, (int H, int W) Stride, (int H, int W) Pad, (int H, int W) Dilation);

    /// <summary>Each window's maximum and the flat input index of its first maximum in scan order (NaN propagates).</summary>
    private static void MaxForward<T>(Tensor src, Tensor dst, Tensor indices, Window g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var argmax = ArgmaxArray(indices);
        int plane = g.H * g.W, outPlane = g.OutH * g.OutW, planes = dst.NumEl / Math.Max(outPlane, 1);
        var xs = (T[])src.Storage; int xOff = src.Offset;
        var ys = (T[])dst.Storage; int yOff = dst.Offset;
        // Planes are independent, so splitting them over threads does not change any result.
        int threads = (long)planes * plane > 1 << 17 ? Math.Min(Kernels.Parallelism.MaxThreads, planes) : 1;
        Kernels.Parallelism.For(threads, threads, part =>
        {
            var argmaxSpan = AsInts(argmax);
            for (int p = part * planes / threads; p < (part + 1) * planes / threads; p++)
                MaxPlane<T>(xs.AsSpan(xOff + p * plane, plane), ys.AsSpan(yOff + p * outPlane, outPlane), argmaxSpan.Slice(p * outPlane, outPlane), p * plane, g);
        });
    }

    /// <summary>One [H, W] plane: window (i, j) covers rows hs, hs+dH, … below he and columns likewise.</summary>
    private static void MaxPlane<T>(ReadOnlySpan<T> src, Span<T> dst, Span<int> argmax, int planeStart, Window g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.K == (2, 2) && g.Stride == (2, 2) && g.Pad == (0, 0) && g.Dilation == (1, 1) && 2 * g.OutH <= g.H && 2 * g.OutW <= g.W)
        {
            if (typeof(T) == typeof(float))
                Kernels.MaxPool2x2.Plane(MemoryMarshal.Cast<T, float>(src), MemoryMarshal.Cast<T, float>(dst), argmax, planeStart, g.W, g.OutH, g.OutW);
            else
                MaxPlane2x2(src, dst, argmax, planeStart, g.W, g.OutH, g.OutW);
            return;
        }
        int kh = g.K.H, kw = g.K.W, dh = g.Dilation.H, dw = g.Dilation.W;
        for (int i = 0; i < g.OutH; i++)
        {
            int hs = i * g.Stride.H - g.Pad.H;
            int he = Math.Min(hs + (kh - 1) * dh + 1, g.H);
            while (hs < 0) hs += dh;
            for (int j = 0; j < g.OutW; j++)
            {
                int ws = j * g.Stride.W - g.Pad.W;
                int we = Math.Min(ws + (kw - 1) * dw + 1, g.W);
                while (ws < 0) ws += dw;
                int best = hs * g.W + ws;
                T bestValue = T.NegativeInfinity;
                for (int a = hs; a < he; a += dh)
                {
                    var row = src.Slice(a * g.W, g.W);
                    for (int b = ws; b < we; b += dw)
                    {
                        T v = row[b];
                        if (v > bestValue || T.IsNaN(v)) { bestValue = v; best = a * g.W + b; }
                    }
                }
                dst[i * g.OutW + j] = bestValue;
                argmax[i * g.OutW + j] = planeStart + best;
            }
        }
    }

    /// <summary>
    /// The common 2×2, stride 2 window without padding: the same scan order and NaN rule as the general loop, written
    /// without data-dependent branches (the winner's index is selected, then its value re-read), since which element
    /// wins is unpredictable.
    /// </summary>
    private static void MaxPlane2x2<T>(ReadOnlySpan<T> src, Span<T> dst, Span<int> argmax, int planeStart, int w, int outH, int outW)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < outH; i++)
        {
            int r0 = 2 * i * w;
            var rows = src.Slice(r0, w + 2 * outW);
            var outRow = dst.Slice(i * outW, outW);
            var argRow = argmax.Slice(i * outW, outW);
            for (int j = 0; j < outW; j++)
            {
                int c = 2 * j;
                // The first element always replaces −∞ (or is NaN); later ones replace it when larger or NaN.
                int at = c;
                T v = rows[c + 1];
                bool take = (v > rows[at]) | T.IsNaN(v);
                at = take ? c + 1 : at;
                v = rows[w + c];
                take = (v > rows[at]) | T.IsNaN(v);
                at = take ? w + c : at;
                v = rows[w + c + 1];
                take = (v > rows[at]) | T.IsNaN(v);
                at = take ? w + c + 1 : at;
                outRow[j] = rows[at];
                argRow[j] = planeStart + r0 + at;
            }
        }
    }

    /// <summary>Adds each output gradient onto its window's maximum; every index stays in its own plane, so planes split
    /// over threads never write the same element (and each worker clears exactly the planes it writes).</summary>
    private static void MaxBackward<T>(Tensor g, Tensor indices, Tensor gx, int planes, int outPlane) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var argmax = ArgmaxArray(indices);
        var gs = (T[])g.Storage; int gOff = g.Offset;
        var dst = (T[])gx.Storage;
        int plane = gx.NumEl / Math.Max(planes, 1);
        int threads = (long)planes * outPlane > 1 << 16 ? Math.Min(Kernels.Parallelism.MaxThreads, planes) : 1;
        Kernels.Parallelism.For(threads, threads, part =>
        {
            int p0 = part * planes / threads, p1 = (part + 1) * planes / threads;
            dst.AsSpan(p0 * plane, (p1 - p0) * plane).Clear();
            int start = p0 * outPlane, end = p1 * outPlane;
            ScatterAdd<T>(gs.AsSpan(gOff + start, end - start), AsInts(argmax).Slice(start, end - start), dst);
        });
    }

    private static long[] ArgmaxArray(Tensor indices) => (long[])indices.Storage;

    /// <summary>The int32 view of the int64 index storage.</summary>
    private static Span<int> AsInts(long[] storage) => MemoryMarshal.Cast<long, int>(storage.AsSpan());

    private static void ScatterAdd<T>(ReadOnlySpan<T> g, ReadOnlySpan<int> index, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int t = 0; t < g.Length; t++) dst[index[t]] += g[t];
    }

    public static Tensor AvgPool2d(Tensor x, (int H, int W) k, (int H, int W) stride, (int H, int W) pad, bool ceilMode, bool countIncludePad, int? divisorOverride)
    {
        if (x.Rank == 3) return AvgPool2d(x.Unsqueeze(0), k, stride, pad, ceilMode, countIncludePad, divisorOverride).Squeeze(0);
        var (n, c, h, w) = Validate(x, "avg_pool2d", k, stride, pad, (1, 1));
        if (divisorOverride is <= 0) throw new ArgumentOutOfRangeException(nameof(divisorOverride), divisorOverride, $"divisor_override must be > 0, got {divisorOverride}");
        int oh = OutputSize(h, k.H, stride.H, pad.H, 1, ceilMode), ow = OutputSize(w, k.W, stride.W, pad.W, 1, ceilMode);
        if (oh < 1 || ow < 1) throw new ArgumentException($"avg_pool2d: output size {oh}x{ow} is too small for input shape {Shapes.Format(x.ShapeArray)}");
        // Window i covers rows hs..he-1 (clipped to the input) and is divided by PyTorch's divisor.
        var windows = new (int Hs, int He, int Ws, int We, double Divisor)[oh * ow];
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            int hs = i * stride.H - pad.H, ws = j * stride.W - pad.W;
            int he = Math.Min(hs + k.H, h + pad.H), we = Math.Min(ws + k.W, w + pad.W);
            int poolSize = (he - hs) * (we - ws);
            hs = Math.Max(hs, 0); ws = Math.Max(ws, 0); he = Math.Min(he, h); we = Math.Min(we, w);
            double divisor = divisorOverride ?? (countIncludePad ? poolSize : (he - hs) * (we - ws));
            windows[i * ow + j] = (hs, he, ws, we, divisor);
        }
        var src = x.Contiguous();
        var result = new Tensor([n, c, oh, ow], x.DType);
        if (x.DType == DType.Float32) AvgForward(src.AsSpan<float>(), result.AsSpan<float>(), windows, h, w);
        else AvgForward(src.AsSpan<double>(), result.AsSpan<double>(), windows, h, w);
        int[] shape = x.Shape;
        return Autograd.Record(result, "AvgPool2DBackward", [x], g =>
        {
            var gc = g.Contiguous();
            var gx = new Tensor(shape, g.DType);
            if (g.DType == DType.Float32) AvgBackward(gc.AsSpan<float>(), gx.AsSpan<float>(), windows, h, w);
            else AvgBackward(gc.AsSpan<double>(), gx.AsSpan<double>(), windows, h, w);
            return [gx];
        });
    }

    private static void AvgForward<T>(ReadOnlySpan<T> src, Span<T> dst, (int Hs, int He, int Ws, int We, double Divisor)[] windows, int h, int w)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = h * w, planes = dst.Length / Math.Max(windows.Length, 1);
        for (int p = 0; p < planes; p++)
        for (int q = 0; q < windows.Length; q++)
        {
            var (hs, he, ws, we, divisor) = windows[q];
            if (hs >= he || ws >= we) continue;
            T sum = T.Zero;
            for (int a = hs; a < he; a++)
            for (int b = ws; b < we; b++) sum += src[p * plane + a * w + b];
            dst[p * windows.Length + q] = sum / T.CreateChecked(divisor);
        }
    }

    private static void AvgBackward<T>(ReadOnlySpan<T> g, Span<T> dx, (int Hs, int He, int Ws, int We, double Divisor)[] windows, int h, int w)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = h * w, planes = g.Length / Math.Max(windows.Length, 1);
        for (int p = 0; p < planes; p++)
        for (int q = 0; q < windows.Length; q++)
        {
            var (hs, he, ws, we, divisor) = windows[q];
            T share = g[p * windows.Length + q] / T.CreateChecked(divisor);
            for (int a = hs; a < he; a++)
            for (int b = ws; b < we; b++) dx[p * plane + a * w + b] += share;
        }
    }
}
