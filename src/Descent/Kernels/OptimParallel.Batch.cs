namespace Descent.Kernels;

internal static partial class OptimParallel
{
    [ThreadStatic] private static int t_batchDepth;
    [ThreadStatic] private static Action[]? t_flushes;
    [ThreadStatic] private static int t_flushCount;

    /// <summary>
    /// Collects the updates queued by <see cref="For"/> on this thread until the returned scope is disposed, then runs
    /// them as one parallel job per kernel type. An update must not read what an earlier update of the same batch
    /// writes (an optimizer's tensors are distinct, so its step qualifies).
    /// </summary>
    public static BatchScope Batch()
    {
        t_batchDepth++;
        return new BatchScope(true);
    }

    /// <summary>Ends a <see cref="Batch"/>: runs every queued update.</summary>
    internal readonly struct BatchScope(bool active) : IDisposable
    {
        /// <summary>Runs the queued updates (the outermost scope only).</summary>
        public void Dispose()
        {
            if (!active || --t_batchDepth > 0) return;
            var flushes = t_flushes;
            int count = t_flushCount;
            t_flushCount = 0;
            // Every queue is run (and so emptied) even if one throws: a queue left behind would run its stale updates
            // with the next step's.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo? first = null;
            for (int i = 0; i < count; i++)
            {
                var flush = flushes![i];
                flushes[i] = null!;
                try
                {
                    flush();
                }
                catch (Exception e)
                {
                    first ??= System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
                }
            }
            first?.Throw();
        }
    }

    private static void RegisterFlush(Action flush)
    {
        var flushes = t_flushes ??= new Action[4];
        if (t_flushCount == flushes.Length) Array.Resize(ref t_flushes, 2 * flushes.Length);
        t_flushes[t_flushCount++] = flush;
    }

    /// <summary>The updates of one kernel type queued on this thread.</summary>
    private static class Pending<TKernel> where TKernel : struct, IChunkKernel
    {
        [ThreadStatic] private static TKernel[]? t_items;
        [ThreadStatic] private static int[]? t_lengths;
        [ThreadStatic] private static int t_count;
        [ThreadStatic] private static long t_elements;
        private static readonly Action FlushAction = Flush;

        internal static void Add(ref TKernel kernel, int length)
        {
            if (t_count == 0 && t_batchDepth > 0) RegisterFlush(FlushAction);
            var items = t_items ??= new TKernel[4];
            var lengths = t_lengths ??= new int[4];
            if (t_count == items.Length)
            {
                Array.Resize(ref t_items, 2 * items.Length);
                Array.Resize(ref t_lengths, 2 * lengths.Length);
            }
            t_items![t_count] = kernel;
            t_lengths![t_count] = length;
            t_count++;
            t_elements += length;
        }

        /// <summary>Runs the queued updates: in parallel when there is enough work and the job is free, else in turn.</summary>
        internal static void Flush()
        {
            int count = t_count;
            if (count == 0) return;
            var items = t_items!;
            var lengths = t_lengths!;
            long elements = t_elements;
            t_count = 0;
            t_elements = 0;
            try
            {
                if (elements >= Math.Max(Threshold, 1) && Job<TKernel>.Gate.TryEnter())
                {
                    try
                    {
                        Job<TKernel>.Run(items, lengths, count);
                    }
                    finally
                    {
                        Job<TKernel>.Gate.Exit();
                    }
                }
                else
                {
                    for (int i = 0; i < count; i++) items[i].Run(0, lengths[i]);
                }
            }
            finally
            {
                Array.Clear(items, 0, count); // drop the array references
            }
        }
    }
}
