using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Descent.Kernels;

/// <summary>
/// Adagrad in one pass, in torch.optim.Adagrad's order: g ← ±g (+ λθ); s ← s + g·g; θ ← θ − γₜ·g / (√s + ε), where
/// γₜ is the decayed learning rate (its negative is <see cref="NegClr"/>).
/// </summary>
internal struct AdagradKernel<T> : IChunkKernel where T : unmanaged, IFloatingPointIeee754<T>
{
    public T[] P, G, S;
    public int POff, GOff, SOff;
    public T WeightDecay, Eps, NegClr;
    public bool Maximize, HasWeightDecay;

    // Compiled fully optimised at once: under tiered compilation the first ~100 ms of steps ran unoptimised code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void Run(int start, int end)
    {
        int n = end - start;
        var p = P.AsSpan(POff + start, n);
        var g = G.AsSpan(GOff + start, n);
        var s = S.AsSpan(SOff + start, n);
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            ref T rp = ref MemoryMarshal.GetReference(p);
            ref T rg = ref MemoryMarshal.GetReference(g);
            ref T rs = ref MemoryMarshal.GetReference(s);
            var eps = new Vector<T>(Eps);
            for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
            {
                var theta = Vector.LoadUnsafe(ref rp, (nuint)i);
                var grad = Vector.LoadUnsafe(ref rg, (nuint)i);
                if (Maximize) grad = -grad;
                if (HasWeightDecay) grad += theta * WeightDecay;
                var sum = Vector.LoadUnsafe(ref rs, (nuint)i) + grad * grad;
                sum.StoreUnsafe(ref rs, (nuint)i);
                (theta + grad * NegClr / (Vector.SquareRoot(sum) + eps)).StoreUnsafe(ref rp, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T grad = Maximize ? -g[i] : g[i];
            if (HasWeightDecay) grad += p[i] * WeightDecay;
            T sum = s[i] + grad * grad;
            s[i] = sum;
            p[i] += grad * NegClr / (T.Sqrt(sum) + Eps);
        }
    }
}

/// <summary>
/// Adadelta in one pass, in torch.optim.Adadelta's order: g ← ±g (+ λθ); v ← ρv + (1−ρ)g·g;
/// Δ ← √(u + ε) / √(v + ε) · g; u ← ρu + (1−ρ)Δ·Δ; θ ← θ − γΔ.
/// </summary>
internal struct AdadeltaKernel<T> : IChunkKernel where T : unmanaged, IFloatingPointIeee754<T>
{
    public T[] P, G, V, U;
    public int POff, GOff, VOff, UOff;
    public T WeightDecay, Rho, OneMinusRho, Eps, NegLr;
    public bool Maximize, HasWeightDecay;

    // Compiled fully optimised at once: under tiered compilation the first ~100 ms of steps ran unoptimised code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void Run(int start, int end)
    {
        int n = end - start;
        var p = P.AsSpan(POff + start, n);
        var g = G.AsSpan(GOff + start, n);
        var v = V.AsSpan(VOff + start, n);
        var u = U.AsSpan(UOff + start, n);
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            ref T rp = ref MemoryMarshal.GetReference(p);
            ref T rg = ref MemoryMarshal.GetReference(g);
            ref T rv = ref MemoryMarshal.GetReference(v);
            ref T ru = ref MemoryMarshal.GetReference(u);
            var eps = new Vector<T>(Eps);
            for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
            {
                var theta = Vector.LoadUnsafe(ref rp, (nuint)i);
                var grad = Vector.LoadUnsafe(ref rg, (nuint)i);
                if (Maximize) grad = -grad;
                if (HasWeightDecay) grad += theta * WeightDecay;
                var sq = Vector.LoadUnsafe(ref rv, (nuint)i) * Rho + grad * OneMinusRho * grad;
                sq.StoreUnsafe(ref rv, (nuint)i);
                var acc = Vector.LoadUnsafe(ref ru, (nuint)i);
                var delta = Vector.SquareRoot(acc + eps) / Vector.SquareRoot(sq + eps) * grad;
                (acc * Rho + delta * OneMinusRho * delta).StoreUnsafe(ref ru, (nuint)i);
                (theta + delta * NegLr).StoreUnsafe(ref rp, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T grad = Maximize ? -g[i] : g[i];
            if (HasWeightDecay) grad += p[i] * WeightDecay;
            T sq = v[i] * Rho + grad * OneMinusRho * grad;
            v[i] = sq;
            T delta = T.Sqrt(u[i] + Eps) / T.Sqrt(sq + Eps) * grad;
            u[i] = u[i] * Rho + delta * OneMinusRho * delta;
            p[i] += delta * NegLr;
        }
    }
}

/// <summary>
/// RMSprop in one pass, in torch.optim.RMSprop's order: g ← ±g (+ λθ); v ← αv + (1−α)g·g; centred: ḡ ← αḡ + (1−α)g and
/// a ← √(v − ḡ·ḡ) + ε, else a ← √v + ε; with momentum b ← μb + g/a, θ ← θ − γb; else θ ← θ − γg/a.
/// </summary>
internal struct RmspropKernel<T> : IChunkKernel where T : unmanaged, IFloatingPointIeee754<T>
{
    public T[] P, G, V, GAvg, B;
    public int POff, GOff, VOff, GAvgOff, BOff;
    public T WeightDecay, Alpha, OneMinusAlpha, Eps, NegLr, Momentum;
    public bool Maximize, HasWeightDecay, Centered, HasMomentum;

