using System.Text.Json.Nodes;
using Descent.Data;
using Descent.Tests.Conformance;

namespace Descent.Tests.Data;

/// <summary>
/// DistributedSampler against PyTorch's own indices (reference/distributed-sampler-*.json, made by
/// bench/compare/distributed_sampler_reference.py), its properties over epochs, and the DataLoader over a sampler.
/// </summary>
public class DistributedSamplerTests
{
    private const string Prefix = "distributed-sampler";

    public static TheoryData<string> ReferenceCaseIds() => ReferenceFiles.Ids(Prefix);

    [Theory]
    [MemberData(nameof(ReferenceCaseIds))]
    [Trait("Category", "Conformance")]
    public void SplitMatchesPyTorch(string id)
    {
        var c = ReferenceFiles.Cases(Prefix)[id].Case;
        int length = c["len"]!.GetValue<int>(), replicas = c["num_replicas"]!.GetValue<int>();
        bool dropLast = c["drop_last"]!.GetValue<bool>(), shuffle = c["shuffle"]!.GetValue<bool>();
        int[] order = ReferenceFiles.Ints(c["order"]);
        var expected = c["expected"]!.AsArray();
        int samples = c["num_samples"]!.GetValue<int>();
        Assert.Equal(replicas, expected.Count);

        if (samples == 0)
        {
            // PyTorch hands every rank nothing; Descent refuses the configuration.
            Assert.All(expected, e => Assert.Empty(e!.AsArray()));
            Assert.Throws<ArgumentException>(() => DistributedSampler.SamplesPerReplica(length, replicas, dropLast));
            Assert.Throws<ArgumentException>(() => DistributedSampler.Split(order, replicas, 0, dropLast));
            Assert.Throws<ArgumentException>(() => new DistributedSampler(length, replicas, 0, shuffle, dropLast: dropLast));
            return;
        }

        Assert.Equal(samples, DistributedSampler.SamplesPerReplica(length, replicas, dropLast));
        for (int rank = 0; rank < replicas; rank++)
        {
            int[] want = ReferenceFiles.Ints(expected[rank]);
            Assert.Equal(want, DistributedSampler.Split(order, replicas, rank, dropLast));
            var sampler = new DistributedSampler(length, replicas, rank, shuffle, c["seed"]!.GetValue<long>(), dropLast);
            sampler.SetEpoch(c["epoch"]!.GetValue<int>());
            Assert.Equal(samples, sampler.NumSamples);
            Assert.Equal(c["total_size"]!.GetValue<int>(), sampler.TotalSize);
            // Without shuffling the order is PyTorch's too, so the sampler's indices are PyTorch's.
            if (!shuffle) Assert.Equal(want, sampler.Indices());
        }
    }

    [Fact]
    public void TheReferenceFileCoversPaddingLongerThanTheDatasetAndBothDivisibilities()
    {
        var cases = ReferenceFiles.Cases(Prefix).Values.Select(v => v.Case).ToList();
        Assert.NotEmpty(cases);
        bool Has(Func<JsonObject, bool> when) => cases.Any(when);
        static int Len(JsonObject c) => c["len"]!.GetValue<int>();
        static int Replicas(JsonObject c) => c["num_replicas"]!.GetValue<int>();
        static bool DropLast(JsonObject c) => c["drop_last"]!.GetValue<bool>();
        Assert.True(Has(c => !DropLast(c) && c["total_size"]!.GetValue<int>() - Len(c) > Len(c)));
        Assert.True(Has(c => Len(c) % Replicas(c) == 0 && Replicas(c) > 1));
        Assert.True(Has(c => Len(c) % Replicas(c) != 0 && DropLast(c) && Len(c) > Replicas(c)));
        Assert.True(Has(c => c["shuffle"]!.GetValue<bool>()));
    }

    private static IEnumerable<(int Count, int Replicas, bool DropLast)> Grid()
    {
        foreach (int count in new[] { 1, 2, 3, 7, 12, 13, 40, 41 })
            foreach (int replicas in new[] { 1, 2, 3, 5, 8 })
                foreach (bool dropLast in new[] { false, true })
                    if (!dropLast || count >= replicas) yield return (count, replicas, dropLast);
    }

