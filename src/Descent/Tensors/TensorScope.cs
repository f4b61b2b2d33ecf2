namespace Descent;

/// <summary>
/// A region of code (one training step, typically) whose tensors give their memory back when it ends, so that the next
/// step reuses it instead of allocating afresh:
/// <code>
/// using (new TensorScope())
/// {
///     optimizer.ZeroGrad(setToNone: false);
///     var loss = F.CrossEntropy(model.Forward(x), y);
///     loss.Backward();
///     optimizer.Step();
///     total += loss.Item();
/// }
/// </code>
/// Every tensor created on this thread while the scope is the innermost one is released when it ends, views of it
/// included, whatever its size; reading a released tensor throws <see cref="ObjectDisposedException"/> (naming its shape
/// and the ended scope) rather than returning stale numbers. Large tensors' memory goes to a pool for the next scope;
/// small ones' (under 4 KiB) to the garbage collector, which hands out small arrays faster than a pool could. <see cref="Keep"/> lets a tensor outlive the scope. Gradients accumulated into leaves, optimizer state and
/// module parameters are never released (their memory is not the scope's). Without a scope tensors are ordinary
/// garbage-collected objects, as always. Scopes nest; each belongs to the thread that began it.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? t_current;
    [ThreadStatic] private static int t_suspended;

    private readonly TensorScope? _outer;
    private readonly HashSet<Array> _owned = new(ReferenceEqualityComparer.Instance);
    private readonly List<Tensor> _members = [];
    private bool _ended;

    /// <summary>Begins a scope on the calling thread; it is the innermost until disposed.</summary>
    public TensorScope()
    {
        _outer = t_current;
        t_current = this;
    }

    /// <summary>The innermost scope of the calling thread, or null.</summary>
    public static TensorScope? Current => t_current;

    /// <summary>Bytes of released tensor memory waiting in the pool for the next scope.</summary>
    public static long PooledBytes => StoragePool.PooledBytes;

    /// <summary>Gives the pooled memory back to the garbage collector (after training, say).</summary>
    public static void ClearPool() => StoragePool.Clear();

    /// <summary>
    /// Lets <paramref name="tensor"/> (and every view sharing its memory) outlive this scope: it then belongs to the
    /// enclosing scope, or to the garbage collector when there is none. Returns the tensor, for chaining.
    /// </summary>
    /// <exception cref="ObjectDisposedException">This scope has ended.</exception>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_ended, this);
        var storage = tensor.Storage;
        for (var s = this; s is not null; s = s._outer)
        {
            if (!s._owned.Remove(storage)) continue;
            s._outer?._owned.Add(storage);
            break;
        }
        return tensor;
    }

    /// <summary>Releases every tensor created in the scope and not kept, and gives their memory to the pool.</summary>
    /// <exception cref="InvalidOperationException">An inner scope is still open, or the scope belongs to another thread.</exception>
    public void Dispose()
    {
        if (_ended) return;
        if (t_current != this)
            throw new InvalidOperationException("a TensorScope must end on the thread that began it, after every scope begun inside it (innermost first)");
        _ended = true;
        t_current = _outer;
        foreach (var t in _members)
        {
            var storage = t.StorageOrNull;
            if (storage is null) continue;
            if (_owned.Contains(storage)) t.Release();
            else if (_outer is not null && _outer.OwnsInChain(storage)) _outer._members.Add(t);
        }
        foreach (var storage in _owned)
        {
            var dtype = DTypeOf(storage);
            if (StoragePool.IsPooled(dtype, storage.Length)) StoragePool.Return(dtype, storage); // a small one goes to the garbage collector
        }
        _owned.Clear();
        _members.Clear();
    }

    /// <summary>
    /// New storage for a tensor, owned by the innermost scope when there is one (and allocation is not suspended): from
    /// the pool when the array is large enough to pool, else fresh; outside scopes null (the caller allocates normally).
    /// </summary>
    /// <remarks>
    /// Small arrays (under <see cref="StoragePool.MinPooledBytes"/>) are a scope's as much as large ones, so that their
    /// tensors are released alike and reading one after the scope throws instead of working by accident; but they are not
    /// pooled: the garbage collector hands out a small array faster than the pool's lock and lookup would, and collects it
    /// from gen 0 for next to nothing, where a large one costs page faults and zeroing.
    /// </remarks>
    internal static Array? Rent(DType dtype, int length, bool zeroed)
    {
        var scope = t_current;
        if (scope is null || t_suspended > 0) return null;
        var storage = StoragePool.IsPooled(dtype, length) ? StoragePool.TryRent(dtype, length) : null;
        // A fresh array must honour `zeroed` as much as a pooled one: an uninitialised array can hold whatever the
        // garbage collector's heap held before (the small arrays of a small model reuse freed gen-0 memory).
        if (storage is null) storage = zeroed ? StoragePool.AllocateZeroed(dtype, length) : StoragePool.AllocateUninitialized(dtype, length);
        else if (zeroed) Array.Clear(storage);
        scope._owned.Add(storage);
        return storage;
    }

    /// <summary>Notes a new tensor whose storage some open scope owns, so that it is released with that storage (no-op outside scopes).</summary>
    internal static void Register(Tensor tensor, Array storage)
    {
        var scope = t_current;
        if (scope is not null && scope.OwnsInChain(storage)) scope._members.Add(tensor);
    }

    /// <summary>
    /// Within the returned region new tensors get ordinary garbage-collected memory even inside a scope: for what must
    /// outlive the step (accumulated gradients, optimizer state).
    /// </summary>
    internal static SuspendRegion Suspend()
    {
        t_suspended++;
        return default;
    }

    /// <summary>Ends a <see cref="Suspend"/> region.</summary>
    internal readonly struct SuspendRegion : IDisposable
    {
        public void Dispose() => t_suspended--;
    }

    /// <summary>Lets <paramref name="tensor"/>'s memory outlive every open scope (parameters, accumulated gradients).</summary>
    internal static void Escape(Tensor tensor)
    {
        var storage = tensor.StorageOrNull;
        if (storage is null || t_current is null) return;
        for (var s = t_current; s is not null; s = s._outer) s._owned.Remove(storage);
    }

    private bool OwnsInChain(Array storage)
    {
        for (var s = this; s is not null; s = s._outer)
            if (s._owned.Contains(storage)) return true;
        return false;
    }

    private static DType DTypeOf(Array storage) => storage switch
    {
        float[] => DType.Float32,
        double[] => DType.Float64,
        _ => DType.Int64,
    };
}
