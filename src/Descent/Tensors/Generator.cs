namespace Descent;

/// <summary>
/// A seedable random-number generator (xoshiro256**, seeded through SplitMix64). Normal samples use the
/// Box–Muller transform. Its whole state can be read and restored, so that a resumed run draws the same numbers. An
/// instance is not thread-safe; <see cref="Default"/> is one per thread.
/// </summary>
public sealed class Generator
{
    private ulong _s0, _s1, _s2, _s3;

    [ThreadStatic] private static Generator? t_default;
    [ThreadStatic] private static Generator? t_substitute;

    /// <summary>
    /// The generator used when none is given (initialisers, <see cref="Tensor.Rand"/>, dropout, a shuffling
    /// <see cref="Data.DataLoader"/>, checkpoints): the calling thread's own. Every thread has one, which starts at seed 0
    /// as a new process's does, and <see cref="Tensor.ManualSeed"/> seeds the calling thread's only. So a run seeded and
    /// trained on one thread draws the same numbers whatever other threads do at the same time, and several trainings on
    /// several threads, each seeding its own, give what each gives alone. Work moved to another thread (a
    /// <c>Task.Run</c>, an <c>await</c> that resumes on a pool thread) draws from that thread's generator: seed it there,
    /// or pass a <see cref="Generator"/> explicitly. A <see cref="Generator"/> object itself is not synchronised: share one
    /// between threads only with a lock. Data-parallel training substitutes a generator of each shard's own for the
    /// forward passes of that shard (on the thread running them), so that dropout draws the same numbers wherever the
    /// shard is computed. The library's kernels draw no random numbers on their worker threads.
    /// </summary>
    public static Generator Default => t_substitute ?? (t_default ??= new Generator(0));

    /// <summary>Makes <paramref name="generator"/> this thread's <see cref="Default"/> until the returned scope is disposed.</summary>
    internal static SubstituteScope Substitute(Generator generator)
    {
        var previous = t_substitute;
        t_substitute = generator;
        return new SubstituteScope(previous);
    }

    /// <summary>Ends a <see cref="Substitute"/>: the previous default comes back.</summary>
    internal readonly struct SubstituteScope(Generator? previous) : IDisposable
    {
        public void Dispose() => t_substitute = previous;
    }

    /// <summary>Creates a generator from a seed.</summary>
    public Generator(long seed) => Seed(seed);

    /// <summary>Restarts the sequence from a seed.</summary>
    public void Seed(long seed)
    {
        ulong x = unchecked((ulong)seed);
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>The four words of the internal state, for checkpoints.</summary>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3];

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    public void SetState(ulong[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Length != 4) throw new ArgumentException($"state must have 4 words, got {state.Length}", nameof(state));
        if ((state[0] | state[1] | state[2] | state[3]) == 0) throw new ArgumentException("state must not be all zeros", nameof(state));
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, n).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, $"n must be > 0, got {n}");
        return (int)((NextUInt64() >> 33) % (ulong)n);
    }

    /// <summary>A standard normal sample (Box–Muller).</summary>
    public double NextNormal()
    {
        double u1 = 1.0 - NextDouble(); // in (0, 1]
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Shuffles indices 0..n-1 (Fisher–Yates).</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