    private static int[][] Shares(int count, int replicas, bool dropLast, long seed, int epoch)
    {
        var shares = new int[replicas][];
        for (int rank = 0; rank < replicas; rank++)
        {
            var sampler = new DistributedSampler(count, replicas, rank, shuffle: true, seed: seed, dropLast: dropLast);
            sampler.SetEpoch(epoch);
            shares[rank] = sampler.Indices();
        }
        return shares;
    }

    [Fact]
    public void EveryEpochTheReplicasShareTheDatasetAndOnlyThePaddingRepeats()
    {
        foreach (var (count, replicas, dropLast) in Grid())
            for (int epoch = 0; epoch < 4; epoch++)
            {
                const long seed = 11;
                int[][] shares = Shares(count, replicas, dropLast, seed, epoch);
                int[] order = new Generator(seed + epoch).Permutation(count);
                int perReplica = DistributedSampler.SamplesPerReplica(count, replicas, dropLast), total = perReplica * replicas;
                string where = $"count {count}, replicas {replicas}, dropLast {dropLast}, epoch {epoch}";
                Assert.All(shares, s => Assert.Equal(perReplica, s.Length));
                int[] all = shares.SelectMany(s => s).ToArray();
                if (dropLast)
                {
                    Assert.True(all.Distinct().Count() == all.Length, where);
                    Assert.Equal(order[..total].Order(), all.Order());
                    Assert.InRange(count - all.Length, 0, replicas - 1);
                }
                else
                {
                    Assert.Equal(Enumerable.Range(0, count), all.Distinct().Order());
                    // Beyond one visit of every sample, the repeats are the order's first indices, cycling as PyTorch pads.
                    var padding = Enumerable.Range(0, total - count).Select(p => order[p % count]);
                    Assert.Equal(order.Concat(padding).Order(), all.Order());
                    if (count % replicas == 0) Assert.True(all.Distinct().Count() == all.Length, where);
                }
            }
    }

    [Fact]
    public void TheOrderFollowsSeedPlusEpoch()
    {
        int[][] epoch0 = Shares(41, 3, false, seed: 5, epoch: 0), epoch1 = Shares(41, 3, false, seed: 5, epoch: 1);
        Assert.NotEqual(epoch0[0], epoch1[0]);
        Assert.Equal(epoch1, Shares(41, 3, false, seed: 5, epoch: 1));
        Assert.Equal(Shares(41, 3, false, seed: 7, epoch: 0), Shares(41, 3, false, seed: 5, epoch: 2)); // PyTorch's seed + epoch
        Assert.NotEqual(Shares(41, 3, false, seed: 6, epoch: 0)[0], epoch0[0]);

        var sampler = new DistributedSampler(41, 3, 2, seed: 5);
        Assert.Equal(0, sampler.Epoch);
        Assert.Equal(sampler.Indices(), sampler.Indices()); // without SetEpoch the order repeats
        sampler.SetEpoch(9);
        Assert.Equal(9, sampler.Epoch);
        Assert.Equal(DistributedSampler.Split(new Generator(14).Permutation(41), 3, 2, dropLast: false), sampler.Indices());
        Assert.Equal(new[] { 2, 5, 8, 11 }, new DistributedSampler(12, 3, 2, shuffle: false).Indices());
    }

