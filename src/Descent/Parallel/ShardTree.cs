using System.Numerics;
using System.Numerics.Tensors;

namespace Descent.Parallel;

/// <summary>
/// The one order in which the gradients of S shards are summed, wherever the shards are computed: a binary tree over the
/// shard indices 0 … S − 1 in which a node [lo, hi) of more than one shard is the sum left + right of its halves
/// [lo, lo + p) and [lo + p, hi), p the largest power of two below hi − lo. A rank that computes the shards of a block
/// sends the values of the largest nodes inside its block (<see cref="Cover"/>), and whoever holds the values of nodes
/// that partition [0, S) finishes the sum with <see cref="Sum{T}"/>, which adds exactly as the one-process sum over the
/// leaves does. So the result is the same bits for every number of ranks; when S / ranks is a power of two each rank
/// sends one node, and the exchange costs what a ring all-reduce does.
/// </summary>
internal static class ShardTree
{
    /// <summary>Where node [lo, hi) splits: lo + the largest power of two below hi − lo.</summary>
    public static int Middle(int lo, int hi) => lo + (int)BitOperations.RoundUpToPowerOf2((uint)(hi - lo)) / 2;

    /// <summary>The largest nodes of the tree over <paramref name="shards"/> shards inside [blockLo, blockHi), left to right.</summary>
    public static List<(int Lo, int Hi)> Cover(int shards, int blockLo, int blockHi)
    {
        if (shards < 1) throw new ArgumentOutOfRangeException(nameof(shards), shards, "shards must be >= 1");
        if (blockLo < 0 || blockHi > shards || blockLo >= blockHi)
            throw new ArgumentOutOfRangeException(nameof(blockLo), $"the block [{blockLo}, {blockHi}) is not a non-empty part of [0, {shards})");
        var nodes = new List<(int, int)>();
        Collect(0, shards);
        return nodes;

        void Collect(int lo, int hi)
        {
            if (hi <= blockLo || lo >= blockHi) return;
            if (lo >= blockLo && hi <= blockHi)
            {
                nodes.Add((lo, hi));
                return;
            }
            int mid = Middle(lo, hi);
            Collect(lo, mid);
            Collect(mid, hi);
        }
    }

    /// <summary>
    /// Writes the value of node [lo, hi) into <paramref name="destination"/>: the value <paramref name="known"/> gives for
    /// the node when it knows one (a leaf, or a node another rank summed), else left + right. Every node on the way
    /// must end in known ones. Known values are read where they are, not copied first, so that two known halves cost one
    /// pass over memory. <paramref name="scratch"/> holds a buffer per tree level (grown when short).
    /// </summary>
    public static void Sum<T>(int lo, int hi, KnownNode<T> known, Span<T> destination, List<T[]> scratch)
        where T : unmanaged, IAdditionOperators<T, T, T>, IAdditiveIdentity<T, T>
    {
        var value = Value(lo, hi, known, destination, scratch, 0);
        if (!value.Overlaps(destination)) value.CopyTo(destination);
    }

    /// <summary>The value of node [lo, hi): the known one as it is, or the sum written into <paramref name="buffer"/>.</summary>
    private static ReadOnlySpan<T> Value<T>(int lo, int hi, KnownNode<T> known, Span<T> buffer, List<T[]> scratch, int level)
        where T : unmanaged, IAdditionOperators<T, T, T>, IAdditiveIdentity<T, T>
    {
        if (known(lo, hi, out var value)) return value;
        if (hi - lo == 1) throw new InvalidOperationException($"internal error: no value for shard {lo}");
        int mid = Middle(lo, hi);
        // The left half may be summed into the buffer itself: the right half's sum, in this level's scratch, does not touch it.
        var left = Value(lo, mid, known, buffer, scratch, level + 1);
        while (scratch.Count <= level) scratch.Add([]);
        if (scratch[level].Length < buffer.Length) scratch[level] = new T[buffer.Length];
        var right = Value(mid, hi, known, scratch[level].AsSpan(0, buffer.Length), scratch, level + 1);
        TensorPrimitives.Add<T>(left, right, buffer);
        return buffer;
    }

    /// <summary>Gives the value of node [lo, hi) and returns true, or returns false when it is not known.</summary>
    public delegate bool KnownNode<T>(int lo, int hi, out ReadOnlySpan<T> value);
}
