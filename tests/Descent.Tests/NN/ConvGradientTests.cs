using F = Descent.NN.Functional;

namespace Descent.Tests.NN;

/// <summary>
/// conv2d's output and gradients against a direct six-loop definition in float64, on shapes that take each of the
/// fast paths (shifted im2col, thin weight gradient, transposed GEMM weight gradient) with groups, strides,
/// dilations and asymmetric padding.
/// </summary>
public class ConvGradientTests
{
    public static TheoryData<string, int[], int[], int, int, int, int, int, int, int> Cases() => new()
    {
        // name, x shape, w shape, strideH, strideW, padH, padW, dilationH, dilationW, groups
        { "grouped 3x3 same, GEMM weight gradient", [3, 8, 6, 7], [6, 4, 3, 3], 1, 1, 1, 1, 1, 1, 2 },
        { "one channel 3x3 same, thin weight gradient", [2, 1, 9, 9], [5, 1, 3, 3], 1, 1, 1, 1, 1, 1, 1 },
        { "strided dilated groups, thin", [5, 4, 7, 5], [4, 2, 3, 2], 2, 1, 1, 0, 1, 2, 2 },
        { "three groups dilation 2 same, GEMM", [2, 6, 5, 6], [6, 2, 3, 3], 1, 1, 2, 2, 2, 2, 3 },
        { "wide rows 16..17 at the threshold", [2, 2, 4, 5], [3, 2, 2, 4], 1, 1, 0, 0, 1, 1, 1 },
        { "rows 18, valid padding, not shiftable", [2, 2, 5, 6], [3, 2, 3, 3], 1, 1, 0, 0, 1, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2d_matches_the_direct_definition(string name, int[] xShape, int[] wShape, int sh, int sw, int ph, int pw, int dh, int dw, int groups)
    {
        Assert.NotEmpty(name);
        var gen = new Generator(11);
        var x = Tensor.Randn(xShape, DType.Float64, gen).RequiresGrad_();
        var w = Tensor.Randn(wShape, DType.Float64, gen).RequiresGrad_();
        var b = Tensor.Randn([wShape[0]], DType.Float64, gen).RequiresGrad_();
        var y = F.Conv2d(x, w, b, stride: (sh, sw), padding: (ph, pw), dilation: (dh, dw), groups: groups);
        var g = Tensor.Randn(y.Shape, DType.Float64, gen);
        y.Backward(g);

        var (ey, egx, egw, egb) = Direct(x.ToArray<double>(), xShape, w.ToArray<double>(), wShape, b.ToArray<double>(), g.ToArray<double>(), y.Shape,
            (sh, sw), (ph, pw), (dh, dw), groups);
        AssertClose(ey, y.ToArray<double>());
        AssertClose(egx, x.Grad!.ToArray<double>());
        AssertClose(egw, w.Grad!.ToArray<double>());
        AssertClose(egb, b.Grad!.ToArray<double>());
    }

    [Fact]
    public void Same_padding_with_an_even_kernel_pads_more_on_the_right_and_matches_explicit_asymmetric_padding()
    {
        // "same" with a 2×4 kernel pads (0 top, 1 bottom, 1 left, 2 right): shiftable with unequal sides.
        var gen = new Generator(5);
        var x = Tensor.Randn([2, 4, 5, 6], DType.Float64, gen).RequiresGrad_();
        var w = Tensor.Randn([3, 4, 2, 4], DType.Float64, gen).RequiresGrad_();
        var y = F.Conv2d(x, w, null, "same");
        var g = Tensor.Randn(y.Shape, DType.Float64, gen);
        y.Backward(g);
        var gx = x.Grad!.ToArray<double>();
        var gw = w.Grad!.ToArray<double>();

        // The same convolution on an explicitly zero-padded input with no padding (not shiftable: general path).
        var xp = Tensor.Zeros([2, 4, 6, 9], DType.Float64);
        var xa = x.ToArray<double>(); var pa = xp.AsSpan<double>();
        for (int i = 0; i < 8; i++)
            for (int r = 0; r < 5; r++)
                for (int c = 0; c < 6; c++) pa[(i * 6 + r) * 9 + c + 1] = xa[(i * 5 + r) * 6 + c];
        xp.RequiresGrad_();
        var w2 = w.Detach().Clone().RequiresGrad_();
        var y2 = F.Conv2d(xp, w2);
        y2.Backward(g);
        AssertClose(y2.ToArray<double>(), y.ToArray<double>());
        AssertClose(w2.Grad!.ToArray<double>(), gw);
        var gxp = xp.Grad!.ToArray<double>();
        for (int i = 0; i < 8; i++)
            for (int r = 0; r < 5; r++)
                for (int c = 0; c < 6; c++) Assert.Equal(gxp[(i * 6 + r) * 9 + c + 1], gx[(i * 5 + r) * 6 + c], 1e-12);
    }

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(false, false, true)]
    [InlineData(false, true, true)]
    public void Each_gradient_alone_equals_the_one_computed_with_all_of_them(bool needX, bool needW, bool needB)
    {
        var gen = new Generator(9);
        var x = Tensor.Randn([6, 3, 5, 4], DType.Float64, gen);
        var w = Tensor.Randn([4, 3, 3, 3], DType.Float64, gen);
        var b = Tensor.Randn([4], DType.Float64, gen);
        var g = Tensor.Randn([6, 4, 5, 4], DType.Float64, gen);
        Tensor[] All(bool nx, bool nw, bool nb)
        {
            var (xi, wi, bi) = (x.Clone().RequiresGrad_(nx), w.Clone().RequiresGrad_(nw), b.Clone().RequiresGrad_(nb));
            F.Conv2d(xi, wi, bi, padding: 1).Backward(g);
            return [xi.Grad!, wi.Grad!, bi.Grad!];
        }
        var all = All(true, true, true);
        var some = All(needX, needW, needB);
        bool[] need = [needX, needW, needB];
        for (int i = 0; i < 3; i++)
            if (need[i]) Assert.Equal(all[i].ToArray<double>(), some[i].ToArray<double>());
            else Assert.Null(some[i]);
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-10);
    }

    private static (double[] Y, double[] Gx, double[] Gw, double[] Gb) Direct(double[] x, int[] xs, double[] w, int[] ws, double[] b, double[] g, int[] ys,
        (int H, int W) s, (int H, int W) p, (int H, int W) d, int groups)
    {
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = ws[0], cg = ws[1], kh = ws[2], kw = ws[3], oh = ys[2], ow = ys[3], og = o / groups;
        var y = new double[n * o * oh * ow]; var gx = new double[x.Length]; var gw = new double[w.Length]; var gb = new double[o];
        for (int si = 0; si < n; si++)
        for (int oc = 0; oc < o; oc++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            int yi = ((si * o + oc) * oh + i) * ow + j;
            double acc = b[oc], gv = g[yi];
            gb[oc] += gv;
            for (int ci = 0; ci < cg; ci++)
            for (int a = 0; a < kh; a++)
            for (int e = 0; e < kw; e++)
            {
                int r = i * s.H - p.H + a * d.H, q = j * s.W - p.W + e * d.W;
                if (r < 0 || r >= h || q < 0 || q >= wd) continue;
                int xi = ((si * c + oc / og * cg + ci) * h + r) * wd + q, wi = ((oc * cg + ci) * kh + a) * kw + e;
                acc += w[wi] * x[xi];
                gw[wi] += gv * x[xi];
                gx[xi] += gv * w[wi];
            }
            y[yi] = acc;
        }
        return (y, gx, gw, gb);
    }
}
