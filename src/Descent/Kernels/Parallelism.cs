namespace Descent.Kernels;

/// <summary>
/// How many threads Descent's kernels may use. Results never depend on this number: kernels split their work so that
/// every output element is computed by the same sequence of operations whatever the number of threads.
/// </summary>
public static class Parallelism
{
    private static int s_maxThreads = FromEnvironment() ?? Environment.ProcessorCount;

    /// <summary>DESCENT_THREADS, when set to a positive integer, caps the threads from the start (as OMP_NUM_THREADS does).</summary>
    private static int? FromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("DESCENT_THREADS"), out int n) && n >= 1 ? n : null;

    /// <summary>
    /// The most threads a kernel may use at once (default: the environment variable DESCENT_THREADS, else
    /// <see cref="Environment.ProcessorCount"/>; 1 runs everything
    /// on the calling thread). The kernels run on the calling thread and one shared pool with a worker per further
    /// processor, so a value above <see cref="Environment.ProcessorCount"/> uses no more threads than that.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxThreads
    {
        get => s_maxThreads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, $"MaxThreads must be >= 1, got {value}");
            s_maxThreads = value;
        }
    }

    /// <summary>The number of threads to use for a call: <paramref name="requested"/> if positive, else <see cref="MaxThreads"/>.</summary>
    internal static int Resolve(int requested) => requested > 0 ? requested : s_maxThreads;

    /// <summary>
    /// Runs <paramref name="body"/> for each part in [0, parts) on at most <paramref name="threads"/> threads (the
    /// caller and the workers of <see cref="WorkerPool"/>). A call made from inside a part, or while another thread's
    /// call holds the workers, runs its parts in turn on the calling thread.
    /// </summary>
    internal static void For(int parts, int threads, Action<int> body) => WorkerPool.Run(parts, threads, body);
}
