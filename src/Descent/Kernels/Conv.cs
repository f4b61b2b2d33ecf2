using System.Numerics;

namespace Descent.Kernels;

/// <summary>The geometry of a 2-D convolution or pooling window over one [C, H, W] image.</summary>
internal readonly record struct ConvGeometry(
    int Channels, int Height, int Width, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadTop, int PadLeft, int DilationH, int DilationW, int OutH, int OutW)
{
    public int ColumnRows => Channels * KernelH * KernelW;
    public int OutPlane => OutH * OutW;
}

/// <summary>
/// im2col and col2im: unfold an image into the matrix whose product with the flattened kernels is the convolution
/// (rows c·kH·kW + ki·kW + kj, columns oh·outW + ow), and fold such a matrix's gradient back onto the image.
/// </summary>
internal static class Conv
{
    public static void Im2Col<T>(ReadOnlySpan<T> image, in ConvGeometry g, Span<T> cols) where T : unmanaged, INumberBase<T>
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
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int iw = iw0 + ow * g.StrideW;
                    seg[ow] = (uint)iw < (uint)g.Width ? src[iw] : T.Zero;
                }
            }
        }
    }

    /// <summary>Adds the column matrix's entries onto the image positions they were read from (the adjoint of im2col).</summary>
    public static void Col2Im<T>(ReadOnlySpan<T> cols, in ConvGeometry g, Span<T> image) where T : unmanaged, INumberBase<T>
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
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int iw = iw0 + ow * g.StrideW;
                    if ((uint)iw < (uint)g.Width) dst[iw] += seg[ow];
                }
            }
        }
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
