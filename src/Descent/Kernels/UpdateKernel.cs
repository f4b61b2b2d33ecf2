using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Descent.Kernels;

/// <summary>
/// The update of one element by an elementwise optimizer, in the shape of <c>TensorPrimitives</c>' operator structs: a
/// scalar form and a vector form of the same arithmetic, so that both give the same bits. It receives the parameter θ,
/// the gradient g (already negated when maximizing) and up to three state values of that element, updates the state in
/// place and returns the new θ. A rule that keeps fewer buffers ignores the rest.
/// </summary>
internal interface IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>One element.</summary>
    T Update(T theta, T g, ref T s0, ref T s1, ref T s2);

    /// <summary>One vector of elements: the same operations as the scalar form, lane by lane.</summary>
    Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> s0, ref Vector<T> s1, ref Vector<T> s2);
}

/// <summary>
/// The one fused driver of every elementwise optimizer: it owns the spans, the two-vectors-a-time unrolling, the vector
/// remainder, the scalar tail, the maximize sign and (through <see cref="OptimParallel"/>) the fixed thread chunks, so that
/// a rule is a few lines of arithmetic. Parameter, gradient and each state buffer are read once and written once.
/// </summary>
internal struct UpdateKernel<T, TRule> : IChunkKernel
    where T : unmanaged, IFloatingPointIeee754<T>
    where TRule : struct, IUpdateRule<T>
{
    public TRule Rule;
    public T[] P, G, S0, S1, S2;
    public int POff, GOff, S0Off, S1Off, S2Off;

    /// <summary>Which of S0, S1, S2 the rule keeps this step (a rule with optional buffers may skip any of them).</summary>
    public bool Has0, Has1, Has2;

    /// <summary>Negate the gradient before the rule sees it (ascend instead of descend).</summary>
    public bool Maximize;

    /// <summary>Run every element through the scalar form: the reference the vector form is tested against.</summary>
    public bool ScalarOnly;

    // Compiled fully optimised at once: under tiered compilation the first ~100 ms of steps ran unoptimised code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void Run(int start, int end)
    {
        int n = end - start;
        var p = P.AsSpan(POff + start, n);
        var g = G.AsSpan(GOff + start, n);
        var s0 = Has0 ? S0.AsSpan(S0Off + start, n) : default;
        var s1 = Has1 ? S1.AsSpan(S1Off + start, n) : default;
        var s2 = Has2 ? S2.AsSpan(S2Off + start, n) : default;
        // The switches become type arguments, so that each combination gets a loop of its own with no test inside; the
        // rule is passed by value, so that its fields live in registers rather than being read again after every store.
        int i = ScalarOnly || !Vector.IsHardwareAccelerated ? 0
            : Maximize ? WithState0<Yes>(p, g, s0, s1, s2) : WithState0<No>(p, g, s0, s1, s2);
        Tail(Rule, Maximize, Has0, Has1, Has2, i, p, g, s0, s1, s2);
    }

    private readonly int WithState0<TMax>(Span<T> p, ReadOnlySpan<T> g, Span<T> s0, Span<T> s1, Span<T> s2) where TMax : struct, IFlag =>
        Has0 ? WithState1<TMax, Yes>(p, g, s0, s1, s2) : WithState1<TMax, No>(p, g, s0, s1, s2);

    private readonly int WithState1<TMax, T0>(Span<T> p, ReadOnlySpan<T> g, Span<T> s0, Span<T> s1, Span<T> s2) where TMax : struct, IFlag where T0 : struct, IFlag =>
        Has1 ? WithState2<TMax, T0, Yes>(p, g, s0, s1, s2) : WithState2<TMax, T0, No>(p, g, s0, s1, s2);

    private readonly int WithState2<TMax, T0, T1>(Span<T> p, ReadOnlySpan<T> g, Span<T> s0, Span<T> s1, Span<T> s2) where TMax : struct, IFlag where T0 : struct, IFlag where T1 : struct, IFlag =>
        Has2 ? Vectors<TMax, T0, T1, Yes>(Rule, p, g, s0, s1, s2) : Vectors<TMax, T0, T1, No>(Rule, p, g, s0, s1, s2);

    /// <summary>Whole vectors, two per iteration, then one more if it fits. Returns how many elements it did.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Vectors<TMax, T0, T1, T2>(TRule rule, Span<T> p, ReadOnlySpan<T> g, Span<T> s0, Span<T> s1, Span<T> s2)
        where TMax : struct, IFlag where T0 : struct, IFlag where T1 : struct, IFlag where T2 : struct, IFlag
    {
        ref T rp = ref MemoryMarshal.GetReference(p);
        ref T rg = ref MemoryMarshal.GetReference(g);
        ref T r0 = ref MemoryMarshal.GetReference(s0);
        ref T r1 = ref MemoryMarshal.GetReference(s1);
        ref T r2 = ref MemoryMarshal.GetReference(s2);
        int w = Vector<T>.Count, n = p.Length, i = 0;
        for (; i <= n - 2 * w; i += 2 * w)
        {
            One<TMax, T0, T1, T2>(ref rule, ref rp, ref rg, ref r0, ref r1, ref r2, (nuint)i);
            One<TMax, T0, T1, T2>(ref rule, ref rp, ref rg, ref r0, ref r1, ref r2, (nuint)(i + w));
        }
        if (i <= n - w)
        {
            One<TMax, T0, T1, T2>(ref rule, ref rp, ref rg, ref r0, ref r1, ref r2, (nuint)i);
            i += w;
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void One<TMax, T0, T1, T2>(ref TRule rule, ref T rp, ref T rg, ref T r0, ref T r1, ref T r2, nuint i)
        where TMax : struct, IFlag where T0 : struct, IFlag where T1 : struct, IFlag where T2 : struct, IFlag
    {
        var grad = Vector.LoadUnsafe(ref rg, i);
        if (TMax.Value) grad = -grad;
        Vector<T> v0 = T0.Value ? Vector.LoadUnsafe(ref r0, i) : default;
        Vector<T> v1 = T1.Value ? Vector.LoadUnsafe(ref r1, i) : default;
        Vector<T> v2 = T2.Value ? Vector.LoadUnsafe(ref r2, i) : default;
        var theta = rule.Update(Vector.LoadUnsafe(ref rp, i), grad, ref v0, ref v1, ref v2);
        if (T0.Value) v0.StoreUnsafe(ref r0, i);
        if (T1.Value) v1.StoreUnsafe(ref r1, i);
        if (T2.Value) v2.StoreUnsafe(ref r2, i);
        theta.StoreUnsafe(ref rp, i);
    }

    /// <summary>The elements from <paramref name="i"/> on, one at a time (all of them when the scalar form is forced).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tail(TRule rule, bool maximize, bool has0, bool has1, bool has2, int i, Span<T> p, ReadOnlySpan<T> g, Span<T> s0, Span<T> s1, Span<T> s2)
    {
        T none = default;
        for (; i < p.Length; i++)
        {
            T grad = maximize ? -g[i] : g[i];
            p[i] = rule.Update(p[i], grad,
                ref has0 ? ref s0[i] : ref none,
                ref has1 ? ref s1[i] : ref none,
                ref has2 ? ref s2[i] : ref none);
        }
    }
}

/// <summary>A switch known when the JIT compiles a loop: <see cref="Yes"/> or <see cref="No"/>.</summary>
internal interface IFlag
{
    static abstract bool Value { get; }
}

internal readonly struct Yes : IFlag
{
    public static bool Value => true;
}

internal readonly struct No : IFlag
{
    public static bool Value => false;
}

/// <summary>Switches for the fused driver.</summary>
internal static class UpdateKernels
{
    [ThreadStatic] private static int t_scalarOnly;

    /// <summary>True while a <see cref="ScalarOnly"/> scope is open on this thread.</summary>
    public static bool IsScalarOnly => t_scalarOnly > 0;

    /// <summary>
    /// Until the scope is disposed, optimizer steps started on this thread run every element through their rule's scalar
    /// form: the reference that the tests compare the vector form with, bit for bit.
    /// </summary>
    public static Scope ScalarOnly()
    {
        t_scalarOnly++;
        return new Scope(true);
    }

    /// <summary>Ends a <see cref="ScalarOnly"/> scope.</summary>
    internal readonly struct Scope(bool active) : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose()
        {
            if (active) t_scalarOnly--;
        }
    }
}
