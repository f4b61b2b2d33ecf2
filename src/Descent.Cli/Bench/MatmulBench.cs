using System.Diagnostics;
using Descent.Kernels;

namespace Descent.Cli.Bench;

/// <summary>One float32 product's speed beside the machine's measured multiply-add peak on the same threads.</summary>
internal sealed record MatmulResult(string Shape, int Threads, double Gflops, double PeakGflops);

/// <summary>Times float32 C = A·B through the GEMM kernels on plain arrays, best of repeats over a small budget.</summary>
internal static class MatmulBench
{
    /// <summary>The MLP's forward products at batch 128 (M, K, N): 784→256, 256→128, 128→10.</summary>
    public static IReadOnlyList<(int M, int K, int N)> MlpShapes { get; } = [(128, 784, 256), (128, 256, 128), (128, 128, 10)];

    /// <summary>The square sizes measured when none are given.</summary>
    public static IReadOnlyList<int> DefaultSizes { get; } = [128, 256, 512, 1024];

    /// <summary>Measures the peak once (512-bit vectors where the CPU has them), then every shape.</summary>
    public static List<MatmulResult> Run(IEnumerable<(int M, int K, int N)> shapes, int threads, TimeSpan budgetPerShape)
    {
        int bits = MachineLimits.IsSupported(512) ? 512 : 256;
        double peak = MachineLimits.MeasureFmaPeakGflops(threads, TimeSpan.FromSeconds(0.5), bits);
        var results = new List<MatmulResult>();
        foreach (var (m, k, n) in shapes)
            results.Add(new MatmulResult($"{m}x{k}x{n}", threads, Measure(m, k, n, budgetPerShape), peak));
        return results;
    }

    /// <summary>GFLOP/s (2·M·K·N flops per product) of the best of several products of random [M, K]·[K, N].</summary>
    private static double Measure(int m, int k, int n, TimeSpan budget)
    {
        var random = new Random(1);
        var a = new float[m * k];
        var b = new float[k * n];
        var c = new float[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)random.NextDouble() - 0.5f;
        for (int i = 0; i < b.Length; i++) b[i] = (float)random.NextDouble() - 0.5f;
        Gemm.Multiply<float>(m, n, k, a, b, c);
        double best = double.MaxValue;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 3 || (clock.Elapsed < budget && i < 10_000); i++)
        {
            long start = Stopwatch.GetTimestamp();
            Gemm.Multiply<float>(m, n, k, a, b, c);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return 2.0 * m * k * n / best / 1e9;
    }
}
