using System.Collections;

namespace Descent.Data;

/// <summary>
/// Cuts a <see cref="Dataset"/> into batches, optionally in a new random order every epoch (PyTorch's
/// <c>DataLoader</c>). Enumerating the loader once is one epoch; each batch is a pair of tensors whose first
/// dimension is the batch. The batch size decides the flavour of gradient descent, with one API for the three:
/// <list type="bullet">
/// <item><b>Batch gradient descent</b>: batchSize = N (the whole dataset): one exact gradient per epoch.</item>
/// <item><b>Stochastic gradient descent</b>: batchSize = 1: N noisy, cheap steps per epoch.</item>
/// <item><b>Mini-batch gradient descent</b>: 1 &lt; batchSize = k &lt; N: ⌈N/k⌉ steps per epoch, each gradient
/// averaged over k samples: less noise than stochastic, more steps than batch, and vectorised work.</item>
/// </list>
/// </summary>
/// <example><code>
/// var loader = new DataLoader(new TensorDataset(x, y), batchSize: 32, shuffle: true, generator: new Generator(42));
/// foreach (var (input, target) in loader) { ... }
/// </code>
/// In a hand-written data-parallel loop each replica gives its loader a <see cref="DistributedSampler"/> instead of
/// shuffle, and calls <see cref="DistributedSampler.SetEpoch"/> before each epoch, as in PyTorch. The
/// <see cref="Training.Trainer"/>'s data-parallel training takes a shuffling loader without a sampler instead, the same
/// on every rank, and deals each epoch's order to the shards itself by the sampler's rule.</example>
public sealed class DataLoader : IEnumerable<(Tensor Input, Tensor Target)>
{
    private readonly Generator? _generator;

    /// <summary>Creates a loader over <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The samples; must not be empty.</param>
    /// <param name="batchSize">Samples per batch, at least 1 (PyTorch's default 1); larger than the dataset means one batch.</param>
    /// <param name="shuffle">Draw a new random order of the samples at the start of every epoch.</param>
    /// <param name="dropLast">Skip the last batch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <param name="generator">The random source for shuffling (seed it for a reproducible order); null uses <see cref="Generator.Default"/>.
    /// Unused with a <paramref name="sampler"/>, whose seed and epoch decide the order.</param>
    /// <param name="sampler">This replica's share of the dataset in a data-parallel run (PyTorch's DataLoader(sampler=...)):
    /// each epoch batches the sampler's <see cref="DistributedSampler.Indices"/> for its current epoch. Its count must be
    /// the dataset's; it replaces <paramref name="shuffle"/>, which must then be false (the sampler shuffles).</param>
    public DataLoader(Dataset dataset, int batchSize = 1, bool shuffle = false, bool dropLast = false, Generator? generator = null,
        DistributedSampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batchSize must be >= 1, got {batchSize}");
        if (dataset.Count == 0) throw new ArgumentException("the dataset is empty: a DataLoader needs at least one sample", nameof(dataset));
        if (sampler is not null)
        {
            if (shuffle)
                throw new ArgumentException("the sampler option is mutually exclusive with shuffle: the sampler decides the order (give it shuffle instead)", nameof(shuffle));
            if (sampler.Count != dataset.Count)
                throw new ArgumentException($"the sampler is for {sampler.Count} samples but the dataset has {dataset.Count}", nameof(sampler));
        }
        int perEpoch = sampler?.NumSamples ?? dataset.Count;
        if (dropLast && batchSize > perEpoch)
            throw new ArgumentException(sampler is null
                ? $"with dropLast, batchSize {batchSize} larger than the dataset's {dataset.Count} samples leaves no batch at all"
                : $"with dropLast, batchSize {batchSize} larger than the sampler's {perEpoch} samples per replica leaves no batch at all", nameof(batchSize));
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Sampler = sampler;
        _generator = generator;
    }

    /// <summary>The dataset the batches come from.</summary>
    public Dataset Dataset { get; }

    /// <summary>Samples per batch (the last batch may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether every epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a final incomplete batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>The sampler that gives each epoch's indices, or null when the loader visits the whole dataset.</summary>
    public DistributedSampler? Sampler { get; }

    /// <summary>
    /// The number of batches per epoch: ⌈N / batchSize⌉, or ⌊N / batchSize⌋ with <see cref="DropLast"/>, where N is the
    /// dataset's count, or the sampler's <see cref="DistributedSampler.NumSamples"/> when there is a sampler.
    /// </summary>
    public int Count
    {
        get
        {
            int n = Sampler?.NumSamples ?? Dataset.Count;
            return DropLast ? n / BatchSize : (n + BatchSize - 1) / BatchSize;
        }
    }

    /// <summary>One epoch of batches (a new order for each enumeration when shuffling; the sampler's current epoch with one).</summary>
    public IEnumerator<(Tensor Input, Tensor Target)> GetEnumerator()
    {
        int[] order = NextEpochOrder();
        int n = order.Length;
        int batches = Count;
        for (int b = 0; b < batches; b++)
        {
            int start = b * BatchSize;
            int size = Math.Min(BatchSize, n - start);
            yield return Rows(Dataset, order.AsSpan(start, size));
        }
    }

    /// <summary>
    /// The order of sample indices the next epoch visits, the one place that makes it: the sampler's indices for its
    /// current epoch, a fresh permutation from the generator when shuffling (drawing from it, as an enumeration does),
    /// or 0..N−1.
    /// </summary>
    internal int[] NextEpochOrder()
    {
        if (Sampler is not null) return Sampler.Indices();
        int n = Dataset.Count;
        return Shuffle ? (_generator ?? Generator.Default).Permutation(n) : Enumerable.Range(0, n).ToArray();
    }

    /// <summary>
    /// A batch from the dataset. A <see cref="TensorDataset"/> copies rows into new tensors, which may come from the pool
    /// of an enclosing <see cref="TensorScope"/> (the Trainer's per-batch scope); any other dataset's tensors get
    /// ordinary memory, since such a dataset may keep the tensors it makes.
    /// </summary>
    internal static (Tensor Input, Tensor Target) Rows(Dataset dataset, ReadOnlySpan<int> indices)
    {
        if (dataset is TensorDataset) return dataset.GetBatch(indices);
        using var ordinaryMemory = TensorScope.Suspend();
        return dataset.GetBatch(indices);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
