using Descent.Cli.Bench;

namespace Descent.Benchmarks;

/// <summary>Figures of what the machine can do, measured in this process (NaN where a vector width is unsupported).</summary>
internal sealed record MachineFigures(double Fma256One, double Fma256All, double Fma512One, double Fma512All, double TriadOne, double TriadAll);

/// <summary>The machine's limits measured in this process, printed before any figure so that figures can be read as fractions of them.</summary>
internal static class MachineReport
{
    public static MachineFigures Print(TimeSpan budget)
    {
        int n = Environment.ProcessorCount;
        bool has512 = MachineLimits.IsSupported(512);
        var f = new MachineFigures(
            MachineLimits.MeasureFmaPeakGflops(1, budget),
            MachineLimits.MeasureFmaPeakGflops(n, budget),
            has512 ? MachineLimits.MeasureFmaPeakGflops(1, budget, vectorBits: 512) : double.NaN,
            has512 ? MachineLimits.MeasureFmaPeakGflops(n, budget, vectorBits: 512) : double.NaN,
            MachineLimits.MeasureTriadGBps(1, budget),
            MachineLimits.MeasureTriadGBps(n, budget));
        Console.WriteLine($"Machine: {n} logical cores, {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}");
        Console.WriteLine($"FMA peak float32, 256-bit: {f.Fma256One,7:F1} GFLOP/s on 1 thread, {f.Fma256All,7:F1} GFLOP/s on {n} threads");
        if (has512)
            Console.WriteLine($"FMA peak float32, 512-bit: {f.Fma512One,7:F1} GFLOP/s on 1 thread, {f.Fma512All,7:F1} GFLOP/s on {n} threads");
        Console.WriteLine($"Stream triad (3 x 64 MiB): {f.TriadOne,7:F1} GB/s on 1 thread,     {f.TriadAll,7:F1} GB/s on {n} threads");
        Console.WriteLine();
        return f;
    }
}
