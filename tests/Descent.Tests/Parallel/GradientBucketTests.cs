using Descent.Parallel;

namespace Descent.Tests.Parallel;

/// <summary>A gradient bucket's reduction over thread ranks: its own buffers are made once, not on every step.</summary>
public class GradientBucketTests
{
    private const int Elements = 1 << 18; // 1 MB of float32: a fresh buffer of it would dwarf everything else counted

    [Theory]
    [InlineData(2, 2)] // one node of the tree a rank: its values are sent as they are
    [InlineData(6, 2)] // three shards a rank: two nodes, packed chunk by chunk
    public void A_reduction_in_steady_state_allocates_nothing_the_size_of_the_bucket(int shards, int ranks)
    {
        var allocated = ThreadCommunicator.Run(ranks, c =>
        {
            var counting = new AllocationCounting(c);
            var plan = new ReductionPlan(counting, shards);
            var parameter = Tensor.Ones([Elements]).RequiresGrad_();
            var slot = new GradientBucket.Slot(parameter, 0, Sparse: false);
            var bucket = GradientBucket.Create(DType.Float32, [slot], plan.LocalShards);
            for (int shard = 0; shard < plan.LocalShards; shard++) bucket.Gather(slot, shard, clear: false);
            for (int i = 0; i < 3; i++) bucket.Reduce(plan); // the buffers are made on the first
            counting.Inside = 0;
            long before = GC.GetAllocatedBytesForCurrentThread();
            bucket.Reduce(plan);
            return GC.GetAllocatedBytesForCurrentThread() - before - counting.Inside;
        });

        // What is left is a few arrays of one count per rank and the delegates of the tree's sums, a few KB (more when the
        // runtime compiles a method anew mid-call on a busy machine): far below the 1 MB a fresh buffer would take.
        foreach (long bytes in allocated) Assert.InRange(bytes, 0, Elements * sizeof(float) / 16);
    }

    [Fact]
    public void Every_rank_ends_with_the_sum_over_all_shards()
    {
        const int shards = 6, ranks = 2, length = 1000;
        var sums = ThreadCommunicator.Run(ranks, c =>
        {
            var plan = new ReductionPlan(c, shards);
            var parameter = Tensor.Zeros([length]).RequiresGrad_();
            var slot = new GradientBucket.Slot(parameter, 0, Sparse: false);
            var bucket = GradientBucket.Create(DType.Float32, [slot], plan.LocalShards);
            for (int j = 0; j < plan.LocalShards; j++)
            {
                parameter.Grad = Tensor.Full([length], plan.FirstShard + j + 1f); // shard s gives s + 1 everywhere
                bucket.Gather(slot, j, clear: false);
            }
            for (int i = 0; i < 2; i++) bucket.Reduce(plan); // the second reuses the first's buffers
            bucket.Scatter(1);
            return parameter.Grad!.AsSpan<float>().ToArray();
        });

        foreach (var sum in sums) Assert.All(sum, v => Assert.Equal(21f, v)); // 1 + 2 + … + 6
    }

    /// <summary>Passes every call on to another communicator, counting the bytes this thread allocates inside them.</summary>
    private sealed class AllocationCounting(Communicator inner) : Communicator
    {
        public long Inside { get; set; }

        public override int Rank => inner.Rank;

        public override int Size => inner.Size;

        public override void AllToAll(ReadOnlySpan<byte> send, ReadOnlySpan<int> sendCounts, Span<byte> receive, ReadOnlySpan<int> receiveCounts)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            inner.AllToAll(send, sendCounts, receive, receiveCounts);
            Inside += GC.GetAllocatedBytesForCurrentThread() - before;
        }

        public override void AllGather(ReadOnlySpan<byte> send, Span<byte> receive, ReadOnlySpan<int> counts)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            inner.AllGather(send, receive, counts);
            Inside += GC.GetAllocatedBytesForCurrentThread() - before;
        }

        public override void Broadcast(Span<byte> data, int root) => inner.Broadcast(data, root);

        public override void Barrier() => inner.Barrier();

        public override void Abort(string message, int exitCode) => inner.Abort(message, exitCode);
    }
}
