namespace Descent.Data;

/// <summary>
/// Gives one replica (process) of a data-parallel run its share of a dataset's indices for each epoch, as PyTorch's
/// <c>torch.utils.data.DistributedSampler</c>: every replica draws the same order of the whole dataset, pads it by
/// repeating its start (or, with dropLast, cuts its tail) to a multiple of the replica count, and takes every
/// replicas-th index from position rank. Pass it to <see cref="DataLoader"/> as its sampler.
/// </summary>
/// <remarks>
/// <para>The padding, dropping and striding are PyTorch's, index for index. The shuffled order is not: it is
/// <c>new Generator(seed + epoch).Permutation(count)</c>, PyTorch's rule of seeding with seed + epoch applied to
/// Descent's <see cref="Generator"/> rather than torch's mt19937 <c>randperm</c>, so the indices differ from PyTorch's
/// when shuffling and are the same without.</para>
/// <para>Call <see cref="SetEpoch"/> at the start of every epoch, before enumerating the loader, with the same epoch
/// on every replica. Forgetting it repeats the same order every epoch, as in PyTorch.</para>
/// </remarks>
/// <example><code>
/// var sampler = new DistributedSampler(dataset.Count, replicas: worldSize, rank: rank, seed: 42);
/// var loader = new DataLoader(dataset, batchSize: 32, sampler: sampler);
/// for (int epoch = 0; epoch &lt; epochs; epoch++)
/// {
///     sampler.SetEpoch(epoch);
///     foreach (var (input, target) in loader) { ... }
/// }
/// </code></example>
public sealed class DistributedSampler
{
    /// <summary>Creates the sampler of replica <paramref name="rank"/> among <paramref name="replicas"/>.</summary>
    /// <param name="count">The dataset's number of samples, at least 1.</param>
    /// <param name="replicas">The number of replicas (PyTorch's num_replicas, the world size), at least 1.</param>
    /// <param name="rank">This replica's rank, 0 ≤ rank &lt; replicas.</param>
    /// <param name="shuffle">Draw a new order of the dataset for every epoch (PyTorch's default true); false keeps 0..count−1.</param>
    /// <param name="seed">The shuffle's seed; must be the same on every replica.</param>
    /// <param name="dropLast">Cut the tail of the order to a multiple of <paramref name="replicas"/> instead of padding it;
    /// needs count ≥ replicas.</param>
    public DistributedSampler(int count, int replicas, int rank, bool shuffle = true, long seed = 0, bool dropLast = false)
    {
        CheckReplicas(replicas, rank);
        NumSamples = SamplesPerReplica(count, replicas, dropLast);
        if ((long)NumSamples * replicas > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"count {count} padded to a multiple of {replicas} replicas exceeds {int.MaxValue} indices");
        Count = count;
        Replicas = replicas;
        Rank = rank;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
    }

    /// <summary>The dataset's number of samples.</summary>
    public int Count { get; }

    /// <summary>The number of replicas the dataset is split between.</summary>
    public int Replicas { get; }

    /// <summary>This replica's rank.</summary>
    public int Rank { get; }

    /// <summary>Whether every epoch draws a new order.</summary>
    public bool Shuffle { get; }

    /// <summary>The shuffle's seed (the epoch's order comes from seed + <see cref="Epoch"/>).</summary>
    public long Seed { get; }

    /// <summary>Whether the tail is cut (true) or the order padded (false) to a multiple of <see cref="Replicas"/>.</summary>
    public bool DropLast { get; }

    /// <summary>The indices each replica gets per epoch (PyTorch's num_samples, the sampler's length).</summary>
    public int NumSamples { get; }

    /// <summary>The indices all replicas get together per epoch: <see cref="NumSamples"/> × <see cref="Replicas"/>.</summary>
    public int TotalSize => NumSamples * Replicas;

    /// <summary>The epoch whose order <see cref="Indices"/> gives; 0 until <see cref="SetEpoch"/> is called.</summary>
    public int Epoch { get; private set; }

