using System.Numerics;
using System.Numerics.Tensors;

namespace Descent.Parallel;

/// <summary>
/// A run of parameters (of one dtype) whose gradients are reduced together: every local shard's gradients copied into
/// one flat buffer (the tree's leaves), reduced over all shards by <see cref="ShardTree"/>, and written back. After its
/// values a parameter takes one entry set when the shard gave it a dense gradient, so that a parameter no shard gave a
/// gradient keeps none; one with a row-sparse gradient takes before that entry one per row (set where the gradient
/// touches the row), so that the sum knows which rows the result holds.
/// </summary>
internal abstract class GradientBucket
{
    /// <summary>A parameter's place in the bucket.</summary>
    public sealed record Slot(Tensor Parameter, int Offset, bool Sparse)
    {
        public int Length => Parameter.NumEl + (Sparse ? Rows : 0) + 1;

        public int Rows => Parameter.ShapeArray[0];
    }

    protected GradientBucket(IReadOnlyList<Slot> slots)
    {
        Slots = slots;
        Length = slots.Sum(s => s.Length);
    }

    public IReadOnlyList<Slot> Slots { get; }

    /// <summary>The elements of the flat buffer.</summary>
    public int Length { get; }

    /// <summary>How many of the bucket's parameters the current final backward pass has finished.</summary>
    public int Finished { get; set; }

    public bool Complete => Finished == Slots.Count;

    public static GradientBucket Create(DType dtype, IReadOnlyList<Slot> slots, int localShards) => dtype == DType.Float32
        ? new GradientBucket<float>(slots, localShards)
        : new GradientBucket<double>(slots, localShards);

    /// <summary>Copies <paramref name="slot"/>'s gradient into local shard <paramref name="shard"/>'s leaf (null counts as zero), and clears it when <paramref name="clear"/>.</summary>
    public abstract void Gather(Slot slot, int shard, bool clear);

    /// <summary>Sums the leaves of every shard of every rank in the tree's order, into the result.</summary>
    public abstract void Reduce(ReductionPlan plan);

    /// <summary>Writes the result into the parameters' gradients, multiplied by <paramref name="scale"/> unless it is 1.</summary>
    public abstract void Scatter(double scale);
}

/// <summary>Which shards this rank computes, and the nodes of the tree every rank sends.</summary>
internal sealed class ReductionPlan
{
    public ReductionPlan(Communicator communicator, int shards)
    {
        Communicator = communicator;
        Shards = shards;
        LocalShards = shards / communicator.Size;
        FirstShard = communicator.Rank * LocalShards;
        Covers = [.. Enumerable.Range(0, communicator.Size).Select(r => ShardTree.Cover(shards, r * LocalShards, (r + 1) * LocalShards))];
        for (int r = 0; r < Covers.Length; r++)
            for (int k = 0; k < Covers[r].Count; k++) Sender[Covers[r][k]] = (r, k);
    }

    public Communicator Communicator { get; }

    public int Shards { get; }

    public int LocalShards { get; }

    public int FirstShard { get; }

    /// <summary>The nodes each rank sends, left to right.</summary>
    public List<(int Lo, int Hi)>[] Covers { get; }

    /// <summary>For every node some rank sends: that rank and the node's place among its nodes.</summary>
    public Dictionary<(int Lo, int Hi), (int Rank, int Index)> Sender { get; } = [];

    /// <summary>The part of a bucket of <paramref name="length"/> elements whose sum rank <paramref name="rank"/> finishes.</summary>
    public (int Start, int Length) Chunk(int length, int rank)
    {
        int size = Communicator.Size, per = (length + size - 1) / size;
        int start = Math.Min(length, rank * per);
        return (start, Math.Min(length, start + per) - start);
    }
}

