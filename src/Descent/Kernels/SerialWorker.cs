using System.Collections.Concurrent;

using System.Diagnostics;

namespace Descent.Kernels;

/// <summary>
/// A thread of its own that runs posted work in the order posted, while the posting thread goes on (data-parallel
/// training's collectives during the backward pass): <see cref="WaitIdle"/> returns once all of it is done, or throws
/// the first failure. Kernels is where threads live; this one computes nothing itself.
/// </summary>
internal sealed class SerialWorker : IDisposable
{
    private readonly BlockingCollection<Action> _work = [];
    private readonly Thread _thread;
    private readonly Stopwatch _busy = new();
    private readonly object _gate = new();
    private int _pending;
    private Exception? _failure;

    public SerialWorker(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>The seconds spent running work.</summary>
    public double BusySeconds
    {
        get
        {
            lock (_gate) return _busy.Elapsed.TotalSeconds;
        }
    }

    public void Post(Action work)
    {
        lock (_gate) _pending++;
        _work.Add(work);
    }

    /// <summary>Waits until everything posted has run; rethrows the first failure (and every later call does too).</summary>
    public void WaitIdle()
    {
        lock (_gate)
        {
            while (_pending > 0 && _failure is null) Monitor.Wait(_gate);
            if (_failure is not null)
                throw new AggregateException(_failure);
        }
    }

    private void Run()
    {
        foreach (var work in _work.GetConsumingEnumerable())
        {
            lock (_gate)
            {
                if (_failure is not null) { _pending--; Monitor.PulseAll(_gate); continue; }
                _busy.Start();
            }
            Exception? failure = null;
            try
            {
                work();
            }
            catch (Exception e)
            {
                failure = e;
            }
            lock (_gate)
            {
                _busy.Stop();
                _failure ??= failure;
                _pending--;
                Monitor.PulseAll(_gate);
            }
        }
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
