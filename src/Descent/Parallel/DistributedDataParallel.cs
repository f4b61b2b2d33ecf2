using System.Diagnostics;
using Descent.NN;

namespace Descent.Parallel;

/// <summary>
/// Data-parallel training that gives the same bits on any number of processes (PyTorch's
/// <c>DistributedDataParallel</c>, made deterministic). A global batch is cut into <see cref="Shards"/> shards, S; each
/// rank of the <see cref="Communicator"/> computes S / ranks of them, and the shards' gradients are summed in one fixed
/// order, a tree over the shard indices (<see cref="ShardTree"/>), wherever they were computed. So N ranks give, bit for
/// bit, what one process gives with the same S (<see cref="Communicator.Single"/>), for every N that divides S; a
/// peer's all-reduce adds in an order that changes with N.
/// </summary>
/// <remarks>
/// <para>Use it as PyTorch's: at the start the parameters and buffers are copied from rank 0. For each optimizer step,
/// zero the gradients, then for each of this rank's <see cref="LocalShards"/> shards run the forward pass through
/// <see cref="Forward"/> and <c>Backward</c> its loss (weight it by the shard's share of the batch, unless
/// <see cref="Average"/>); then step the optimizer. The backward pass of the last local shard reduces: gradients are
/// grouped in buckets of about 25 MB in reverse registration order (the first, 1 MB, so that communication starts
/// early), and a bucket is sent by a communication thread as soon as all its gradients are final, so that it overlaps
/// the rest of the backward pass. When that pass returns, every parameter's gradient holds the sum over all S shards.
/// Backward passes inside <see cref="NoSync"/> add up into the current shard's gradient without ending it (gradient
/// accumulation).</para>
/// <para>Buffers (BatchNorm's running statistics) follow shard 0: every shard's forward passes start from the step's
/// buffers, and after the step every rank holds those shard 0 left. Random numbers drawn through
/// <see cref="Generator.Default"/> in a forward pass (dropout) come from a generator of the shard's own, seeded from
/// <see cref="Seed"/>, the step and the shard. A parameter no shard gave a gradient keeps none (as with PyTorch's
/// <c>find_unused_parameters</c>). Forward passes in evaluation mode or without gradients run the model as it is. With one shard in
/// one process all of this steps aside and training is exactly as without the wrapper.</para>
/// </remarks>
public sealed class DistributedDataParallel : IDisposable
{
    private const int FirstBucketBytes = 1 << 20;

    private readonly ReductionPlan _plan;
    private readonly GradientBucket[] _buckets = [];
    private readonly Dictionary<Tensor, (GradientBucket Bucket, GradientBucket.Slot Slot)> _slots = new(TensorIdentity.Instance);
    private readonly List<HookHandle> _hooks = [];
    private readonly Tensor[] _buffers;
    private readonly Kernels.SerialWorker? _thread;
    private readonly bool _passThrough;
    private int _noSync, _shard, _nextBucket, _forwards;
    private bool _passSeen, _disposed;
    private string? _outOfStep;
    private Tensor[]? _stepBuffers, _shardZeroBuffers;
    private bool _shardZeroKept;
    private readonly Stopwatch _waiting = new();
    private readonly HashSet<Tensor> _reached = new(TensorIdentity.Instance);

    /// <summary>Wraps <paramref name="module"/> for data-parallel training and copies its parameters and buffers from rank 0.</summary>
    /// <param name="module">The model; every rank builds the same.</param>
    /// <param name="communicator">The ranks; null is <see cref="Communicator.Single"/>, this process alone.</param>
    /// <param name="shards">S, the shards of a global batch; 0 means one per rank. A multiple of the number of ranks.</param>
    /// <param name="average">Divide the summed gradient by S, as PyTorch's DDP averages; false leaves the sum (weight each shard's loss by its share of the batch instead).</param>
    /// <param name="bucketMegabytes">The size of a bucket of gradients sent together (PyTorch's <c>bucket_cap_mb</c>).</param>
    /// <param name="seed">The seed of the shards' random numbers in forward passes.</param>
    public DistributedDataParallel(Module module, Communicator? communicator = null, int shards = 0, bool average = true, double bucketMegabytes = 25, long seed = 0)
    {
        Module = module ?? throw new ArgumentNullException(nameof(module));
        Communicator = communicator ?? Communicator.Single;
        int ranks = Communicator.Size;
        if (shards == 0) shards = ranks;
        if (shards < 1) throw new ArgumentOutOfRangeException(nameof(shards), shards, $"shards must be >= 1 (or 0 for one per rank), got {shards}");
        if (shards % ranks != 0) throw new ArgumentException($"shards {shards} must be a multiple of the {ranks} ranks: every rank computes the same number of shards", nameof(shards));
        if (!(bucketMegabytes > 0) || !double.IsFinite(bucketMegabytes)) throw new ArgumentOutOfRangeException(nameof(bucketMegabytes), bucketMegabytes, $"bucketMegabytes must be > 0, got {bucketMegabytes}");
        Shards = shards;
        Average = average;
        Seed = seed;
        _plan = new ReductionPlan(Communicator, shards);
        _buffers = [.. module.NamedBuffers().Select(b => b.Value)];
        if (ranks > 1) BroadcastFromRoot([.. module.Parameters(), .. _buffers]);
        _passThrough = shards == 1 && ranks == 1;
        if (_passThrough) return;
        _buckets = BuildBuckets(module, (long)(bucketMegabytes * (1 << 20)));
        if (ranks > 1) CheckMessageSizes(module);
        foreach (var bucket in _buckets)
            foreach (var slot in bucket.Slots)
            {
                _slots[slot.Parameter] = (bucket, slot);
                _hooks.Add(slot.Parameter.RegisterPostAccumulateGradHook(OnGradientFinished));
            }
        if (ranks > 1) _thread = new Kernels.SerialWorker($"Descent communication (rank {Communicator.Rank})");
    }

