using Descent.Kernels;

namespace Descent.Benchmarks;

/// <summary>The machine's limits measured in this process, printed before any figure so that figures can be read as fractions of them.</summary>
internal static class MachineReport
{
    public static (double Fma1, double FmaN, double Triad1, double TriadN) Print(TimeSpan budget)
    {
        int n = Environment.ProcessorCount;
        double fma1 = MachineLimits.MeasureFmaPeakGflops(1, budget);
        double fmaN = MachineLimits.MeasureFmaPeakGflops(n, budget);
        double triad1 = MachineLimits.MeasureTriadGBps(1, budget);
        double triadN = MachineLimits.MeasureTriadGBps(n, budget);
        Console.WriteLine($"Machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}");
        Console.WriteLine($"FMA peak (float32, Vector256): {fma1,7:F1} GFLOP/s on 1 thread, {fmaN,7:F1} GFLOP/s on {n} threads");
        Console.WriteLine($"Stream triad (3 x 64 MiB):     {triad1,7:F1} GB/s on 1 thread,     {triadN,7:F1} GB/s on {n} threads");
        Console.WriteLine();
        return (fma1, fmaN, triad1, triadN);
    }
}
