using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Descent.Kernels;

/// <summary>
/// The one set of persistent worker threads that every parallel kernel runs on (matrix products, convolution, pooling,
/// ReLU, optimizer chunks). A call hands out the parts [0, parts) of a job one at a time to the calling thread and to
/// up to threads − 1 workers; it returns when every part has run. Tuned for the many short parallel sections of a
/// training step: a worker that has finished a job watches for the next one, spinning for <see cref="SpinTime"/> and
/// then yielding for <see cref="YieldTime"/>, before it blocks, so back-to-back sections do not pay an operating-system
/// wake-up each; the caller works on the job itself rather than waiting for a worker to wake. Nothing is allocated per
/// call.
/// </summary>
/// <remarks>
/// <para>
/// Which thread runs which part depends on timing, so a job's parts must be independent of each other: the caller
/// fixes the split, and the result is then the same for any number of threads.
/// </para>
/// <para>
/// A job started from inside a part (a nested call), or while another thread's job holds the pool, runs inline on the
/// calling thread, so nesting cannot deadlock and concurrent callers do not wait for each other.
/// </para>
/// <para>
/// Protocol. A job is published as a 64-bit claim word, (epoch &lt;&lt; 32) | next part, written after the job's fields;
/// a participant claims a part by a compare-and-swap that checks the epoch, so a worker that wakes late, after its job
/// has ended, can never run a part of the next one with the old body: its swap fails. The workers that may take part
/// are counted by a second epoch-tagged word (seats). Each finished part increments a done counter; the caller returns
/// when it reaches the number of parts, so it never waits for a worker that has not even woken up.
/// </para>
/// </remarks>
internal static class WorkerPool
{
    /// <summary>Background workers: one less than the processors (the caller is the other), at most 63.</summary>
    internal static int WorkerCount { get; } = Math.Clamp(Environment.ProcessorCount - 1, 0, 63);

