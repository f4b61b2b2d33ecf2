using System.Diagnostics;
using Descent.Kernels;

namespace Descent.Benchmarks;

/// <summary>
/// A fast GEMM table without BenchmarkDotNet: for each shape, the best of repeated runs (about 0.2 s per cell) on 1
/// thread and on every core, in GFLOP/s and as a fraction of the FMA peak measured in the same process.
/// </summary>
internal static class QuickBench
{
    /// <summary>(label, m, n, k, transA, transB) — square sizes, then the MLP 784-256-128-10 at batch 128.</summary>
    private static readonly (string Label, int M, int N, int K, bool TA, bool TB)[] Shapes =
    [
        ("64^3", 64, 64, 64, false, false),
        ("128^3", 128, 128, 128, false, false),
        ("256^3", 256, 256, 256, false, false),
        ("512^3", 512, 512, 512, false, false),
        ("1024^3", 1024, 1024, 1024, false, false),
        ("fc1 128x784.784x256", 128, 256, 784, false, false),
        ("fc2 128x256.256x128", 128, 128, 256, false, false),
        ("fc3 128x128.128x10", 128, 10, 128, false, false),
        ("fc1 dX 128x256.(784x256)T", 128, 784, 256, false, true),
        ("fc1 dW (128x784)T.128x256", 784, 256, 128, true, false),
        ("fc2 dX 128x128.(256x128)T", 128, 256, 128, false, true),
        ("fc2 dW (128x256)T.128x128", 256, 128, 128, true, false),
        ("fc3 dX 128x10.(128x10)T", 128, 128, 10, false, true),
        ("fc3 dW (128x128)T.128x10", 128, 10, 128, true, false),
    ];

    private static GemmKernelKind s_kernel;

    public static void Run(string[] args)
    {
        bool includeDouble = args.Contains("double");
        s_kernel = args.Contains("fma256") ? GemmKernelKind.Fma256 : args.Contains("portable") ? GemmKernelKind.Portable
            : args.Contains("fma512") ? GemmKernelKind.Fma512 : GemmKernelKind.Auto;
        var f = MachineReport.Print(TimeSpan.FromSeconds(0.6));
        var kernel = s_kernel == GemmKernelKind.Auto ? Gemm.BestKernel : s_kernel;
        // Fractions are of the peak at the kernel's own vector width (float64: half the float32 rate).
        var (fma1, fmaN) = kernel == GemmKernelKind.Fma512 ? (f.Fma512One, f.Fma512All) : (f.Fma256One, f.Fma256All);
        Console.WriteLine($"GEMM kernel: {kernel}; % peak is of the {(kernel == GemmKernelKind.Fma512 ? 512 : 256)}-bit FMA peak");
        int n = Environment.ProcessorCount;
        Console.WriteLine($"{"shape",-28} {"dtype",-7} {"1 thread",9} {"% peak",7} {$"{n} threads",10} {"% peak",7} {"1T cpu-time",12} {"% peak",7}");
        var custom = args.Select(ParseShape).OfType<(string, int, int, int, bool, bool)>().ToArray();
        var shapes = custom.Length == 0 ? Shapes : custom;
        foreach (var s in shapes)
        {
            Row<float>(s, fma1, fmaN, n);
            if (includeDouble) Row<double>(s, fma1 / 2, fmaN / 2, n);
        }
    }

    /// <summary>"512" (a cube) or "MxNxK" with optional suffixes "tA"/"tB" (read A or B transposed); null otherwise.</summary>
    private static (string, int, int, int, bool, bool)? ParseShape(string arg)
    {
        if (int.TryParse(arg, out int x)) return ($"{x}^3", x, x, x, false, false);
        bool ta = arg.Contains("tA", StringComparison.Ordinal), tb = arg.Contains("tB", StringComparison.Ordinal);
        var dims = arg.Replace("tA", "", StringComparison.Ordinal).Replace("tB", "", StringComparison.Ordinal).Split('x');
        return dims.Length == 3 && dims.All(d => int.TryParse(d, out _))
            ? (arg, int.Parse(dims[0]), int.Parse(dims[1]), int.Parse(dims[2]), ta, tb)
            : null;
    }

    private static void Row<T>((string Label, int M, int N, int K, bool TA, bool TB) s, double peak1, double peakN, int threads)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (g1, cpu1) = Gflops<T>(s, 1);
        var (gN, _) = Gflops<T>(s, threads);
        Console.WriteLine($"{s.Label,-28} {typeof(T).Name.ToLowerInvariant(),-7} {g1,9:F1} {100 * g1 / peak1,6:F0}% {gN,10:F1} {100 * gN / peakN,6:F0}% {cpu1,12:F1} {100 * cpu1 / peak1,6:F0}%");
    }

    /// <summary>Best GFLOP/s by wall time, and (for one thread) by this thread's CPU time.</summary>
    private static (double Wall, double Cpu) Gflops<T>((string Label, int M, int N, int K, bool TA, bool TB) s, int threads)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rng = new Random(1);
        var a = Fill<T>(rng, s.M * s.K);
        var b = Fill<T>(rng, s.K * s.N);
        var c = new T[s.M * s.N];
        int lda = s.TA ? s.M : s.K, ldb = s.TB ? s.K : s.N;
        void Once() => Gemm.Multiply<T>(s.TA, s.TB, s.M, s.N, s.K, a, lda, b, ldb, c, s.N, maxThreads: threads, kernel: s_kernel);
        Once();
        double best = double.MaxValue, bestCpu = double.MaxValue;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < 0.3 || best == double.MaxValue)
        {
            // Time enough calls to last ~2 ms so that timer resolution does not matter for small shapes.
            int calls = 1;
            double cpu = ThreadCpuClock.IsAvailable ? ThreadCpuClock.Now() : 0;
            long start = Stopwatch.GetTimestamp();
            Once();
            double t = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (t < 2e-3)
            {
                calls = (int)Math.Clamp(2e-3 / Math.Max(t, 1e-7), 1, 100_000);
                cpu = ThreadCpuClock.IsAvailable ? ThreadCpuClock.Now() : 0;
                start = Stopwatch.GetTimestamp();
                for (int i = 0; i < calls; i++) Once();
                t = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
            best = Math.Min(best, t / calls);
            if (ThreadCpuClock.IsAvailable) bestCpu = Math.Min(bestCpu, (ThreadCpuClock.Now() - cpu) / calls);
        }
        double flops = 2.0 * s.M * s.N * s.K / 1e9;
        return (flops / best, threads == 1 && ThreadCpuClock.IsAvailable ? flops / bestCpu : double.NaN);
    }

    private static T[] Fill<T>(Random rng, int count) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = new T[count];
        for (int i = 0; i < count; i++) x[i] = T.CreateChecked(rng.NextDouble() - 0.5);
        return x;
    }
}
