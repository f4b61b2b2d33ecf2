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
    /// must end in known ones. <paramref name="scratch"/> holds a buffer per tree level below this one (grown when short).
    /// </summary>
    public static void Sum<T>(int lo, int hi, KnownNode<T> known, Span<T> destination, List<T[]> scratch, int level = 0)
        where T : unmanaged, IAdditionOperators<T, T, T>, IAdditiveIdentity<T, T>
    {
        if (known(lo, hi, destination)) return;
        if (hi - lo == 1) throw new InvalidOperationException($"internal error: no value for shard {lo}");
        int mid = Middle(lo, hi);
        Sum(lo, mid, known, destination, scratch, level + 1);
        while (scratch.Count <= level) scratch.Add([]);
        if (scratch[level].Length < destination.Length) scratch[level] = new T[destination.Length];
        var right = scratch[level].AsSpan(0, destination.Length);
        Sum(mid, hi, known, right, scratch, level + 1);
        TensorPrimitives.Add<T>(destination, right, destination);
    }

    /// <summary>Copies the value of node [lo, hi) into <paramref name="destination"/> and returns true, or returns false when it is not known.</summary>
    public delegate bool KnownNode<T>(int lo, int hi, Span<T> destination);
}
