using System.Numerics;
using System.Runtime.InteropServices;

namespace Descent.Kernels;

/// <summary>The geometry of a 2-D max-pooling window over [H, W] planes giving [OutH, OutW] planes.</summary>
internal readonly record struct PoolWindow(int H, int W, int OutH, int OutW, (int H, int W) K, (int H, int W) Stride, (int H, int W) Pad, (int H, int W) Dilation);

/// <summary>2-D max pooling over planes, as PyTorch's (the first maximum of each window wins, NaN propagates).</summary>
internal static class MaxPool
{
    /// <summary>
    /// Each window's maximum (into ys from <paramref name="yOff"/>) and the flat input index of its first maximum in scan
    /// order (NaN propagates), as int32 values packed in the int64 array <paramref name="indices"/>. Planes are
    /// independent, so splitting them over threads does not change any result.
    /// </summary>
    public static void Forward<T>(T[] xs, int xOff, T[] ys, int yOff, long[] indices, int planes, PoolWindow g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = g.H * g.W, outPlane = g.OutH * g.OutW;
        int threads = (long)planes * plane > 1 << 17 ? Math.Min(Parallelism.MaxThreads, planes) : 1;
        Parallelism.For(threads, threads, part =>
        {
            var argmaxSpan = AsInts(indices);
            for (int p = part * planes / threads; p < (part + 1) * planes / threads; p++)
                Plane<T>(xs.AsSpan(xOff + p * plane, plane), ys.AsSpan(yOff + p * outPlane, outPlane), argmaxSpan.Slice(p * outPlane, outPlane), p * plane, g);
        });
    }

    /// <summary>One [H, W] plane: window (i, j) covers rows hs, hs+dH, … below he and columns likewise.</summary>
    private static void Plane<T>(ReadOnlySpan<T> src, Span<T> dst, Span<int> argmax, int planeStart, PoolWindow g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.K == (2, 2) && g.Stride == (2, 2) && g.Pad == (0, 0) && g.Dilation == (1, 1) && 2 * g.OutH <= g.H && 2 * g.OutW <= g.W)
        {
            if (typeof(T) == typeof(float))
                MaxPool2x2.Plane(MemoryMarshal.Cast<T, float>(src), MemoryMarshal.Cast<T, float>(dst), argmax, planeStart, g.W, g.OutH, g.OutW);
            else
                Plane2x2(src, dst, argmax, planeStart, g.W, g.OutH, g.OutW);
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
    private static void Plane2x2<T>(ReadOnlySpan<T> src, Span<T> dst, Span<int> argmax, int planeStart, int w, int outH, int outW)
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

    /// <summary>
    /// Writes gx (from offset 0, <paramref name="planes"/> planes) by adding each output gradient onto its window's
    /// maximum; every index stays in its own plane, so planes split over threads never write the same element (and each
    /// worker clears exactly the planes it writes, so gx need not be cleared first).
    /// </summary>
    public static void Backward<T>(T[] gs, int gOff, long[] indices, T[] dst, int gxLength, int planes, int outPlane) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = gxLength / Math.Max(planes, 1);
        int threads = (long)planes * outPlane > 1 << 16 ? Math.Min(Parallelism.MaxThreads, planes) : 1;
        Parallelism.For(threads, threads, part =>
        {
            int p0 = part * planes / threads, p1 = (part + 1) * planes / threads;
            dst.AsSpan(p0 * plane, (p1 - p0) * plane).Clear();
            int start = p0 * outPlane, end = p1 * outPlane;
            ScatterAdd<T>(gs.AsSpan(gOff + start, end - start), AsInts(indices).Slice(start, end - start), dst);
        });
    }

    /// <summary>The int32 view of the int64 index storage.</summary>
    private static Span<int> AsInts(long[] storage) => MemoryMarshal.Cast<long, int>(storage.AsSpan());

    private static void ScatterAdd<T>(ReadOnlySpan<T> g, ReadOnlySpan<int> index, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int t = 0; t < g.Length; t++) dst[index[t]] += g[t];
    }
}

/// <summary>2-D average pooling over planes, with each window's divisor given by the caller.</summary>
internal static class AvgPool
{
    /// <summary>Each window's sum divided by its divisor; empty windows (wholly in the padding) are left as they are.</summary>
    public static void Forward<T>(ReadOnlySpan<T> src, Span<T> dst, (int Hs, int He, int Ws, int We, double Divisor)[] windows, int h, int w)
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

    /// <summary>Adds each output gradient, divided by its window's divisor, onto the window's elements in dx.</summary>
    public static void Backward<T>(ReadOnlySpan<T> g, Span<T> dx, (int Hs, int He, int Ws, int We, double Divisor)[] windows, int h, int w)
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
