using Descent.Kernels;

namespace Descent.Tests.Kernels;

/// <summary>The fast convolution paths against the general ones, on odd shapes, paddings and dilations.</summary>
public class ConvKernelTests
{
    /// <summary>Stride-1 geometries whose output is as wide as the input (left + right padding = dilation·(kW − 1)).</summary>
    public static TheoryData<int, int, int, int, int, int, int, int, int> ShiftableGeometries() => new()
    {
        // channels, height, width, kH, kW, padTop, padLeft, dilationH, dilationW (padBottom follows from outH below)
        { 1, 28, 28, 3, 3, 1, 1, 1, 1 },
        { 3, 5, 7, 3, 3, 1, 1, 1, 1 },
        { 2, 6, 5, 2, 2, 0, 1, 1, 1 },
        { 2, 6, 5, 2, 2, 1, 0, 1, 1 },
        { 2, 4, 9, 5, 3, 2, 1, 1, 1 },
        { 1, 3, 4, 3, 3, 2, 2, 2, 2 },
        { 2, 1, 1, 3, 3, 2, 2, 2, 2 },
        { 1, 7, 3, 1, 1, 0, 0, 1, 1 },
        { 2, 5, 6, 3, 5, 0, 2, 1, 1 },
        { 1, 2, 2, 5, 5, 3, 2, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(ShiftableGeometries))]
    public void Shifted_im2col_and_col2im_match_the_general_loops(int c, int h, int w, int kh, int kw, int padTop, int padLeft, int dh, int dw)
    {
        // Several output heights per input: equal to the input's ("same") and not.
        foreach (int outH in new[] { h, Math.Max(1, h - 1), h + 1 })
        {
            var g = new ConvGeometry(c, h, w, kh, kw, 1, 1, padTop, padLeft, dh, dw, outH, w);
            Assert.True(g.IsShiftable);
            var rng = new Random(c * 1000 + h * 100 + w * 10 + kh + outH);
            var image = Enumerable.Range(0, c * h * w).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var expected = new double[g.ColumnRows * g.OutPlane];
            var actual = Enumerable.Repeat(double.NaN, expected.Length).ToArray(); // every entry must be written
            Conv.GeneralIm2Col<double>(image, g, expected);
            Conv.ShiftedIm2Col<double>(image, g, actual);
            Assert.Equal(expected, actual);

            var cols = Enumerable.Range(0, expected.Length).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var start = Enumerable.Range(0, image.Length).Select(_ => rng.NextDouble()).ToArray();
            var expectedImage = (double[])start.Clone();
            var actualImage = (double[])start.Clone();
            Conv.GeneralCol2Im<double>(cols, g, expectedImage);
            Conv.ShiftedCol2Im<double>((double[])cols.Clone(), g, actualImage);
            Assert.Equal(expectedImage, actualImage);
        }
    }

    [Fact]
    public void Strided_or_narrowing_geometries_are_not_shiftable()
    {
        Assert.False(new ConvGeometry(1, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 4, 4).IsShiftable);
        Assert.False(new ConvGeometry(1, 8, 8, 3, 3, 1, 1, 0, 0, 1, 1, 6, 6).IsShiftable);
        Assert.False(new ConvGeometry(1, 8, 8, 3, 3, 2, 1, 1, 1, 1, 1, 4, 8).IsShiftable);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(16, 9, 784)]
    [InlineData(5, 15, 37)]
    [InlineData(2, 4, 100)]
    [InlineData(7, 13, 3)]
    public void Thin_weight_gradient_matches_the_gemm(int outs, int rows, int length)
    {
        var rng = new Random(outs * 31 + rows * 7 + length);
        var g = Enumerable.Range(0, outs * length).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var cols = Enumerable.Range(0, rows * length).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var start = Enumerable.Range(0, outs * rows).Select(_ => rng.NextDouble()).ToArray();
        var expected = (double[])start.Clone();
        Gemm.Multiply<double>(false, true, outs, rows, length, g, length, cols, length, expected, rows, accumulate: true);
        var actual = (double[])start.Clone();
        ConvWeightGradient.AccumulateThin<double>(g, cols, outs, rows, length, actual);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-12);

        var gf = g.Select(v => (float)v).ToArray();
        var cf = cols.Select(v => (float)v).ToArray();
        var expectedF = start.Select(v => (float)v).ToArray();
        Gemm.Multiply<float>(false, true, outs, rows, length, gf, length, cf, length, expectedF, rows, accumulate: true);
        var actualF = start.Select(v => (float)v).ToArray();
        ConvWeightGradient.AccumulateThin<float>(gf, cf, outs, rows, length, actualF);
        for (int i = 0; i < expectedF.Length; i++) Assert.Equal(expectedF[i], actualF[i], 1e-4f);
    }
}
