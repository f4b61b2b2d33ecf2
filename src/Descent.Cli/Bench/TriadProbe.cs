using System.Diagnostics;
using System.Numerics.Tensors;

namespace Descent.Cli.Bench;

/// <summary>
/// The stream triad a[i] = b[i] + s·c[i] over three float32 arrays, timed one pass at a time on persistent threads, so
/// that it can be interleaved with the work it is a yardstick for: on a shared machine the two then see the same
/// conditions, and the best (or median) of each over the same window compare like with like.
/// </summary>
/// <remarks>
/// Each thread owns a fixed slice of the three arrays and is the first to touch it. A pass counts 3 arrays × 4 bytes
/// per element, which is what it moves: TensorPrimitives writes large outputs with non-temporal stores, so the written
/// array is not read for ownership first.
/// </remarks>
internal sealed class TriadProbe : IDisposable
{
    private readonly float[] _a, _b, _c;
    private readonly int _threads, _slice;
    private readonly Barrier _barrier;
    private readonly Thread[] _workers;
    private readonly long[] _starts, _ends;
    private bool _stop, _initialised, _disposed;

    /// <summary>Creates the arrays (<paramref name="elements"/> each) and <paramref name="threads"/> threads.</summary>
    public TriadProbe(int threads, int elements = 1 << 24)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(elements, threads);
        _threads = threads;
        _slice = (elements + threads - 1) / threads;
        _a = GC.AllocateUninitializedArray<float>(elements);
        _b = GC.AllocateUninitializedArray<float>(elements);
        _c = GC.AllocateUninitializedArray<float>(elements);
        _starts = new long[threads];
        _ends = new long[threads];
        _barrier = new Barrier(threads + 1);
        _workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            _workers[t] = new Thread(() => Loop(index)) { IsBackground = true, Name = $"Triad probe {t}" };
            _workers[t].Start();
        }
        PassSeconds(); // the first pass fills the arrays, each thread its own slice
    }

    /// <summary>The bytes one pass moves.</summary>
    public double BytesPerPass => 3.0 * sizeof(float) * _a.Length;

    /// <summary>
    /// Runs one pass on all threads released together and returns its wall time in seconds, from the first thread's
    /// start to the last thread's end (each thread takes its own timestamps, so a late wake-up of the coordinating
    /// thread cannot shorten a measurement).
    /// </summary>
    public double PassSeconds()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _barrier.SignalAndWait();
        _barrier.SignalAndWait();
        _initialised = true;
        return Math.Max(_ends.Max() - _starts.Min(), 1) / (double)Stopwatch.Frequency;
    }

    /// <summary>GB/s of one pass.</summary>
    public double PassGBps() => BytesPerPass / PassSeconds() / 1e9;

    private void Loop(int t)
    {
        int start = Math.Min(t * _slice, _a.Length), count = Math.Min(_slice, _a.Length - start);
        while (true)
        {
            _barrier.SignalAndWait();
            if (Volatile.Read(ref _stop)) return;
            if (!Volatile.Read(ref _initialised))
            {
                _b.AsSpan(start, count).Fill(1f);
                _c.AsSpan(start, count).Fill(2f);
                _a.AsSpan(start, count).Clear();
            }
            _starts[t] = Stopwatch.GetTimestamp();
            TensorPrimitives.MultiplyAdd(_c.AsSpan(start, count), 3f, _b.AsSpan(start, count), _a.AsSpan(start, count));
            _ends[t] = Stopwatch.GetTimestamp();
            _barrier.SignalAndWait();
        }
    }

    /// <summary>Stops the threads.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Volatile.Write(ref _stop, true);
        _barrier.SignalAndWait();
        foreach (var w in _workers) w.Join();
        _barrier.Dispose();
    }
}