    /// <summary>The wrapped model.</summary>
    public Module Module { get; }

    /// <summary>The ranks the shards are spread over.</summary>
    public Communicator Communicator { get; }

    /// <summary>S, the shards of a global batch.</summary>
    public int Shards { get; }

    /// <summary>The shards this rank computes per step, S / ranks.</summary>
    public int LocalShards => _plan.LocalShards;

    /// <summary>The index of this rank's first shard: it computes shards FirstShard … FirstShard + LocalShards − 1.</summary>
    public int FirstShard => _plan.FirstShard;

    /// <summary>Whether the summed gradient is divided by S.</summary>
    public bool Average { get; }

    /// <summary>The seed of the shards' random numbers in forward passes.</summary>
    public long Seed { get; }

    /// <summary>True with one shard in one process: the wrapper then does nothing.</summary>
    internal bool IsPassThrough => _passThrough;

    /// <summary>The number of gradient buckets.</summary>
    public int BucketCount => _buckets.Length;

    /// <summary>The reductions done: the optimizer steps so far. A resumed run sets it, since the shards' random numbers depend on it.</summary>
    public long Steps { get; set; }

    /// <summary>The seconds the communication thread spent reducing buckets, overlapped with backward passes or not.</summary>
    public double CommunicationSeconds => _thread?.BusySeconds ?? 0;

    /// <summary>The seconds the training thread waited for reductions after the last backward pass of a step: the communication not hidden.</summary>
    public double WaitSeconds => _waiting.Elapsed.TotalSeconds;