    /// <summary>
    /// How long an idle worker, or a caller waiting for the workers' last parts, spins (pause instructions between
    /// looks) before it starts yielding. Short: a few tens of µs bridge the shortest serial stretches of a step.
    /// </summary>
    internal static TimeSpan SpinTime
    {
        get => TimeSpan.FromSeconds((double)s_spinTicks / Stopwatch.Frequency);
        set => s_spinTicks = (long)(value.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>
    /// How long, after <see cref="SpinTime"/>, the waiter keeps looking with <see cref="Thread.Yield"/> between looks
    /// before it blocks: on an idle core the next look comes at once, while on a busy one the other work runs
    /// meanwhile. Long enough to bridge the longer serial stretches of a training step (a small layer's forward and
    /// backward between two large products), so that a worker seldom needs an operating-system wake-up in a step.
    /// </summary>
    internal static TimeSpan YieldTime
    {
        get => TimeSpan.FromSeconds((double)s_yieldTicks / Stopwatch.Frequency);
        set => s_yieldTicks = (long)(value.TotalSeconds * Stopwatch.Frequency);
    }

    private static long s_spinTicks = Stopwatch.Frequency / 20_000; // 50 µs
    private static long s_yieldTicks = Stopwatch.Frequency / 5_000; // 200 µs

    private static readonly Lock Gate = new();
    private static readonly Lock StartGate = new();
    private static Worker[]? s_workers;

    /// <summary>True on a worker thread, and on a caller while it runs its job: a call from there runs inline.</summary>
    [ThreadStatic] private static bool t_inside;

    // The current job. Its fields are written by the caller, which holds Gate, before the claim word is published,
    // and are not written again until every part has run.
    private static Counters s_counters;
    private static Action<int>? s_body;
    private static int s_parts;
    private static int s_epoch;
    private static int s_failed;
    private static ExceptionDispatchInfo? s_error;
    private static readonly ManualResetEventSlim DoneEvent = new(false, spinCount: 1);

    /// <summary>Runs <paramref name="body"/> for each part in [0, <paramref name="parts"/>) on at most <paramref name="threads"/> threads, the caller included.</summary>
    /// <remarks>
    /// The first exception thrown by a part is rethrown to the caller (the parts not yet started are skipped), as it
    /// would be if every part ran on the calling thread.
    /// </remarks>
    public static void Run(int parts, int threads, Action<int> body)
    {
        if (parts <= 0) return;
        if (parts == 1 || threads <= 1 || WorkerCount == 0 || t_inside || !Gate.TryEnter())
        {
            for (int i = 0; i < parts; i++) body(i);
            return;
        }
        try
        {
            t_inside = true;
            var workers = s_workers ?? Start();
            int helpers = Math.Min(Math.Min(WorkerCount, threads - 1), parts - 1);
            s_body = body;
            s_parts = parts;
            s_counters.Done = 0;
            s_failed = 0;
            s_error = null;
            DoneEvent.Reset();
            int epoch = ++s_epoch;
            Volatile.Write(ref s_counters.Seats, (long)epoch << 32 | (uint)helpers);
            Interlocked.Exchange(ref s_counters.Claim, (long)epoch << 32); // publishes the job, and fences the reads below
            for (int i = 0; i < helpers; i++) workers[i].WakeIfSleeping();
            RunParts(epoch);
            WaitUntilDone(parts);
            s_body = null; // late workers check the claim word before they touch the body
            var error = s_error;
            s_error = null;
            error?.Throw();
        }
        finally
        {
            t_inside = false;
            Gate.Exit();
        }
    }

    /// <summary>Claims and runs parts of job <paramref name="epoch"/> until none is left.</summary>
    private static void RunParts(int epoch)
    {
        while (true)
        {
            long claim = Volatile.Read(ref s_counters.Claim);
            if ((int)(claim >> 32) != epoch) return;
            // Read after the claim word: if the swap below succeeds, the job had not ended, so these are its fields.
            var body = Volatile.Read(ref s_body);
            int parts = Volatile.Read(ref s_parts);
            int part = (int)(uint)claim;
            if (part >= parts) return;
            if (Interlocked.CompareExchange(ref s_counters.Claim, claim + 1, claim) != claim) continue;
            if (Volatile.Read(ref s_failed) == 0)
            {
                try
                {
                    body!(part);
                }
                catch (Exception e)
                {
                    if (Interlocked.Exchange(ref s_failed, 1) == 0) s_error = ExceptionDispatchInfo.Capture(e);
                }
            }
            if (Interlocked.Increment(ref s_counters.Done) == parts) DoneEvent.Set();
        }
    }

    /// <summary>The caller, its own parts done, waits for the parts the workers still run: it spins, then blocks.</summary>
    private static void WaitUntilDone(int parts)
    {
        if (Volatile.Read(ref s_counters.Done) == parts) return;
        long spinUntil = Stopwatch.GetTimestamp() + s_spinTicks, yieldUntil = spinUntil + s_yieldTicks;
        while (Volatile.Read(ref s_counters.Done) < parts)
        {
            if (Pause(spinUntil, yieldUntil)) continue;
            DoneEvent.Wait();
            // A Set left over from the previous job may have ended the wait early: clear it and look again. The last
            // part's Set comes after its count, so a Set that this Reset hides is seen in the count.
            DoneEvent.Reset();
        }
    }

    /// <summary>One wait between two looks: a short spin until <paramref name="spinUntil"/>, then a yield until <paramref name="yieldUntil"/>; false once it is time to block.</summary>
    private static bool Pause(long spinUntil, long yieldUntil)
    {
        long now = Stopwatch.GetTimestamp();
        if (now < spinUntil) Thread.SpinWait(4);
        else if (now < yieldUntil) Thread.Yield();
        else return false;
        return true;
    }

    /// <summary>Takes one of job <paramref name="epoch"/>'s helper seats, if any is left.</summary>
    private static bool TakeSeat(int epoch)
    {
        while (true)
        {
            long seats = Volatile.Read(ref s_counters.Seats);
            if ((int)(seats >> 32) != epoch || (uint)seats == 0) return false;
            if (Interlocked.CompareExchange(ref s_counters.Seats, seats - 1, seats) == seats) return true;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Worker[] Start()
    {
        lock (StartGate)
        {
            if (s_workers is not null) return s_workers;
            var workers = new Worker[WorkerCount];
            for (int i = 0; i < workers.Length; i++) workers[i] = new Worker(i);
            s_workers = workers;
            return workers;
        }
    }

    /// <summary>One background thread: it waits for a job with a new epoch, takes a seat if one is left, and runs parts.</summary>
    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private int _sleeping;

        internal Worker(int index) =>
            new Thread(Loop) { IsBackground = true, Name = $"Descent worker {index + 1}" }.Start();

        /// <summary>Called by a caller after it published a job: releases the worker if it is blocked.</summary>
        internal void WakeIfSleeping()
        {
            if (Volatile.Read(ref _sleeping) == 1 && Interlocked.Exchange(ref _sleeping, 0) == 1) _wake.Release();
        }

        private void Loop()
        {
            t_inside = true;
            int seen = 0;
            while (true)
            {
                seen = WaitForJob(seen);
                if (TakeSeat(seen)) RunParts(seen);
            }
        }

        /// <summary>Spins, then blocks, until the claim word carries an epoch other than <paramref name="seen"/>; returns it.</summary>
        private int WaitForJob(int seen)
        {
            long spinUntil = Stopwatch.GetTimestamp() + s_spinTicks, yieldUntil = spinUntil + s_yieldTicks;
            while (true)
            {
                int epoch = (int)(Volatile.Read(ref s_counters.Claim) >> 32);
                if (epoch != seen) return epoch;
                if (!Pause(spinUntil, yieldUntil)) break;
            }
            while (true)
            {
                // Announce the sleep before the last look (both sides fence: the caller publishes, then reads _sleeping).
                Interlocked.Exchange(ref _sleeping, 1);
                int epoch = (int)(Volatile.Read(ref s_counters.Claim) >> 32);
                if (epoch != seen)
                {
                    // A job came after all: cancel the sleep, or, if a caller already claimed the wake-up, take its permit.
                    if (Interlocked.Exchange(ref _sleeping, 0) == 0) _wake.Wait();
                    return epoch;
                }
                _wake.Wait();
                epoch = (int)(Volatile.Read(ref s_counters.Claim) >> 32);
                if (epoch != seen) return epoch;
            }
        }
    }

    /// <summary>The words every participant writes, each on a cache line of its own.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct Counters
    {
        /// <summary>(epoch &lt;&lt; 32) | the next part to hand out.</summary>
        [FieldOffset(64)] public long Claim;

        /// <summary>(epoch &lt;&lt; 32) | the helper seats left.</summary>
        [FieldOffset(128)] public long Seats;

        /// <summary>Parts of the current job that have run.</summary>
        [FieldOffset(192)] public int Done;
    }
}
