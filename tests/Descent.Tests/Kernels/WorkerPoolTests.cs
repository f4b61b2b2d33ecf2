using Descent.Kernels;

namespace Descent.Tests.Kernels;

/// <summary>The shared worker pool: every part runs once, nesting and concurrent callers, errors. No timings.</summary>
/// <remarks>
/// Alone, like the helper test below: while another test held the pool, these calls would run inline and pass without
/// exercising the workers.
/// </remarks>
[Collection("Worker pool, alone")]
public class WorkerPoolTests
{
    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    [InlineData(17, 2)]
    [InlineData(17, 8)]
    [InlineData(1000, 2)]
    [InlineData(5, 1)]
    public void EveryPartRunsExactlyOnce(int parts, int threads)
    {
        var counts = new int[parts];
        // Many jobs back to back, so that workers arriving late at one job meet the next one.
        for (int job = 0; job < 2000; job++)
        {
            Array.Clear(counts);
            WorkerPool.Run(parts, threads, p => Interlocked.Increment(ref counts[p]));
            Assert.All(counts, c => Assert.Equal(1, c));
        }
    }

    [Fact]
    public void ZeroPartsRunNothing()
    {
        WorkerPool.Run(0, 2, _ => throw new InvalidOperationException("no part should run"));
        WorkerPool.Run(-1, 2, _ => throw new InvalidOperationException("no part should run"));
    }

    [Fact]
    public void NestedCallsRunInlineOnThePartsThread()
    {
        const int outer = 6, inner = 5;
        var counts = new int[outer * inner];
        var wrongThread = 0;
        for (int job = 0; job < 200; job++)
        {
            Array.Clear(counts);
            WorkerPool.Run(outer, 2, o =>
            {
                int thread = Environment.CurrentManagedThreadId;
                Parallelism.For(inner, 2, i =>
                {
                    if (Environment.CurrentManagedThreadId != thread) Interlocked.Increment(ref wrongThread);
                    Interlocked.Increment(ref counts[o * inner + i]);
                });
            });
            Assert.All(counts, c => Assert.Equal(1, c));
        }
        Assert.Equal(0, wrongThread);
    }

    [Fact]
    public void AnExceptionInAPartReachesTheCallerAsItself()
    {
        for (int job = 0; job < 50; job++)
        {
            int failing = job % 7;
            var e = Assert.Throws<InvalidOperationException>(() =>
                WorkerPool.Run(7, 2, p => { if (p == failing) throw new InvalidOperationException($"part {p} failed"); }));
            Assert.Equal($"part {failing} failed", e.Message);
        }
        // The pool still works afterwards.
        var counts = new int[9];
        WorkerPool.Run(9, 2, p => Interlocked.Increment(ref counts[p]));
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    [Fact]
    public void ConcurrentCallersEachRunAllTheirParts()
    {
        const int callers = 4, jobs = 500, parts = 13;
        using var start = new Barrier(callers);
        var failures = new int[callers];
        var threads = Enumerable.Range(0, callers).Select(c => new Thread(() =>
        {
            var counts = new int[parts];
            start.SignalAndWait();
            for (int job = 0; job < jobs; job++)
            {
                Array.Clear(counts);
                WorkerPool.Run(parts, 2, p => Interlocked.Increment(ref counts[p]));
                if (counts.Any(n => n != 1)) failures[c]++;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.All(failures, f => Assert.Equal(0, f));
    }

    [Fact]
    public void ACallAllocatesNothing()
    {
        var counts = new int[8];
        Action<int> body = p => counts[p]++;
        for (int i = 0; i < 100; i++) WorkerPool.Run(8, 2, body);
        // A blocked hand-off may make the runtime allocate once (a lazily created wait object); a per-call allocation
        // shows in every round, so the quietest of five rounds must allocate nothing.
        long quietest = long.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200; i++) WorkerPool.Run(8, 2, body);
            quietest = Math.Min(quietest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, quietest);
    }
}

/// <summary>That a worker really takes part: runs alone, so that no other test holds the pool meanwhile.</summary>
[Collection(Name)]
public class WorkerPoolHelperTests
{
    private const string Name = "Worker pool, alone";

    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class Alone;

    [Fact]
    public void TwoPartsRunOnTwoThreadsAtOnce()
    {
        if (WorkerPool.WorkerCount == 0) return; // one processor: everything runs on the caller
        for (int job = 0; job < 20; job++)
        {
            using var bothStarted = new CountdownEvent(2);
            var threadOf = new int[2];
            bool[] metTheOther = new bool[2];
            // Each part waits for the other to start: that can only happen if they run on two threads at once.
            Parallelism.For(2, 2, p =>
            {
                threadOf[p] = Environment.CurrentManagedThreadId;
                bothStarted.Signal();
                metTheOther[p] = bothStarted.Wait(TimeSpan.FromSeconds(30));
            });
            Assert.True(metTheOther[0] && metTheOther[1], $"job {job}: the two parts did not overlap");
            Assert.NotEqual(threadOf[0], threadOf[1]);
        }
    }
}
