using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;

namespace Descent.Kernels;

/// <summary>
/// im2col and col2im for <see cref="ConvGeometry.IsShiftable"/> geometries: a row (c, ki, kj) of the column matrix
/// holds image[c, oh + dh, ow + dw] at oh·W + ow, i.e. the flattened plane shifted by dh·W + dw. One block copy (or
/// one vector add) per row replaces one short copy per output row; only the few entries whose column falls off the
/// left or right edge (and which the shift wrapped onto the neighbouring image row) are then fixed up one by one.
/// </summary>
internal static partial class Conv
{
    /// <summary>The valid part of one shifted row: entries [Start, End) of the row, read at plane index + Shift.</summary>
    private readonly record struct ShiftedRow(int Start, int End, int Shift, int RowLo, int RowHi, int ColLo, int ColHi)
    {
        public bool IsEmpty => End <= Start;
    }

    private static ShiftedRow RowOf(in ConvGeometry g, int ki, int kj)
    {
        int dh = ki * g.DilationH - g.PadTop, dw = kj * g.DilationW - g.PadLeft;
        int rowLo = Math.Clamp(-dh, 0, g.OutH), rowHi = Math.Clamp(g.Height - dh, rowLo, g.OutH);
        var (lo, hi) = ValidRange(dw, g.OutW, g.Width);
        if (rowHi <= rowLo || hi <= lo) return new ShiftedRow(0, 0, 0, 0, 0, 0, 0);
        return new ShiftedRow(rowLo * g.OutW + lo, (rowHi - 1) * g.OutW + hi, dh * g.Width + dw, rowLo, rowHi, lo, hi);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ShiftedIm2Col<T>(ReadOnlySpan<T> image, in ConvGeometry g, Span<T> cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int l = g.OutPlane, planeSize = g.Height * g.Width;
        for (int ki = 0; ki < g.KernelH; ki++)
        for (int kj = 0; kj < g.KernelW; kj++)
        {
            var r = RowOf(g, ki, kj);
            for (int c = 0; c < g.Channels; c++)
            {
                var dst = cols.Slice(((c * g.KernelH + ki) * g.KernelW + kj) * l, l);
                if (r.IsEmpty)
                {
                    dst.Clear();
                    continue;
                }
                var plane = image.Slice(c * planeSize, planeSize);
                dst[..r.Start].Clear();
                plane.Slice(r.Start + r.Shift, r.End - r.Start).CopyTo(dst[r.Start..r.End]);
                dst[r.End..].Clear();
                ZeroEdges(dst, g.OutW, r);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ShiftedCol2Im<T>(Span<T> cols, in ConvGeometry g, Span<T> image) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int l = g.OutPlane, planeSize = g.Height * g.Width;
        // Channel-major, kernel offsets in the same (ki, kj) order as the general path, so every image element
        // receives its terms in the same order.
        for (int c = 0; c < g.Channels; c++)
        {
            var plane = image.Slice(c * planeSize, planeSize);
            for (int ki = 0; ki < g.KernelH; ki++)
            for (int kj = 0; kj < g.KernelW; kj++)
            {
                var r = RowOf(g, ki, kj);
                if (r.IsEmpty) continue;
                var src = cols.Slice(((c * g.KernelH + ki) * g.KernelW + kj) * l, l);
                // The edge entries would land on the neighbouring image row; as zeros they add nothing there.
                ZeroEdges(src, g.OutW, r);
                var target = plane.Slice(r.Start + r.Shift, r.End - r.Start);
                TensorPrimitives.Add(target, src[r.Start..r.End], target);
            }
        }
    }

    /// <summary>Zeros the entries of output rows RowLo..RowHi−1 whose column lies outside [ColLo, ColHi).</summary>
    private static void ZeroEdges<T>(Span<T> row, int outW, in ShiftedRow r) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (r.ColLo == 0 && r.ColHi == outW) return;
        // A few entries per row (one for a 3×3 kernel with padding 1): scalar stores beat a Clear call per edge.
        for (int oh = r.RowLo; oh < r.RowHi; oh++)
        {
            var seg = row.Slice(oh * outW, outW);
            for (int j = 0; j < r.ColLo; j++) seg[j] = T.Zero;
            for (int j = r.ColHi; j < seg.Length; j++) seg[j] = T.Zero;
        }
    }
}
