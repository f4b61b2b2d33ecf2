using System.Runtime.InteropServices;

namespace Descent.Benchmarks;

/// <summary>
/// CPU time of the calling thread (Linux <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>): on a machine shared with
/// other work it excludes the time this thread waited for a core, so single-thread kernel rates stay readable.
/// </summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out TimeSpec time);

    /// <summary>Whether the clock works on this OS.</summary>
    public static bool IsAvailable { get; } = OperatingSystem.IsLinux() && Probe();

    /// <summary>Seconds of CPU time this thread has used.</summary>
    public static double Now() => ClockGetTime(ClockThreadCpuTimeId, out var t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9 : double.NaN;

    private static bool Probe()
    {
        try { return !double.IsNaN(Now()); }
        catch (DllNotFoundException) { return false; }
        catch (EntryPointNotFoundException) { return false; }
    }
}
