using System.Runtime.CompilerServices;

namespace Descent.Kernels;

/// <summary>
/// The work of one optimizer update over a range of elements. Implementations are structs holding the arrays, offsets
/// and hyperparameters, so that handing them to a worker thread allocates nothing.
/// </summary>
internal interface IChunkKernel
{
    /// <summary>Updates elements [<paramref name="start"/>, <paramref name="end"/>).</summary>
    void Run(int start, int end);
}

/// <summary>
/// Runs an elementwise update over fixed chunks, on the calling thread and on persistent background workers when the
/// tensor is large. The chunks are fixed, and each element's update depends on that element alone, so the result is the
/// same for any number of threads. Nothing is allocated per call once the workers exist.
/// </summary>
/// <remarks>
/// Inside a <see cref="Batch"/> (an optimizer's whole step), the updates of all its tensors are collected and run as one
/// job: the chunks of every tensor, and each small tensor as one piece, are handed out together, so that small tensors
/// run in parallel with each other and the workers are woken once per step rather than once per tensor.
/// </remarks>
internal static partial class OptimParallel
{
    /// <summary>Elements per chunk: a multiple of every vector width, large enough to amortise the hand-off.</summary>
    internal const int ChunkSize = 1 << 15;

    /// <summary>Work (elements in all) below this size runs on the calling thread alone.</summary>
    internal static int Threshold { get; set; } = 1 << 17;

    private static readonly int WorkerCount = Math.Clamp(Environment.ProcessorCount - 1, 0, 15);

    /// <summary>Runs <paramref name="kernel"/> over <paramref name="length"/> elements, or queues it inside a batch.</summary>
    public static void For<TKernel>(ref TKernel kernel, int length) where TKernel : struct, IChunkKernel
    {
        if (WorkerCount == 0 || Parallelism.MaxThreads == 1 || (t_batchDepth == 0 && length < Threshold))
        {
            kernel.Run(0, length);
            return;
        }
        Pending<TKernel>.Add(ref kernel, length);
        if (t_batchDepth == 0) Pending<TKernel>.Flush();
    }

    /// <summary>One shared job per kernel type: its fields are set before the workers are woken.</summary>
    private static class Job<TKernel> where TKernel : struct, IChunkKernel
    {
        internal static readonly Lock Gate = new();
        private static TKernel[] s_items = [];
        private static int[] s_lengths = [];
        private static int[] s_firstChunk = new int[1];
        private static int s_chunks;
        private static PaddedCounter s_next;
        private static readonly Action Work = RunChunks;

        /// <summary>Runs the first <paramref name="count"/> items; the caller holds <see cref="Gate"/>.</summary>
        internal static void Run(TKernel[] items, int[] lengths, int count)
        {
            if (s_firstChunk.Length < count + 1) s_firstChunk = new int[Math.Max(count + 1, 2 * s_firstChunk.Length)];
            for (int i = 0; i < count; i++) s_firstChunk[i + 1] = s_firstChunk[i] + (lengths[i] + ChunkSize - 1) / ChunkSize;
            int chunks = s_firstChunk[count];
            s_items = items;
            s_lengths = lengths;
            s_chunks = chunks;
            s_next.Value = 0;
            int helpers = Math.Min(Math.Min(WorkerCount, Parallelism.MaxThreads - 1), chunks - 1);
            Workers.Start(Work, helpers);
            try
            {
                RunChunks();
            }
            finally
            {
                Workers.Wait();
                s_items = []; // the caller clears its array: drop the references here too
                s_lengths = [];
            }
        }

        private static void RunChunks()
        {
            var items = s_items;
            var lengths = s_lengths;
            var first = s_firstChunk;
            int chunks = s_chunks;
            int item = 0;
            while (true)
            {
                int c = Interlocked.Increment(ref s_next.Value) - 1;
                if (c >= chunks) return;
                while (first[item + 1] <= c) item++; // chunks are taken in increasing order: the item only moves on
                long start = (long)(c - first[item]) * ChunkSize;
                // Each worker copies the struct: the kernel's fields are read-only during the run.
                var k = items[item];
                k.Run((int)start, (int)Math.Min(lengths[item], start + ChunkSize));
            }
        }
    }

    /// <summary>The chunk counter on a cache line of its own, away from the fields the workers read.</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 128)]
    private struct PaddedCounter
    {
        [System.Runtime.InteropServices.FieldOffset(64)] public int Value;
    }

    /// <summary>Persistent background threads that run one shared action when signalled.</summary>
    private static class Workers
    {
        private static readonly Lock StartGate = new();
        private static Thread[]? s_threads;
        private static readonly SemaphoreSlim Go = new(0);
        private static readonly CountdownEvent Done = new(1);
        private static Action? s_action;

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void EnsureStarted()
        {
            lock (StartGate)
            {
                if (s_threads is not null) return;
                var threads = new Thread[WorkerCount];
                for (int i = 0; i < threads.Length; i++)
                {
                    threads[i] = new Thread(Loop) { IsBackground = true, Name = "Descent optimizer worker" };
                    threads[i].Start();
                }
                s_threads = threads;
            }
        }

        // Jobs of different kernel types may overlap only if two optimizers step on two threads at once; the pool
        // then serves one of them at a time.
        private static readonly Lock RunGate = new();

        internal static void Start(Action action, int helpers)
        {
            if (s_threads is null) EnsureStarted();
            RunGate.Enter();
            s_action = action;
            Done.Reset(helpers + 1);
            if (helpers > 0) Go.Release(helpers);
        }

        internal static void Wait()
        {
            Done.Signal();
            Done.Wait();
            s_action = null;
            RunGate.Exit();
        }

        private static void Loop()
        {
            while (true)
            {
                Go.Wait();
                try
                {
                    s_action?.Invoke();
                }
                finally
                {
                    Done.Signal();
                }
            }
        }
    }
}
