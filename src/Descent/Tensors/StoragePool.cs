namespace Descent;

/// <summary>
/// Storage arrays given back by ended <see cref="TensorScope"/>s, kept for the next tensors of the same dtype and length.
/// A training loop allocates the same sizes every step, so the second step onwards finds every large buffer here
/// instead of asking the garbage collector for fresh memory (which the operating system must zero page by page).
/// </summary>
internal static class StoragePool
{
    /// <summary>Arrays smaller than this many bytes are left to the garbage collector: they are cheap to allocate.</summary>
    internal const int MinPooledBytes = 4096;

    private static readonly Lock Gate = new();
    private static readonly Dictionary<(DType DType, int Length), Stack<Array>> Free = [];
    private static long s_pooledBytes;

    /// <summary>The most bytes the pool holds; arrays given back beyond it are left to the garbage collector.</summary>
    internal static long MaxBytes { get; set; } = 2L << 30;

    /// <summary>Bytes currently held by the pool.</summary>
    internal static long PooledBytes
    {
        get
        {
            lock (Gate) return s_pooledBytes;
        }
    }

    /// <summary>True when arrays of this size are worth pooling.</summary>
    internal static bool IsPooled(DType dtype, int length) => (long)length * dtype.ElementSize() >= MinPooledBytes;

    /// <summary>A pooled array of exactly this dtype and length (contents arbitrary), or null when none is free.</summary>
    internal static Array? TryRent(DType dtype, int length)
    {
        lock (Gate)
        {
            if (!Free.TryGetValue((dtype, length), out var stack) || stack.Count == 0) return null;
            s_pooledBytes -= (long)length * dtype.ElementSize();
            return stack.Pop();
        }
    }

    /// <summary>Keeps <paramref name="storage"/> for a later tensor; nothing may read or write it afterwards.</summary>
    internal static void Return(DType dtype, Array storage)
    {
        long bytes = (long)storage.Length * dtype.ElementSize();
        lock (Gate)
        {
            if (s_pooledBytes + bytes > MaxBytes) return;
            if (!Free.TryGetValue((dtype, storage.Length), out var stack)) Free[(dtype, storage.Length)] = stack = new Stack<Array>();
            stack.Push(storage);
            s_pooledBytes += bytes;
        }
    }

    /// <summary>Drops every pooled array (the garbage collector reclaims them).</summary>
    internal static void Clear()
    {
        lock (Gate)
        {
            Free.Clear();
            s_pooledBytes = 0;
        }
    }
}
