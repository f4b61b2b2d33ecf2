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
/// Runs an elementwise update over fixed chunks, on the calling thread and on the workers of <see cref="WorkerPool"/> when
/// the tensor is large. The chunks are fixed, and each element's update depends on that element alone, so the result is the
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

    /// <summary>Runs <paramref name="kernel"/> over <paramref name="length"/> elements, or queues it inside a batch.</summary>
    public static void For<TKernel>(ref TKernel kernel, int length) where TKernel : struct, IChunkKernel
    {
        if (WorkerPool.WorkerCount == 0 || Parallelism.MaxThreads == 1 || (t_batchDepth == 0 && length < Threshold))
        {
            kernel.Run(0, length);
            return;
        }
        Pending<TKernel>.Add(ref kernel, length);
        if (t_batchDepth == 0) Pending<TKernel>.Flush();
    }

    /// <summary>One shared job per kernel type: its fields are set before the job is handed to <see cref="WorkerPool"/>.</summary>
    private static class Job<TKernel> where TKernel : struct, IChunkKernel
    {
        internal static readonly Lock Gate = new();
        private static TKernel[] s_items = [];
        private static int[] s_lengths = [];
        private static int[] s_firstChunk = new int[1];
        private static int s_count;
        private static readonly Action<int> Work = RunChunk;

        /// <summary>Runs the first <paramref name="count"/> items; the caller holds <see cref="Gate"/>.</summary>
        internal static void Run(TKernel[] items, int[] lengths, int count)
        {
            if (s_firstChunk.Length < count + 1) s_firstChunk = new int[Math.Max(count + 1, 2 * s_firstChunk.Length)];
            for (int i = 0; i < count; i++) s_firstChunk[i + 1] = s_firstChunk[i] + (lengths[i] + ChunkSize - 1) / ChunkSize;
            s_items = items;
            s_lengths = lengths;
            s_count = count;
            try
            {
                WorkerPool.Run(s_firstChunk[count], Parallelism.MaxThreads, Work);
            }
            finally
            {
                s_items = []; // the caller clears its array: drop the references here too
                s_lengths = [];
            }
        }

        /// <summary>Runs chunk <paramref name="c"/>: finds its item (the last whose first chunk is ≤ c) and its range.</summary>
        private static void RunChunk(int c)
        {
            var first = s_firstChunk;
            int lo = 0, hi = s_count - 1;
            while (lo < hi)
            {
                int mid = (lo + hi + 1) >> 1;
                if (first[mid] <= c) lo = mid;
                else hi = mid - 1;
            }
            long start = (long)(c - first[lo]) * ChunkSize;
            // Each part copies the struct: the kernel's fields are read-only during the run.
            var k = s_items[lo];
            k.Run((int)start, (int)Math.Min(s_lengths[lo], start + ChunkSize));
        }
    }
}
