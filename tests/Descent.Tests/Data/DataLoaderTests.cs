using Descent.Data;

namespace Descent.Tests.Data;

public class DataLoaderTests
{
    private static TensorDataset Numbered(int n) =>
        new(Tensor.Arange(n * 2, DType.Float64).View(n, 2), Tensor.Arange(n, DType.Int64));

    [Fact]
    public void BatchesCoverTheDatasetInOrderWithoutShuffle()
    {
        var loader = new DataLoader(Numbered(10), batchSize: 4);
        var batches = loader.ToList();
        Assert.Equal(3, loader.Count);
        Assert.Equal(new[] { 4, 4, 2 }, batches.Select(b => b.Input.Size(0)));
        Assert.Equal(new[] { 4, 2 }, batches[0].Input.Shape);
        Assert.Equal(new[] { 4.0, 5.0, 6.0, 7.0 }, batches[0].Input.ToArray<double>()[4..]);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), batches.SelectMany(b => b.Target.ToArray<long>()));
    }

    [Fact]
    public void DropLastSkipsTheIncompleteBatch()
    {
        var loader = new DataLoader(Numbered(10), batchSize: 4, dropLast: true);
        Assert.Equal(2, loader.Count);
        Assert.Equal(new[] { 4, 4 }, loader.Select(b => b.Input.Size(0)));
    }

    [Fact]
    public void ShuffleIsAPermutationThatChangesEachEpochAndFollowsTheSeed()
    {
        long[] Epoch(DataLoader l) => l.SelectMany(b => b.Target.ToArray<long>()).ToArray();
        var a = new DataLoader(Numbered(50), batchSize: 7, shuffle: true, generator: new Generator(3));
        var b = new DataLoader(Numbered(50), batchSize: 7, shuffle: true, generator: new Generator(3));
        long[] first = Epoch(a), second = Epoch(a);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), first.Order());
        Assert.NotEqual(first, second);
        Assert.NotEqual(Enumerable.Range(0, 50).Select(i => (long)i), first);
        Assert.Equal(first, Epoch(b));
        // Inputs stay paired with their targets: sample i's input row is (2i, 2i+1).
        foreach (var (input, target) in new DataLoader(Numbered(50), batchSize: 7, shuffle: true, generator: new Generator(9)))
        {
            double[] rows = input.ToArray<double>();
            long[] t = target.ToArray<long>();
            for (int i = 0; i < t.Length; i++) Assert.Equal(2.0 * t[i], rows[2 * i]);
        }
    }

    [Fact]
    public void TensorDatasetGivesRowsAndWorksWithNonContiguousInputs()
    {
        var x = Tensor.Arange(6, DType.Float32).View(2, 3).T(); // [3, 2], not contiguous
        var ds = new TensorDataset(x, Tensor.FromArray(new[] { 1f, 2f, 3f }));
        Assert.Equal(3, ds.Count);
        Assert.Equal(new[] { 1f, 4f }, ds.Get(1).Input.ToArray<float>());
        Assert.Equal(2f, ds.Get(1).Target.Item<float>());
        var (bx, by) = ds.GetBatch([2, 0]);
        Assert.Equal(new[] { 2f, 5f, 0f, 3f }, bx.ToArray<float>());
        Assert.Equal(new[] { 3f, 1f }, by.ToArray<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.Get(3));
    }

    private sealed class Squares(int n) : Dataset
    {
        public override int Count => n;

        public override (Tensor Input, Tensor Target) Get(int index)
        {
            CheckIndex(index);
            return (Tensor.FromArray(new[] { (double)index }), Tensor.Scalar(index * index, DType.Float64));
        }
    }

    [Fact]
    public void CustomDatasetsAreStackedThroughGet()
    {
        var batches = new DataLoader(new Squares(5), batchSize: 2).ToList();
        Assert.Equal(new[] { 2, 1 }, batches[0].Input.Shape);
        Assert.Equal(new[] { 2 }, batches[0].Target.Shape);
        Assert.Equal(new[] { 16.0 }, batches[2].Target.ToArray<double>());
    }

    [Fact]
    public void BadArgumentsGetClearErrors()
    {
        var size = Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Numbered(4), batchSize: 0));
        Assert.Contains("batchSize must be >= 1, got 0", size.Message);
        var empty = Assert.Throws<ArgumentException>(() => new DataLoader(Numbered(0), batchSize: 2));
        Assert.Contains("empty", empty.Message);
        var lengths = Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros([5, 2]), Tensor.Zeros([4])));
        Assert.Contains("5 samples", lengths.Message);
        Assert.Contains("has 4", lengths.Message);
        Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Scalar(1), Tensor.Zeros([1])));
        Assert.Throws<ArgumentException>(() => new DataLoader(Numbered(3), batchSize: 4, dropLast: true));
    }
}