internal sealed class GradientBucket<T>(IReadOnlyList<GradientBucket.Slot> slots, int localShards) : GradientBucket(slots)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _leaves = [.. Enumerable.Range(0, localShards).Select(_ => new T[slots.Sum(s => s.Length)])];
    private readonly List<T[]> _scratch = [];
    private T[] _result = [];
    private T[] _nodes = [], _send = [], _received = [], _chunk = [];
    private Exchange? _exchange;

    public override void Gather(Slot slot, int shard, bool clear)
    {
        var leaf = _leaves[shard].AsSpan(slot.Offset, slot.Length);
        var p = slot.Parameter;
        int n = p.NumEl;
        if (p.Grad is { } dense)
        {
            if (dense.RequiresGrad) throw new InvalidOperationException("data-parallel training cannot reduce a gradient that is part of a graph (Backward with createGraph)");
            // Adding zero copies every value but turns −0 into +0: a shard's gradient is then the same bits whether its
            // first contribution was copied into a null gradient or added to a zeroed one, which depends on where it ran.
            TensorPrimitives.Add(dense.Contiguous().AsSpan<T>(), T.Zero, leaf[..n]);
            leaf[n..].Fill(T.One); // every row (when sparse), and the flag of a dense gradient
            if (clear) dense.Zero_();
        }
        else
        {
            leaf.Clear();
            if (p.SparseGrad is { } sparse)
            {
                if (!slot.Sparse) throw new InvalidOperationException($"a parameter of shape {Shapes.Format(p.ShapeArray)} has a row-sparse gradient, but data-parallel training found no sparse Embedding holding it");
                sparse.AddInto(leaf[..n]);
                sparse.MarkRows(leaf.Slice(n, slot.Rows));
                if (clear) p.SparseGrad = null;
            }
        }
    }

    public override void Reduce(ReductionPlan plan)
    {
        if (_result.Length != Length) _result = new T[Length];
        var exchange = _exchange ??= new Exchange(this, plan);
        if (plan.Communicator.Size == 1)
        {
            ShardTree.Sum<T>(0, plan.Shards, exchange.Leaf, _result, _scratch);
            return;
        }
        var communicator = plan.Communicator;
        var mine = plan.Covers[communicator.Rank];
        // Every rank finishes the sum of one chunk: it gets every rank's nodes over that chunk (one node, a leaf or a sum,
        // goes as it is: the chunks tile the bucket in order)...
        ReadOnlySpan<T> send = mine.Count == 1 ? NodeValue(plan, exchange, 0) : Pack(plan, exchange, mine.Count);
        communicator.AllToAll<T>(send, exchange.SendCounts, _received, exchange.ReceiveCounts);
        // ...adds them up in the tree's order...
        ShardTree.Sum<T>(0, plan.Shards, exchange.Received, _chunk, _scratch);
        // ...and every rank gets every chunk.
        communicator.AllGather<T>(_chunk, _result, exchange.ChunkLengths);
    }

    /// <summary>The value of this rank's node <paramref name="k"/> over the whole bucket: its one leaf as it is, or the sum of its leaves.</summary>
    private ReadOnlySpan<T> NodeValue(ReductionPlan plan, Exchange exchange, int k)
    {
        var (lo, hi) = plan.Covers[plan.Communicator.Rank][k];
        if (hi - lo == 1) return _leaves[lo - plan.FirstShard];
        if (_nodes.Length != Length) _nodes = new T[Length];
        ShardTree.Sum<T>(lo, hi, exchange.Leaf, _nodes, _scratch);
        return _nodes;
    }

    /// <summary>
    /// The values of this rank's <paramref name="nodes"/> nodes as AllToAll sends them, chunk 0 of every node, then chunk
    /// 1 of every node, and so on, in a buffer kept from step to step: a bucket's worth of fresh memory on every step cost
    /// more than the exchange itself (MNIST MLP, 0.9 MB: 0.3–0.4 ms a step, the exchange 0.1 ms).
    /// </summary>
    private T[] Pack(ReductionPlan plan, Exchange exchange, int nodes)
    {
        if (_send.Length != nodes * Length) _send = new T[nodes * Length];
        for (int k = 0; k < nodes; k++)
        {
            var value = NodeValue(plan, exchange, k);
            // Chunk c of node k lands after the chunks before c of every node (all of them whole: only the last are short).
            for (int c = 0; c < plan.Communicator.Size; c++)
            {
                var (start, length) = plan.Chunk(Length, c);
                value.Slice(start, length).CopyTo(_send.AsSpan(nodes * start + k * length));
            }
        }
        return _send;
    }

    /// <summary>
    /// What a bucket's reduction needs on every step that does not change from one to the next, made on the first: the
    /// message sizes, where each rank's nodes land, and the two ways of knowing a node (a local leaf, a received node).
    /// </summary>
    private sealed class Exchange
    {
        public Exchange(GradientBucket<T> bucket, ReductionPlan plan)
        {
            int size = plan.Communicator.Size, rank = plan.Communicator.Rank;
            int mine = plan.Covers[rank].Count;
            ChunkLengths = [.. Enumerable.Range(0, size).Select(r => plan.Chunk(bucket.Length, r).Length)];
            int myLength = ChunkLengths[rank];
            SendCounts = [.. ChunkLengths.Select(length => mine * length)];
            ReceiveCounts = [.. plan.Covers.Select(cover => cover.Count * myLength)];
            var offsets = new int[size];
            for (int r = 1; r < size; r++) offsets[r] = offsets[r - 1] + ReceiveCounts[r - 1];
            if (size > 1)
            {
                bucket._received = new T[ReceiveCounts.Sum()];
                bucket._chunk = new T[myLength];
            }
            Leaf = (int lo, int hi, out ReadOnlySpan<T> value) =>
            {
                value = hi - lo == 1 ? bucket._leaves[lo - plan.FirstShard] : default;
                return hi - lo == 1;
            };
            Received = (int lo, int hi, out ReadOnlySpan<T> value) =>
            {
                value = default;
                if (!plan.Sender.TryGetValue((lo, hi), out var from)) return false;
                value = bucket._received.AsSpan(offsets[from.Rank] + from.Index * myLength, myLength);
                return true;
            };
        }

        /// <summary>The elements each rank finishes the sum of.</summary>
        public int[] ChunkLengths { get; }

        public int[] SendCounts { get; }

        public int[] ReceiveCounts { get; }

        /// <summary>The leaves this rank holds: shard s is local shard s − FirstShard.</summary>
        public ShardTree.KnownNode<T> Leaf { get; }

        /// <summary>The nodes every rank sent over this rank's chunk.</summary>
        public ShardTree.KnownNode<T> Received { get; }
    }

    public override void Scatter(double scale)
    {
        T factor = T.CreateChecked(scale);
        foreach (var slot in Slots)
        {
            var p = slot.Parameter;
            int n = p.NumEl;
            var sum = _result.AsSpan(slot.Offset, slot.Length);
            if (sum[^1] == T.Zero)
            {
                // No shard gave a dense gradient: a sparse one, or none at all.
                if (scale != 1) TensorPrimitives.Multiply(sum[..n], factor, sum[..n]);
                if (slot.Sparse) ScatterSparse(p, sum[..n], sum.Slice(n, slot.Rows));
                else p.Grad = null;
                continue;
            }
            using (TensorScope.Suspend())
            {
                if (p.Grad is not { IsContiguous: true } grad) p.Grad = grad = Tensor.Zeros(p.ShapeArray, p.DType);
                // The average's division and the copy back, in one pass.
                if (scale != 1) TensorPrimitives.Multiply(sum[..n], factor, grad.AsSpan<T>());
                else sum[..n].CopyTo(grad.AsSpan<T>());
            }
        }
    }

    /// <summary>A sum of row-sparse gradients: the rows some shard touched, with their summed values (none touched: no gradient).</summary>
    private static void ScatterSparse(Tensor p, ReadOnlySpan<T> values, ReadOnlySpan<T> touched)
    {
        var rows = new List<long>();
        for (int r = 0; r < touched.Length; r++) if (touched[r] != T.Zero) rows.Add(r);
        if (rows.Count == 0)
        {
            p.Grad = null;
            p.SparseGrad = null;
            return;
        }
        int rowLength = p.NumEl / touched.Length;
        using (TensorScope.Suspend())
        {
            var kept = Tensor.Zeros([rows.Count, .. p.ShapeArray[1..]], p.DType);
            var target = kept.AsSpan<T>();
            for (int i = 0; i < rows.Count; i++) values.Slice((int)rows[i] * rowLength, rowLength).CopyTo(target.Slice(i * rowLength, rowLength));
            p.SparseGrad = new RowSparseGrad(Tensor.FromArray(rows.ToArray()), kept, p.ShapeArray);
        }
    }
}