    /// <summary>
    /// Runs the model on this rank's current shard: with the step's buffers and the shard's random numbers (see the
    /// remarks). Use it for every forward pass of a training step.
    /// </summary>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Evaluation is no shard: it neither counts as one of the step's forward passes nor touches the buffers' rule.
        if (_passThrough || !Module.IsTraining || !Autograd.IsGradEnabled) return Module.Forward(input);
        ThrowIfOutOfStep();
        PrepareBuffers();
        var generator = new Generator(ShardSeed(Seed, Steps, FirstShard + _shard, _forwards++));
        using (Generator.Substitute(generator)) return Module.Forward(input);
    }

    /// <summary>
    /// A scope whose backward passes add into the current shard's gradients without ending the shard (PyTorch's
    /// <c>no_sync</c>): accumulate several micro-batches of a shard, and run the last one's backward after the scope.
    /// </summary>
    public IDisposable NoSync()
    {
        _noSync++;
        return new Scope(() => _noSync--);
    }

    /// <summary>
    /// Starts a step: what an interrupted step left (an exception between a shard's forward and backward passes, or
    /// inside a backward pass) is dropped, so that the next backward pass is shard 0's again. A loop need not call it,
    /// since a step ends with its reduction; the Trainer calls it before every step. Zero the gradients as well.
    /// </summary>
    /// <exception cref="InvalidOperationException">On more than one rank, the previous step was interrupted: the other ranks went on, and the job is out of step.</exception>
    public void BeginStep()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfOutOfStep();
        if (!MidStep) return;
        if (Communicator.Size > 1)
        {
            _outOfStep = $"rank {Communicator.Rank}: a step was interrupted after {_shard} of its {LocalShards} shards, while the other ranks went on: the job's ranks are out of step, end it";
            ThrowIfOutOfStep();
        }
        ResetStep();
    }

    private bool MidStep => _shard > 0 || _forwards > 0 || _passSeen || _reached.Count > 0;

    private void ResetStep()
    {
        _shard = 0;
        _forwards = 0;
        _passSeen = false;
        _reached.Clear();
        _nextBucket = 0;
        foreach (var bucket in _buckets) bucket.Finished = 0;
        _shardZeroKept = false;
    }

    private void ThrowIfOutOfStep()
    {
        if (_outOfStep is not null) throw new InvalidOperationException(_outOfStep);
    }

    /// <summary>Stops the communication thread and removes the hooks.</summary>
    public void Dispose()
    {
        _disposed = true;
        foreach (var hook in _hooks) hook.Dispose();
        _hooks.Clear();
        _thread?.Dispose();
    }

    private void OnGradientFinished(Tensor parameter)
    {
        if (_noSync > 0) return;
        if (!_passSeen)
        {
            _passSeen = true;
            Autograd.WhenPassEnds(completed =>
            {
                if (completed) OnPassEnded();
                else OnPassFailed();
            });
        }
        if (_reached.Add(parameter)) Finish(parameter);
    }

    /// <summary>Takes a parameter's gradient for the current shard; after the last local shard, sends the buckets that are complete.</summary>
    private void Finish(Tensor parameter)
    {
        var (bucket, slot) = _slots[parameter];
        bool last = _shard == LocalShards - 1;
        bucket.Gather(slot, _shard, clear: !last);
        if (!last) return;
        bucket.Finished++;
        DispatchReadyBuckets();
    }

    /// <summary>
    /// A backward pass threw: in one process the step is dropped (the next backward pass is shard 0's); on several ranks
    /// the others may already wait for this one in a collective, so the wrapper refuses to go on.
    /// </summary>
    private void OnPassFailed()
    {
        if (Communicator.Size > 1)
            _outOfStep = $"rank {Communicator.Rank}: a backward pass failed in the middle of a step, while the other ranks went on: the job's ranks are out of step, end it";
        ResetStep();
    }

    /// <summary>Sends the buckets whose gradients are final, in bucket order (every rank sends them in the same order).</summary>
    private void DispatchReadyBuckets()
    {
        while (_nextBucket < _buckets.Length && _buckets[_nextBucket].Complete)
        {
            var bucket = _buckets[_nextBucket++];
            if (_thread is null) bucket.Reduce(_plan);
            else _thread.Post(() => bucket.Reduce(_plan));
        }
    }

    /// <summary>
    /// The end of a shard's backward pass: the parameters the pass did not reach give their gradient (null: zero) too;
    /// after the last local shard, the reductions are awaited and written back, and the buffers settled.
    /// </summary>
    private void OnPassEnded()
    {
        _passSeen = false;
        foreach (var parameter in _slots.Keys)
            if (_reached.Add(parameter)) Finish(parameter);
        _reached.Clear();
        _forwards = 0;
        if (_shard < LocalShards - 1)
        {
            _shard++;
            return;
        }
        _waiting.Start();
        try
        {
            _thread?.WaitIdle();
        }
        catch (AggregateException e)
        {
            throw e.InnerException as CommunicationException ?? new CommunicationException($"rank {Communicator.Rank}: a gradient reduction failed: {e.InnerException!.Message}", e.InnerException);
        }
        finally
        {
            _waiting.Stop();
        }
        foreach (var bucket in _buckets)
        {
            bucket.Scatter(Average ? 1.0 / Shards : 1.0);
            bucket.Finished = 0;
        }
        FinishBuffers();
        _shard = 0;
        _nextBucket = 0;
        Steps++;
    }

    /// <summary>
    /// Before a shard's first forward pass: the first shard of a step keeps a copy of the step's buffers, a later one
    /// starts from that copy again (after keeping what global shard 0 left, when it ran just before).
    /// </summary>
    private void PrepareBuffers()
    {
        if (_buffers.Length == 0 || _forwards > 0) return;
        using var noGrad = Autograd.NoGrad();
        if (_shard == 0)
        {
            _stepBuffers = Copy(_buffers, _stepBuffers);
            return;
        }
        if (_stepBuffers is null) return; // the step's first shard did not run through Forward
        if (FirstShard + _shard - 1 == 0)
        {
            _shardZeroBuffers = Copy(_buffers, _shardZeroBuffers);
            _shardZeroKept = true;
        }
        for (int i = 0; i < _buffers.Length; i++) _buffers[i].CopyFrom_(_stepBuffers[i]);
    }

    /// <summary>After a step: the buffers shard 0 left, on every rank.</summary>
    private void FinishBuffers()
    {
        if (_buffers.Length == 0) return;
        using (Autograd.NoGrad())
            if (_shardZeroKept && FirstShard == 0)
                for (int i = 0; i < _buffers.Length; i++) _buffers[i].CopyFrom_(_shardZeroBuffers![i]);
        _shardZeroKept = false;
        if (Communicator.Size > 1) BroadcastFromRoot(_buffers);
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="target"/> (made on first use, outside any scope).</summary>
    private static Tensor[] Copy(Tensor[] source, Tensor[]? target)
    {
        if (target is null)
        {
            using (TensorScope.Suspend()) return [.. source.Select(t => t.Detach().Clone())];
        }
        for (int i = 0; i < source.Length; i++) target[i].CopyFrom_(source[i]);
        return target;
    }

    /// <summary>Copies <paramref name="tensors"/> from rank 0, in pieces of at most 256 MiB (one message counts its bytes in an int).</summary>
    private void BroadcastFromRoot(IEnumerable<Tensor> tensors)
    {
        const int Piece = 1 << 28;
        foreach (var t in tensors)
        {
            var bytes = t.DType switch
            {
                DType.Float32 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.AsSpan<float>()),
                DType.Float64 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.AsSpan<double>()),
                _ => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.AsSpan<long>()),
            };
            for (long at = 0; at < bytes.Length; at += Piece) Communicator.Broadcast(bytes.Slice((int)at, (int)Math.Min(Piece, bytes.Length - at)), 0);
        }
    }

    /// <summary>
    /// A bucket's exchange sends every node a rank holds over the whole bucket in one message, whose bytes MPI counts in
    /// an int: a parameter too large for that is refused here, by name, rather than failing in the first step.
    /// </summary>
    private void CheckMessageSizes(Module module)
    {
        int nodes = _plan.Covers.Max(c => c.Count);
        var names = module.NamedParameters().GroupBy(p => p.Value, TensorIdentity.Instance).ToDictionary(g => g.Key, g => g.First().Key, TensorIdentity.Instance);
        foreach (var bucket in _buckets)
        {
            long bytes = (long)bucket.Length * bucket.Slots[0].Parameter.DType.ElementSize() * nodes;
            if (bytes <= int.MaxValue) continue;
            var largest = bucket.Slots.MaxBy(s => s.Length)!.Parameter;
            throw new ArgumentException($"parameter '{names[largest]}' of shape {Shapes.Format(largest.ShapeArray)} makes a gradient exchange of {bytes:N0} bytes ({nodes} tree nodes a rank over {Shards} shards on {Communicator.Size} ranks), more than the 2 GiB of one MPI message: use fewer shards a rank, or a power of two of them (one node each)", nameof(module));
        }
    }

    /// <summary>The seed of the random numbers of one forward pass of one shard in one step (SplitMix64 over the four).</summary>
    internal static long ShardSeed(long seed, long step, int shard, int forward)
    {
        ulong x = unchecked((ulong)seed);
        foreach (ulong word in new[] { (ulong)step, (ulong)shard, (ulong)forward })
        {
            x = unchecked((x ^ word) + 0x9E3779B97F4A7C15UL);
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            x ^= x >> 31;
        }
        return unchecked((long)x);
    }

    /// <summary>The parameters that require gradients, each once, in reverse registration order, cut into buckets of one dtype.</summary>
    private GradientBucket[] BuildBuckets(Module module, long capBytes)
    {
        var sparse = new HashSet<Tensor>(TensorIdentity.Instance);
        CollectSparse(module, sparse);
        var seen = new HashSet<Tensor>(TensorIdentity.Instance);
        var parameters = module.Parameters().Where(p => p.RequiresGrad && seen.Add(p)).Reverse().ToList();
        var buckets = new List<GradientBucket>();
        var slots = new List<GradientBucket.Slot>();
        long bytes = 0, cap = Math.Min(FirstBucketBytes, capBytes);
        DType? dtype = null;
        foreach (var p in parameters)
        {
            if (dtype is not null && (p.DType != dtype || bytes >= cap)) Close();
            dtype = p.DType;
            var slot = new GradientBucket.Slot(p, slots.Sum(s => s.Length), sparse.Contains(p));
            slots.Add(slot);
            bytes += (long)slot.Length * p.DType.ElementSize();
        }
        if (slots.Count > 0) Close();
        return [.. buckets];

        void Close()
        {
            buckets.Add(GradientBucket.Create(dtype!.Value, [.. slots], LocalShards));
            slots.Clear();
            bytes = 0;
            cap = capBytes;
        }
    }

    private static void CollectSparse(Module module, HashSet<Tensor> sparse)
    {
        if (module is Embedding { Sparse: true } embedding) sparse.Add(embedding.Weight);
        foreach (var child in module.NamedChildren()) CollectSparse(child.Value, sparse);
    }

    private sealed class Scope(Action end) : IDisposable
    {
        private Action? _end = end;

        public void Dispose() => Interlocked.Exchange(ref _end, null)?.Invoke();
    }
}