    // Compiled fully optimised at once: under tiered compilation the first ~100 ms of steps ran unoptimised code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void Run(int start, int end)
    {
        int n = end - start;
        var p = P.AsSpan(POff + start, n);
        var g = G.AsSpan(GOff + start, n);
        var v = V.AsSpan(VOff + start, n);
        var ga = Centered ? GAvg.AsSpan(GAvgOff + start, n) : default;
        var b = HasMomentum ? B.AsSpan(BOff + start, n) : default;
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            ref T rp = ref MemoryMarshal.GetReference(p);
            ref T rg = ref MemoryMarshal.GetReference(g);
            ref T rv = ref MemoryMarshal.GetReference(v);
            ref T ra = ref MemoryMarshal.GetReference(ga);
            ref T rb = ref MemoryMarshal.GetReference(b);
            var eps = new Vector<T>(Eps);
            for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
            {
                var theta = Vector.LoadUnsafe(ref rp, (nuint)i);
                var grad = Vector.LoadUnsafe(ref rg, (nuint)i);
                if (Maximize) grad = -grad;
                if (HasWeightDecay) grad += theta * WeightDecay;
                var sq = Vector.LoadUnsafe(ref rv, (nuint)i) * Alpha + grad * OneMinusAlpha * grad;
                sq.StoreUnsafe(ref rv, (nuint)i);
                Vector<T> avg;
                if (Centered)
                {
                    var mean = Vector.LoadUnsafe(ref ra, (nuint)i) * Alpha + grad * OneMinusAlpha;
                    mean.StoreUnsafe(ref ra, (nuint)i);
                    avg = Vector.SquareRoot(sq - mean * mean) + eps;
                }
                else
                {
                    avg = Vector.SquareRoot(sq) + eps;
                }
                if (HasMomentum)
                {
                    var buf = Vector.LoadUnsafe(ref rb, (nuint)i) * Momentum + grad / avg;
                    buf.StoreUnsafe(ref rb, (nuint)i);
                    (theta + buf * NegLr).StoreUnsafe(ref rp, (nuint)i);
                }
                else
                {
                    (theta + grad * NegLr / avg).StoreUnsafe(ref rp, (nuint)i);
                }
            }
        }
        for (; i < n; i++)
        {
            T grad = Maximize ? -g[i] : g[i];
            if (HasWeightDecay) grad += p[i] * WeightDecay;
            T sq = v[i] * Alpha + grad * OneMinusAlpha * grad;
            v[i] = sq;
            T avg;
            if (Centered)
            {
                T mean = ga[i] * Alpha + grad * OneMinusAlpha;
                ga[i] = mean;
                avg = T.Sqrt(sq - mean * mean) + Eps;
            }
            else
            {
                avg = T.Sqrt(sq) + Eps;
            }
            if (HasMomentum)
            {
                T buf = b[i] * Momentum + grad / avg;
                b[i] = buf;
                p[i] += buf * NegLr;
            }
            else
            {
                p[i] += grad * NegLr / avg;
            }
        }
    }
}