    [Fact]
    public void BadArgumentsNameTheArgument()
    {
        void Check<T>(Func<object> make, string parameter, string text) where T : ArgumentException
        {
            var e = Assert.Throws<T>(make);
            Assert.Equal(parameter, e.ParamName);
            Assert.Contains(text, e.Message);
        }
        Check<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 0, 0), "replicas", "replicas must be >= 1, got 0");
        Check<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 4, 4), "rank", "rank must be in [0, 3] for 4 replicas, got 4");
        Check<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 4, -1), "rank", "got -1");
        Check<ArgumentOutOfRangeException>(() => new DistributedSampler(0, 2, 0), "count", "count must be >= 1, got 0");
        Check<ArgumentException>(() => new DistributedSampler(3, 4, 0, dropLast: true), "count", "leaves no sample");
        Check<ArgumentOutOfRangeException>(() => new DistributedSampler(int.MaxValue, 2, 0), "count", "exceeds");
        Check<ArgumentException>(() => DistributedSampler.Split([], 2, 0, false), "order", "order is empty");
        Check<ArgumentOutOfRangeException>(() => DistributedSampler.Split([1, 2], 2, 2, false), "rank", "got 2");
        Check<ArgumentException>(() => DistributedSampler.Split([1, 2], 3, 0, true), "order", "leaves no sample");
        Check<ArgumentOutOfRangeException>(() => DistributedSampler.SamplesPerReplica(5, -1, false), "replicas", "got -1");
    }

    private static TensorDataset Numbered(int n) =>
        new(Tensor.Arange(n * 2, DType.Float64).View(n, 2), Tensor.Arange(n, DType.Int64));

    private static long[][] Batches(DataLoader loader) => loader.Select(b => b.Target.ToArray<long>()).ToArray();

    [Fact]
    public void ALoaderBatchesItsReplicasShare()
    {
        var sampler = new DistributedSampler(10, replicas: 3, rank: 1, shuffle: false);
        var loader = new DataLoader(Numbered(10), batchSize: 3, sampler: sampler);
        Assert.Same(sampler, loader.Sampler);
        Assert.Null(new DataLoader(Numbered(10)).Sampler);
        Assert.Equal(2, loader.Count); // 4 samples for rank 1: 1, 4, 7 and the padding's 0
        Assert.Equal(new[] { new long[] { 1, 4, 7 }, [0] }, Batches(loader));
        foreach (var (input, target) in loader) // inputs stay paired with their targets
            Assert.Equal(target.ToArray<long>().SelectMany(t => new[] { 2.0 * t, 2.0 * t + 1 }), input.ToArray<double>());

        var dropping = new DataLoader(Numbered(10), batchSize: 3, dropLast: true, sampler: sampler);
        Assert.Equal(1, dropping.Count);
        Assert.Equal(new[] { new long[] { 1, 4, 7 } }, Batches(dropping));
    }

    [Fact]
    public void SetEpochChangesTheLoadersBatches()
    {
        var sampler = new DistributedSampler(40, replicas: 4, rank: 3, seed: 2);
        var loader = new DataLoader(Numbered(40), batchSize: 4, sampler: sampler);
        Assert.Equal(3, loader.Count);
        long[][] first = Batches(loader);
        Assert.Equal(first, Batches(loader)); // the same epoch again
        Assert.Equal(sampler.Indices().Select(i => (long)i), first.SelectMany(b => b));
        sampler.SetEpoch(1);
        long[][] second = Batches(loader);
        Assert.NotEqual(first, second);
        Assert.Equal(sampler.Indices().Select(i => (long)i), second.SelectMany(b => b));
    }

    [Fact]
    public void NextEpochOrderIsWhatTheNextEnumerationVisits()
    {
        var shuffled = new DataLoader(Numbered(20), batchSize: 6, shuffle: true, generator: new Generator(4));
        var draws = new Generator(4);
        Assert.Equal(draws.Permutation(20), shuffled.NextEpochOrder());
        Assert.Equal(draws.Permutation(20).Select(i => (long)i), Batches(shuffled).SelectMany(b => b));
        Assert.Equal(Enumerable.Range(0, 20), new DataLoader(Numbered(20), batchSize: 6).NextEpochOrder());
        var sampler = new DistributedSampler(20, 3, 0, seed: 8);
        Assert.Equal(sampler.Indices(), new DataLoader(Numbered(20), sampler: sampler).NextEpochOrder());
    }

    [Fact]
    public void ALoaderRefusesAShuffleOrAMismatchedSampler()
    {
        var sampler = new DistributedSampler(10, 2, 0);
        var shuffle = Assert.Throws<ArgumentException>(() => new DataLoader(Numbered(10), shuffle: true, sampler: sampler));
        Assert.Equal("shuffle", shuffle.ParamName);
        Assert.Contains("mutually exclusive with shuffle", shuffle.Message);
        var count = Assert.Throws<ArgumentException>(() => new DataLoader(Numbered(11), sampler: sampler));
        Assert.Equal("sampler", count.ParamName);
        Assert.Contains("the sampler is for 10 samples but the dataset has 11", count.Message);
        var batch = Assert.Throws<ArgumentException>(() => new DataLoader(Numbered(10), batchSize: 6, dropLast: true, sampler: sampler));
        Assert.Equal("batchSize", batch.ParamName);
        Assert.Contains("5 samples per replica", batch.Message);
    }
}
