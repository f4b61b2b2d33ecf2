using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Descent.Kernels.VectorFma;

namespace Descent.Kernels;

/// <summary>
/// SGD with momentum, dampening, Nesterov, weight decay and maximize in one pass, in torch.optim.SGD's order:
/// g ← ±g (+ λθ); b ← μb + (1−τ)g (b ← g on the first step); g ← g + μb (Nesterov) or b; θ ← θ − γg.
/// Each "x + a·y" is one fused multiply-add, as PyTorch's add with alpha computes it, so results match to the last bit.
/// </summary>
internal struct SgdKernel<T> : IChunkKernel where T : unmanaged, IFloatingPointIeee754<T>
{
    public T[] P, G, B;
    public int POff, GOff, BOff;
    public T NegLr, WeightDecay, Momentum, OneMinusDampening;
    public bool Maximize, HasWeightDecay, HasMomentum, FirstStep, Nesterov;

    // Compiled fully optimised at once: under tiered compilation the first ~100 ms of steps ran unoptimised code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void Run(int start, int end)
    {
        int n = end - start;
        var p = P.AsSpan(POff + start, n);
        var g = G.AsSpan(GOff + start, n);
        var b = HasMomentum ? B.AsSpan(BOff + start, n) : default;
        int i = 0;
        if (!HasMomentum && !Maximize && !HasWeightDecay && Vector.IsHardwareAccelerated)
            i = PlainVectors(p, g, NegLr);
        else if (HasMomentum && !FirstStep && !Maximize && !HasWeightDecay && Vector.IsHardwareAccelerated)
            i = MomentumVectors(p, g, b, Momentum, OneMinusDampening, NegLr, Nesterov);
        else if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            ref T rp = ref MemoryMarshal.GetReference(p);
            ref T rg = ref MemoryMarshal.GetReference(g);
            ref T rb = ref MemoryMarshal.GetReference(b);
            for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
            {
                var vp = Vector.LoadUnsafe(ref rp, (nuint)i);
                var d = Vector.LoadUnsafe(ref rg, (nuint)i);
                if (Maximize) d = -d;
                if (HasWeightDecay) d = Fma(vp, new Vector<T>(WeightDecay), d);
                if (HasMomentum)
                {
                    var buf = FirstStep ? d : Fma(d, new Vector<T>(OneMinusDampening), Vector.LoadUnsafe(ref rb, (nuint)i) * Momentum);
                    buf.StoreUnsafe(ref rb, (nuint)i);
                    d = Nesterov ? Fma(buf, new Vector<T>(Momentum), d) : buf;
                }
                Fma(d, new Vector<T>(NegLr), vp).StoreUnsafe(ref rp, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T d = Maximize ? -g[i] : g[i];
            if (HasWeightDecay) d = T.FusedMultiplyAdd(p[i], WeightDecay, d);
            if (HasMomentum)
            {
                T buf = FirstStep ? d : T.FusedMultiplyAdd(d, OneMinusDampening, b[i] * Momentum);
                b[i] = buf;
                d = Nesterov ? T.FusedMultiplyAdd(buf, Momentum, d) : buf;
            }
            p[i] = T.FusedMultiplyAdd(d, NegLr, p[i]);
        }
    }

    /// <summary>Plain SGD, θ ← θ − γg, over whole vectors, two at a time. Returns how many elements it did.</summary>
    private static int PlainVectors(Span<T> p, ReadOnlySpan<T> g, T negLr)
    {
        ref T rp = ref MemoryMarshal.GetReference(p);
        ref T rg = ref MemoryMarshal.GetReference(g);
        var lr = new Vector<T>(negLr);
        int w = Vector<T>.Count, n = p.Length, i = 0;
        for (; i <= n - 2 * w; i += 2 * w)
        {
            nuint i0 = (nuint)i, i1 = (nuint)(i + w);
            var p0 = Fma(Vector.LoadUnsafe(ref rg, i0), lr, Vector.LoadUnsafe(ref rp, i0));
            var p1 = Fma(Vector.LoadUnsafe(ref rg, i1), lr, Vector.LoadUnsafe(ref rp, i1));
            p0.StoreUnsafe(ref rp, i0);
            p1.StoreUnsafe(ref rp, i1);
        }
        return i;
    }

    /// <summary>
    /// The everyday momentum step (no weight decay, not maximizing, past the first step) over whole vectors, two at a time,
    /// with every setting in a register: the same operations as the general loop. Returns how many elements it did.
    /// </summary>
    private static int MomentumVectors(Span<T> p, ReadOnlySpan<T> g, Span<T> b, T momentum, T oneMinusDampening, T negLr, bool nesterov)
    {
        ref T rp = ref MemoryMarshal.GetReference(p);
        ref T rg = ref MemoryMarshal.GetReference(g);
        ref T rb = ref MemoryMarshal.GetReference(b);
        var mu = new Vector<T>(momentum);
        var damp = new Vector<T>(oneMinusDampening);
        var lr = new Vector<T>(negLr);
        int w = Vector<T>.Count, n = p.Length, i = 0;
        for (; i <= n - 2 * w; i += 2 * w)
        {
            nuint i0 = (nuint)i, i1 = (nuint)(i + w);
            var d0 = Vector.LoadUnsafe(ref rg, i0);
            var d1 = Vector.LoadUnsafe(ref rg, i1);
            var b0 = Fma(d0, damp, Vector.LoadUnsafe(ref rb, i0) * mu);
            var b1 = Fma(d1, damp, Vector.LoadUnsafe(ref rb, i1) * mu);
            var p0 = Vector.LoadUnsafe(ref rp, i0);
            var p1 = Vector.LoadUnsafe(ref rp, i1);
            b0.StoreUnsafe(ref rb, i0);
            b1.StoreUnsafe(ref rb, i1);
            Fma(nesterov ? Fma(b0, mu, d0) : b0, lr, p0).StoreUnsafe(ref rp, i0);
            Fma(nesterov ? Fma(b1, mu, d1) : b1, lr, p1).StoreUnsafe(ref rp, i1);
        }
        return i;
    }
}
