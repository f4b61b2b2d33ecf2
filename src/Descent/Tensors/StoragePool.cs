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
        if (t_poison) Poison(storage);
        long bytes = (long)storage.Length * dtype.ElementSize();
        lock (Gate)
        {
            if (s_pooledBytes + bytes > MaxBytes) return;
            if (!Free.TryGetValue((dtype, storage.Length), out var stack)) Free[(dtype, storage.Length)] = stack = new Stack<Array>();
            stack.Push(storage);
            s_pooledBytes += bytes;
        }
    }

    /// <summary>A new array of zeros.</summary>
    internal static Array AllocateZeroed(DType dtype, int length) => dtype switch
    {
        DType.Float32 => new float[length],
        DType.Float64 => new double[length],
        DType.Int64 => new long[length],
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>
    /// A new array whose contents are arbitrary (the garbage collector skips clearing it): only for storage that is
    /// written in full before it is read.
    /// </summary>
    internal static Array AllocateUninitialized(DType dtype, int length)
    {
        Array storage = dtype switch
        {
            DType.Float32 => GC.AllocateUninitializedArray<float>(length),
            DType.Float64 => GC.AllocateUninitializedArray<double>(length),
            DType.Int64 => GC.AllocateUninitializedArray<long>(length),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
        };
        if (t_poison) Poison(storage);
        return storage;
    }

    [ThreadStatic] private static bool t_poison;

    /// <summary>
    /// For tests: while the returned region is open on this thread, every array allocated uninitialised and every array
    /// given back to the pool is filled with NaN (int64: −1, an index out of every range). A kernel that reads an
    /// element it did not write, or memory a scope has released, then gives NaN (or an index error) every time, instead
    /// of results that differ only when the garbage collector or the pool happens to hand out dirty memory.
    /// </summary>
    internal static PoisonRegion PoisonUninitialized()
    {
        var region = new PoisonRegion(t_poison);
        t_poison = true;
        return region;
    }

    /// <summary>Ends a <see cref="PoisonUninitialized"/> region (restoring the setting it found).</summary>
    internal readonly struct PoisonRegion(bool outer) : IDisposable
    {
        public void Dispose() => t_poison = outer;
    }

    private static void Poison(Array storage)
    {
        switch (storage)
        {
            case float[] f: Array.Fill(f, float.NaN); break;
            case double[] d: Array.Fill(d, double.NaN); break;
            case long[] l: Array.Fill(l, -1L); break;
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
