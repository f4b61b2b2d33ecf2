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
internal static class OptimParallel
{
    /// <summary>Elements per chunk: a multiple of every vector width, large enough to amortise the hand-off.</summary>
    internal const int ChunkSize = 1 << 15;

    /// <summary>Tensors below this size run on the calling thread alone.</summary>
    internal static int Threshold { get; set; } = 1 << 17;

    private static readonly int WorkerCount = Math.Clamp(Environment.ProcessorCount - 1, 0, 15);

    /// <summary>Runs <paramref name="kernel"/> over <paramref name="length"/> elements.</summary>
    public static void For<TKernel>(ref TKernel kernel, int length) where TKernel : struct, IChunkKernel
    {
        if (length < Threshold || WorkerCount == 0 || Parallelism.MaxThreads == 1 || !Job<TKernel>.Gate.TryEnter())
        {
            kernel.Run(0, length);
            return;
        }
        try
        {
            Job<TKernel>.Run(ref kernel, length);
        }
        finally
        {
            Job<TKernel>.Gate.Exit();
        }
    }

    /// <summary>One shared job per kernel type: its fields are set before the workers are woken.</summary>
    private static class Job<TKernel> where TKernel : struct, IChunkKernel
    {
        internal static readonly Lock Gate = new();
        private static TKernel s_kernel;
        private static int s_length;
        private static int s_nextChunk;
        private static readonly Action Work = RunChunks;

        internal static void Run(ref TKernel kernel, int length)
        {
            s_kernel = kernel;
            s_length = length;
            s_nextChunk = 0;
            int chunks = (length + ChunkSize - 1) / ChunkSize;
            int helpers = Math.Min(Math.Min(WorkerCount, Parallelism.MaxThreads - 1), chunks - 1);
            Workers.Start(Work, helpers);
            try
            {
                RunChunks();
            }
            finally
            {
                Workers.Wait();
                s_kernel = default; // drop the array references
            }
        }

        private static void RunChunks()
        {
            int length = s_length;
            while (true)
            {
                int c = Interlocked.Increment(ref s_nextChunk) - 1;
                long start = (long)c * ChunkSize;
                if (start >= length) return;
                // Each worker copies the struct: the kernel's fields are read-only during the run.
                var k = s_kernel;
                k.Run((int)start, (int)Math.Min(length, start + ChunkSize));
            }
        }
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
