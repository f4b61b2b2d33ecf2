namespace Descent.Tests.Autograd;

/// <summary>Gather as torch.gather, with an index that may be smaller than the input outside dim.</summary>
public class GatherTests
{
    /// <summary>out[i, j, k] = x[i, j, k] with the coordinate along <paramref name="dim"/> replaced by index[i, j, k], by loops.</summary>
    private static double[] Expected(double[] x, int[] shape, int dim, long[] index, int[] ishape)
    {
        var result = new double[index.Length];
        var c = new int[3];
        for (c[0] = 0; c[0] < ishape[0]; c[0]++)
        for (c[1] = 0; c[1] < ishape[1]; c[1]++)
        for (c[2] = 0; c[2] < ishape[2]; c[2]++)
        {
            int k = (c[0] * ishape[1] + c[1]) * ishape[2] + c[2];
            var s = (int[])c.Clone();
            s[dim] = (int)index[k];
            result[k] = x[(s[0] * shape[1] + s[1]) * shape[2] + s[2]];
        }
        return result;
    }

    [Theory]
    [InlineData(0, new[] { 1, 2, 3 })]
    [InlineData(1, new[] { 1, 2, 3 })]
    [InlineData(2, new[] { 2, 2, 5 })]
    [InlineData(0, new[] { 3, 3, 4 })]
    [InlineData(1, new[] { 2, 1, 2 })]
    public void AnIndexSmallerThanTheInputPicksAsPyTorch(int dim, int[] ishape)
    {
        int[] shape = [2, 3, 4];
        var x = Tensor.Arange(24, DType.Float64).Reshape(shape);
        var g = new Generator(dim * 31 + ishape.Sum());
        int n = ishape.Aggregate(1, (a, b) => a * b);
        var index = Enumerable.Range(0, n).Select(_ => (long)(g.NextDouble() * shape[dim])).ToArray();
        var picked = x.Gather(dim, Tensor.FromArray(index, ishape));
        Assert.Equal(ishape, picked.Shape);
        Assert.Equal(Expected(x.ToArray<double>(), shape, dim, index, ishape), picked.ToArray<double>());
    }

    [Fact]
    public void TheGradientOfASmallerIndexLandsWhereItPicked()
    {
        var x = Tensor.Zeros([2, 3, 4], DType.Float64, requiresGrad: true);
        var index = Tensor.FromArray(new long[] { 1, 0, 0, 1, 1, 1 }, [1, 2, 3]);
        x.Gather(0, index).Sum().Backward();
        var grad = x.Grad!.ToArray<double>();
        var expected = new double[24];
        long[] at = index.ToArray<long>();
        for (int j = 0; j < 2; j++)
        for (int k = 0; k < 3; k++) expected[(at[j * 3 + k] * 3 + j) * 4 + k] += 1;
        Assert.Equal(expected, grad);
    }
}
