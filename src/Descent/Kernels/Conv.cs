using System.Runtime.CompilerServices;
using System.Numerics;

namespace Descent.Kernels;

/// <summary>The geometry of a 2-D convolution or pooling window over one [C, H, W] image.</summary>
internal readonly record struct ConvGeometry(
    int Channels, int Height, int Width, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadTop, int PadLeft, int DilationH, int DilationW, int OutH, int OutW)
{
    public int ColumnRows => Channels * KernelH * KernelW;
    public int OutPlane => OutH * OutW;

    /// <summary>
    /// Unit strides and as many output columns as input columns (e.g. a 3×3 kernel with padding 1): each row of the
    /// column matrix is then the flattened image plane shifted by a constant offset, with the padding entries zero.
    /// </summary>
    public bool IsShiftable => StrideH == 1 && StrideW == 1 && OutW == Width;
}

/// <summary>
/// im2col and col2im: unfold an image into the matrix whose product with the flattened kernels is the convolution
/// (rows c·kH·kW + ki·kW + kj, columns oh·outW + ow), and fold such a matrix's gradient back onto the image.
/// </summary>
internal static partial class Conv
{
    public static void Im2Col<T>(ReadOnlySpan<T> image, in ConvGeometry g, Span<T> cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.IsShiftable) ShiftedIm2Col(image, g, cols);
        else GeneralIm2Col(image, g, cols);
    }

    /// <summary>im2col by rows of the output: any stride, dilation and padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void GeneralIm2Col<T>(ReadOnlySpan<T> image, in ConvGeometry g, Span<T> cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int l = g.OutPlane;
        for (int c = 0; c < g.Channels; c++)
        for (int ki = 0; ki < g.KernelH; ki++)
        for (int kj = 0; kj < g.KernelW; kj++)
        {
            int row = (c * g.KernelH + ki) * g.KernelW + kj;
            var dst = cols.Slice(row * l, l);
            var plane = image.Slice(c * g.Height * g.Width, g.Height * g.Width);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                var seg = dst.Slice(oh * g.OutW, g.OutW);
                int ih = oh * g.StrideH - g.PadTop + ki * g.DilationH;
                if ((uint)ih >= (uint)g.Height)
                {
                    seg.Clear();
                    continue;
                }
                var src = plane.Slice(ih * g.Width, g.Width);
                int iw0 = kj * g.DilationW - g.PadLeft;
                if (g.StrideW == 1)
                {
                    // Unit stride: one block copy between the zero-padded ends.
                    var (lo, hi) = ValidRange(iw0, g.OutW, g.Width);
                    if (hi <= lo)
                    {
                        seg.Clear();
                        continue;
                    }
                    seg[..lo].Clear();
                    src.Slice(iw0 + lo, hi - lo).CopyTo(seg[lo..hi]);
                    seg[hi..].Clear();
                    continue;
                }
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int iw = iw0 + ow * g.StrideW;
                    seg[ow] = (uint)iw < (uint)g.Width ? src[iw] : T.Zero;
                }
            }
        }
    }

    /// <summary>
    /// Adds the column matrix's entries onto the image positions they were read from (the adjoint of im2col). The
    /// entries that were padding may be overwritten with zeros (the matrix is the caller's scratch).
    /// </summary>
    public static void Col2Im<T>(Span<T> cols, in ConvGeometry g, Span<T> image) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.IsShiftable) ShiftedCol2Im(cols, g, image);
        else GeneralCol2Im(cols, g, image);
    }

    /// <summary>col2im by rows of the output: any stride, dilation and padding; leaves the matrix unchanged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void GeneralCol2Im<T>(ReadOnlySpan<T> cols, in ConvGeometry g, Span<T> image) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int l = g.OutPlane;
        for (int c = 0; c < g.Channels; c++)
        for (int ki = 0; ki < g.KernelH; ki++)
        for (int kj = 0; kj < g.KernelW; kj++)
        {
            int row = (c * g.KernelH + ki) * g.KernelW + kj;
            var src = cols.Slice(row * l, l);
            var plane = image.Slice(c * g.Height * g.Width, g.Height * g.Width);
            for (int oh = 0; oh < g.OutH; oh++)
            {
                int ih = oh * g.StrideH - g.PadTop + ki * g.DilationH;
                if ((uint)ih >= (uint)g.Height) continue;
                var dst = plane.Slice(ih * g.Width, g.Width);
                var seg = src.Slice(oh * g.OutW, g.OutW);
                int iw0 = kj * g.DilationW - g.PadLeft;
                if (g.StrideW == 1)
                {
                    var (lo, hi) = ValidRange(iw0, g.OutW, g.Width);
                    if (hi <= lo) continue;
                    var target = dst.Slice(iw0 + lo, hi - lo);
                    System.Numerics.Tensors.TensorPrimitives.Add(target, seg[lo..hi], target);
                    continue;
                }
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int iw = iw0 + ow * g.StrideW;
                    if ((uint)iw < (uint)g.Width) dst[iw] += seg[ow];
                }
            }
        }
    }

    /// <summary>The output columns lo..hi−1 whose input column iw0 + ow lies inside [0, width), for unit stride.</summary>
    internal static (int Lo, int Hi) ValidRange(int iw0, int outW, int width)
    {
        int lo = Math.Clamp(-iw0, 0, outW);
        int hi = Math.Clamp(width - iw0, lo, outW);
        return (lo, hi);
    }

    /// <summary>dst[cols, rows] = src[rows, cols]ᵀ, row-major.</summary>
    public static void Transpose<T>(ReadOnlySpan<T> src, int rows, int cols, Span<T> dst)
    {
        for (int i = 0; i < rows; i++)
        {
            var row = src.Slice(i * cols, cols);
            for (int j = 0; j < cols; j++) dst[j * rows + i] = row[j];
        }
    }
}
