using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Descent.Cli.Bench;

/// <summary>
/// What this machine can do, measured in-process so that kernel figures can be read as fractions of it: the
/// multiply-add peak of the 256-bit vectors the GEMM kernels use, and the memory bandwidth of a stream triad. Each
/// measurement runs for about its time budget and returns the best of several repetitions.
/// </summary>
internal static class MachineLimits
{
    private const int MinRepetitions = 3;

    /// <summary>
    /// float32 GFLOP/s of independent fused multiply-adds (2 flops per lane) on <paramref name="threads"/> threads at
    /// once, with vectors of <paramref name="vectorBits"/> (256: the AVX2 kernels' width, a multiply then an add where
    /// the CPU has no FMA; 512: AVX-512, see <see cref="IsSupported"/>).
    /// </summary>
    public static double MeasureFmaPeakGflops(int threads, TimeSpan budget, int vectorBits = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (vectorBits is not (256 or 512))
            throw new ArgumentOutOfRangeException(nameof(vectorBits), vectorBits, $"vectorBits must be 256 or 512, got {vectorBits}");
        if (!IsSupported(vectorBits)) throw new NotSupportedException($"this CPU has no {vectorBits}-bit FMA");
        Func<long, float> loop = vectorBits == 512 ? FmaLoop512 : FmaLoop256;
        const long calibration = 1 << 16;
        loop(calibration);
        var sw = Stopwatch.StartNew();
        loop(calibration);
        double perIteration = Math.Max(sw.Elapsed.TotalSeconds / calibration, 1e-10);
        // Short repetitions (~2 ms): on a busy machine the best of many short runs finds moments with a free core.
        long iterations = Math.Max(1 << 14, (long)(2e-3 / perIteration));
        double best = Best(threads, budget, _ => loop(iterations));
        double flopsPerIteration = Accumulators * 2.0 * vectorBits / 32;
        return flopsPerIteration * iterations * threads / best / 1e9;
    }

    /// <summary>Whether <see cref="MeasureFmaPeakGflops"/> can measure vectors of <paramref name="vectorBits"/> here.</summary>
    public static bool IsSupported(int vectorBits) => vectorBits switch
    {
        256 => true,
        512 => Avx512F.IsSupported && Vector512.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>
    /// GB/s of the stream triad a[i] = b[i] + s·c[i] over three float32 arrays of <paramref name="elements"/> each (far
    /// larger than the caches by default), counting 3 arrays × 4 bytes per element, on <paramref name="threads"/> threads
    /// each owning a fixed slice.
    /// </summary>
    public static double MeasureTriadGBps(int threads, TimeSpan budget, int elements = 1 << 24)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(elements, threads);
        using var probe = new TriadProbe(threads, elements);
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        for (int rep = 0; rep < MinRepetitions || (rep < 10_000 && total.Elapsed < budget); rep++)
            best = Math.Min(best, probe.PassSeconds());
        return probe.BytesPerPass / best / 1e9;
    }

    /// <summary>
    /// Runs <paramref name="work"/>(thread index) on <paramref name="threads"/> dedicated threads released together,
    /// repeatedly until the budget is spent (at least <see cref="MinRepetitions"/> times), and returns the shortest
    /// wall time of a repetition, from the first thread's start to the last thread's end (each thread takes its own
    /// timestamps, so a late wake-up of the coordinating thread cannot shorten a measurement).
    /// </summary>
    private static double Best(int threads, TimeSpan budget, Action<int> work)
    {
        using var barrier = new Barrier(threads + 1);
        bool stop = false;
        var starts = new long[threads];
        var ends = new long[threads];
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            workers[t] = new Thread(() =>
            {
                while (true)
                {
                    barrier.SignalAndWait();
                    if (Volatile.Read(ref stop)) return;
                    starts[index] = Stopwatch.GetTimestamp();
                    work(index);
                    ends[index] = Stopwatch.GetTimestamp();
                    barrier.SignalAndWait();
                }
            }) { IsBackground = true, Name = $"MachineLimits {t}" };
            workers[t].Start();
        }
        long best = long.MaxValue;
        var total = Stopwatch.StartNew();
        for (int rep = 0; rep < MinRepetitions || (rep < 10_000 && total.Elapsed < budget); rep++)
        {
            barrier.SignalAndWait();
            barrier.SignalAndWait();
            best = Math.Min(best, ends.Max() - starts.Min());
        }
        Volatile.Write(ref stop, true);
        barrier.SignalAndWait();
        foreach (var w in workers) w.Join();
        return Math.Max(best, 1) / (double)Stopwatch.Frequency;
    }

    private const int Accumulators = 12;

    /// <summary>12 independent chains acc = acc·x + y (enough to cover FMA latency × throughput); values stay near 1.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float FmaLoop256(long iterations)
    {
        var x = Vector256.Create(0.999999f);
        var y = Vector256.Create(1e-6f);
        Vector256<float> a0 = Vector256<float>.One, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        Vector256<float> a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        if (Fma.IsSupported)
        {
            for (long i = 0; i < iterations; i++)
            {
                a0 = Fma.MultiplyAdd(a0, x, y); a1 = Fma.MultiplyAdd(a1, x, y); a2 = Fma.MultiplyAdd(a2, x, y);
                a3 = Fma.MultiplyAdd(a3, x, y); a4 = Fma.MultiplyAdd(a4, x, y); a5 = Fma.MultiplyAdd(a5, x, y);
                a6 = Fma.MultiplyAdd(a6, x, y); a7 = Fma.MultiplyAdd(a7, x, y); a8 = Fma.MultiplyAdd(a8, x, y);
                a9 = Fma.MultiplyAdd(a9, x, y); a10 = Fma.MultiplyAdd(a10, x, y); a11 = Fma.MultiplyAdd(a11, x, y);
            }
        }
        else
        {
            for (long i = 0; i < iterations; i++)
            {
                a0 = a0 * x + y; a1 = a1 * x + y; a2 = a2 * x + y; a3 = a3 * x + y; a4 = a4 * x + y; a5 = a5 * x + y;
                a6 = a6 * x + y; a7 = a7 * x + y; a8 = a8 * x + y; a9 = a9 * x + y; a10 = a10 * x + y; a11 = a11 * x + y;
            }
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    /// <summary>The same chains with 512-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float FmaLoop512(long iterations)
    {
        var x = Vector512.Create(0.999999f);
        var y = Vector512.Create(1e-6f);
        Vector512<float> a0 = Vector512<float>.One, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        Vector512<float> a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, x, y); a1 = Avx512F.FusedMultiplyAdd(a1, x, y); a2 = Avx512F.FusedMultiplyAdd(a2, x, y);
            a3 = Avx512F.FusedMultiplyAdd(a3, x, y); a4 = Avx512F.FusedMultiplyAdd(a4, x, y); a5 = Avx512F.FusedMultiplyAdd(a5, x, y);
            a6 = Avx512F.FusedMultiplyAdd(a6, x, y); a7 = Avx512F.FusedMultiplyAdd(a7, x, y); a8 = Avx512F.FusedMultiplyAdd(a8, x, y);
            a9 = Avx512F.FusedMultiplyAdd(a9, x, y); a10 = Avx512F.FusedMultiplyAdd(a10, x, y); a11 = Avx512F.FusedMultiplyAdd(a11, x, y);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