    /// <summary>
    /// Sets the epoch whose order the next <see cref="Indices"/> (and the next enumeration of a loader over this
    /// sampler) uses (PyTorch's set_epoch). Call it at the start of every epoch with the same value on every replica;
    /// without it every epoch repeats the same order.
    /// </summary>
    public void SetEpoch(int epoch) => Epoch = epoch;

    /// <summary>
    /// This replica's indices for the current <see cref="Epoch"/>, <see cref="NumSamples"/> of them: the epoch's order
    /// (a permutation from seed + epoch when shuffling, else 0..count−1) split by <see cref="Split"/>.
    /// </summary>
    public int[] Indices()
    {
        int[] order = Shuffle ? new Generator(unchecked(Seed + Epoch)).Permutation(Count) : Identity(Count);
        return Split(order, Replicas, Rank, DropLast);
    }

    /// <summary>
    /// PyTorch's split of one epoch's <paramref name="order"/> between replicas: without <paramref name="dropLast"/> the
    /// order is padded to <see cref="SamplesPerReplica"/> × replicas by repeating it from its start (as many times as the
    /// padding needs), with it the order is cut to that length; replica <paramref name="rank"/> gets positions
    /// rank, rank + replicas, rank + 2·replicas, … of the result.
    /// </summary>
    /// <param name="order">The epoch's order of the dataset's indices, the same on every replica; not empty.</param>
    /// <param name="replicas">The number of replicas, at least 1.</param>
    /// <param name="rank">The replica whose share to return, 0 ≤ rank &lt; replicas.</param>
    /// <param name="dropLast">Cut instead of pad; needs at least <paramref name="replicas"/> indices in the order.</param>
    /// <returns>A new array of <see cref="SamplesPerReplica"/>(order.Length, replicas, dropLast) indices taken from the order.</returns>
    public static int[] Split(ReadOnlySpan<int> order, int replicas, int rank, bool dropLast)
    {
        if (order.IsEmpty) throw new ArgumentException("order is empty: there is nothing to split", nameof(order));
        CheckReplicas(replicas, rank);
        if (dropLast && order.Length < replicas)
            throw new ArgumentException($"with dropLast, an order of {order.Length} indices shorter than replicas {replicas} leaves no sample for any replica", nameof(order));
        int samples = SamplesPerReplica(order.Length, replicas, dropLast);
        var share = new int[samples];
        // Position p of the padded order is order[p % n]: positions below n are the order itself, and the padding
        // repeats the order from its start, once or several times. With dropLast every position is below n.
        long position = rank;
        for (int j = 0; j < samples; j++, position += replicas)
            share[j] = order[(int)(position % order.Length)];
        return share;
    }

    /// <summary>
    /// The indices each of <paramref name="replicas"/> replicas gets from <paramref name="count"/> samples (PyTorch's
    /// num_samples): ⌈count / replicas⌉, or with <paramref name="dropLast"/> ⌈(count − replicas) / replicas⌉ when
    /// replicas does not divide count, which is ⌊count / replicas⌋.
    /// </summary>
    /// <param name="count">The number of samples, at least 1 (at least <paramref name="replicas"/> with dropLast).</param>
    /// <param name="replicas">The number of replicas, at least 1.</param>
    /// <param name="dropLast">Cut the tail instead of padding it.</param>
    public static int SamplesPerReplica(int count, int replicas, bool dropLast)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, $"count must be >= 1, got {count}");
        if (replicas < 1) throw new ArgumentOutOfRangeException(nameof(replicas), replicas, $"replicas must be >= 1, got {replicas}");
        if (dropLast && count < replicas)
            throw new ArgumentException($"with dropLast, count {count} smaller than replicas {replicas} leaves no sample for any replica", nameof(count));
        int whole = count / replicas;
        return dropLast || count % replicas == 0 ? whole : whole + 1;
    }

    private static void CheckReplicas(int replicas, int rank)
    {
        if (replicas < 1) throw new ArgumentOutOfRangeException(nameof(replicas), replicas, $"replicas must be >= 1, got {replicas}");
        if (rank < 0 || rank >= replicas)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {replicas - 1}] for {replicas} replicas, got {rank}");
    }

    private static int[] Identity(int n)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        return order;
    }
}
