using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Descent.Kernels;

/// <summary>
/// Adamax in one pass, in torch.optim.Adamax's order: g ← ±g (+ λθ); m ← β₁m + (1−β₁)g; u ← max(β₂u, |g| + ε);
/// θ ← θ − (γ/(1−β₁ᵗ))·m/u.
/// </summary>
internal struct AdamaxKernel<T> : IChunkKernel where T : unmanaged, IFloatingPointIeee754<T>
{
    public T[] P, G, M, U;
    public int POff, GOff, MOff, UOff;
    public T WeightDecay, Beta1, OneMinusBeta1, Beta2, Eps, NegClr;
    public bool Maximize, HasWeightDecay;

    // Compiled fully optimised at once: under tiered compilation the first ~100 ms of steps ran unoptimised code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void Run(int start, int end)
    {
        int n = end - start;
        var p = P.AsSpan(POff + start, n);
        var g = G.AsSpan(GOff + start, n);
        var m = M.AsSpan(MOff + start, n);
        var u = U.AsSpan(UOff + start, n);
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            ref T rp = ref MemoryMarshal.GetReference(p);
            ref T rg = ref MemoryMarshal.GetReference(g);
            ref T rm = ref MemoryMarshal.GetReference(m);
            ref T ru = ref MemoryMarshal.GetReference(u);
            var eps = new Vector<T>(Eps);
            for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
            {
                var theta = Vector.LoadUnsafe(ref rp, (nuint)i);
                var grad = Vector.LoadUnsafe(ref rg, (nuint)i);
                if (Maximize) grad = -grad;
                if (HasWeightDecay) grad += theta * WeightDecay;
                var mt = Vector.LoadUnsafe(ref rm, (nuint)i) * Beta1 + grad * OneMinusBeta1;
                mt.StoreUnsafe(ref rm, (nuint)i);
                var ut = Vector.Max(Vector.LoadUnsafe(ref ru, (nuint)i) * Beta2, Vector.Abs(grad) + eps);
                ut.StoreUnsafe(ref ru, (nuint)i);
                (theta + mt * NegClr / ut).StoreUnsafe(ref rp, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T grad = Maximize ? -g[i] : g[i];
            if (HasWeightDecay) grad += p[i] * WeightDecay;
            T mt = m[i] * Beta1 + grad * OneMinusBeta1;
            m[i] = mt;
            T ut = T.Max(u[i] * Beta2, T.Abs(grad) + Eps);
            u[i] = ut;
            p[i] += mt * NegClr / ut;
        }
    }
}

/// <summary>
/// NAdam in one pass, in torch.optim.NAdam's order: g ← g (+ λθ); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g·g;
/// d ← √(v/(1−β₂ᵗ)) + ε; θ ← θ + c₁·g/d; θ ← θ + c₂·m/d, with c₁ = −γ(1−μₜ)/(1−Πμ) and c₂ = −γμₜ₊₁/(1−Πμ·μₜ₊₁).
/// </summary>
internal struct NadamKernel<T> : IChunkKernel where T : unmanaged, IFloatingPointIeee754<T>
{
    public T[] P, G, M, V;
    public int POff, GOff, MOff, VOff;
    public T WeightDecay, Beta1, OneMinusBeta1, Beta2, OneMinusBeta2, BiasCorrection2, Eps, GradCoef, MomentCoef;
    public bool HasWeightDecay;

    // Compiled fully optimised at once: under tiered compilation the first ~100 ms of steps ran unoptimised code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void Run(int start, int end)
    {
        int n = end - start;
        var p = P.AsSpan(POff + start, n);
        var g = G.AsSpan(GOff + start, n);
        var m = M.AsSpan(MOff + start, n);
        var v = V.AsSpan(VOff + start, n);
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            ref T rp = ref MemoryMarshal.GetReference(p);
            ref T rg = ref MemoryMarshal.GetReference(g);
            ref T rm = ref MemoryMarshal.GetReference(m);
            ref T rv = ref MemoryMarshal.GetReference(v);
            var eps = new Vector<T>(Eps);
            var bc2 = new Vector<T>(BiasCorrection2);
            for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
            {
                var theta = Vector.LoadUnsafe(ref rp, (nuint)i);
                var grad = Vector.LoadUnsafe(ref rg, (nuint)i);
                if (HasWeightDecay) grad += theta * WeightDecay;
                var mt = Vector.LoadUnsafe(ref rm, (nuint)i) * Beta1 + grad * OneMinusBeta1;
                var vt = Vector.LoadUnsafe(ref rv, (nuint)i) * Beta2 + grad * OneMinusBeta2 * grad;
                mt.StoreUnsafe(ref rm, (nuint)i);
                vt.StoreUnsafe(ref rv, (nuint)i);
                var denom = Vector.SquareRoot(vt / bc2) + eps;
                theta += grad * GradCoef / denom;
                (theta + mt * MomentCoef / denom).StoreUnsafe(ref rp, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T grad = g[i];
            if (HasWeightDecay) grad += p[i] * WeightDecay;
            T mt = m[i] * Beta1 + grad * OneMinusBeta1;
            T vt = v[i] * Beta2 + grad * OneMinusBeta2 * grad;
            m[i] = mt;
            v[i] = vt;
            T denom = T.Sqrt(vt / BiasCorrection2) + Eps;
            T theta = p[i] + grad * GradCoef / denom;
            p[i] = theta + mt * MomentCoef / denom;
        }
    }
}

/// <summary>
/// RAdam in one pass, in torch.optim.RAdam's order: g ← g (+ λθ); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g·g;
/// m̂ ← m/(1−β₁ᵗ); rectified (ρₜ &gt; 5): θ ← θ − m̂·γ·(1/(√v + ε))·√(1−β₂ᵗ)·r; else θ ← θ − m̂·γ.
/// </summary>
internal struct RadamKernel<T> : IChunkKernel where T : unmanaged, IFloatingPointIeee754<T>
{
    public T[] P, G, M, V;
    public int POff, GOff, MOff, VOff;
    public T WeightDecay, Beta1, OneMinusBeta1, Beta2, OneMinusBeta2, BiasCorrection1, BiasCorrection2Sqrt, Eps, Lr, Rect;
    public bool HasWeightDecay, Rectified;

    // Compiled fully optimised at once: under tiered compilation the first ~100 ms of steps ran unoptimised code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void Run(int start, int end)
    {
        int n = end - start;
        var p = P.AsSpan(POff + start, n);
        var g = G.AsSpan(GOff + start, n);
        var m = M.AsSpan(MOff + start, n);
        var v = V.AsSpan(VOff + start, n);
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            ref T rp = ref MemoryMarshal.GetReference(p);
            ref T rg = ref MemoryMarshal.GetReference(g);
            ref T rm = ref MemoryMarshal.GetReference(m);
            ref T rv = ref MemoryMarshal.GetReference(v);
            var eps = new Vector<T>(Eps);
            var bc1 = new Vector<T>(BiasCorrection1);
            for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
            {
                var theta = Vector.LoadUnsafe(ref rp, (nuint)i);
                var grad = Vector.LoadUnsafe(ref rg, (nuint)i);
                if (HasWeightDecay) grad += theta * WeightDecay;
                var mt = Vector.LoadUnsafe(ref rm, (nuint)i) * Beta1 + grad * OneMinusBeta1;
                var vt = Vector.LoadUnsafe(ref rv, (nuint)i) * Beta2 + grad * OneMinusBeta2 * grad;
                mt.StoreUnsafe(ref rm, (nuint)i);
                vt.StoreUnsafe(ref rv, (nuint)i);
                var update = mt / bc1 * Lr;
                if (Rectified) update = update * (Vector<T>.One / (Vector.SquareRoot(vt) + eps) * BiasCorrection2Sqrt) * Rect;
                (theta - update).StoreUnsafe(ref rp, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T grad = g[i];
            if (HasWeightDecay) grad += p[i] * WeightDecay;
            T mt = m[i] * Beta1 + grad * OneMinusBeta1;
            T vt = v[i] * Beta2 + grad * OneMinusBeta2 * grad;
            m[i] = mt;
            v[i] = vt;
            T update = mt / BiasCorrection1 * Lr;
            if (Rectified) update = update * (T.One / (T.Sqrt(vt) + Eps) * BiasCorrection2Sqrt) * Rect;
            p[i] -= update;
        }
    }
}

/// <summary>
/// Rprop in one pass, in torch.optim.Rprop's order: s ← sign(g·g_prev) mapped to η₊ (&gt; 0), η₋ (&lt; 0) or 1; Δ ← clamp(Δs,
/// Δmin, Δmax); g ← 0 where s = η₋; θ ← θ − sign(g)·Δ; g_prev ← g.
/// </summary>
internal struct RpropKernel<T> : IChunkKernel where T : unmanaged, IFloatingPointIeee754<T>
{
    public T[] P, G, Prev, StepSize;
    public int POff, GOff, PrevOff, StepSizeOff;
    public T EtaMinus, EtaPlus, StepMin, StepMax;
    public bool Maximize;

    // Compiled fully optimised at once: under tiered compilation the first ~100 ms of steps ran unoptimised code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void Run(int start, int end)
    {
        int n = end - start;
        var p = P.AsSpan(POff + start, n);
        var g = G.AsSpan(GOff + start, n);
        var prev = Prev.AsSpan(PrevOff + start, n);
        var step = StepSize.AsSpan(StepSizeOff + start, n);
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            ref T rp = ref MemoryMarshal.GetReference(p);
            ref T rg = ref MemoryMarshal.GetReference(g);
            ref T rq = ref MemoryMarshal.GetReference(prev);
            ref T rs = ref MemoryMarshal.GetReference(step);
            var zero = Vector<T>.Zero;
            var one = Vector<T>.One;
            var etaPlus = new Vector<T>(EtaPlus);
            var etaMinus = new Vector<T>(EtaMinus);
            var min = new Vector<T>(StepMin);
            var max = new Vector<T>(StepMax);
            for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
            {
                var grad = Vector.LoadUnsafe(ref rg, (nuint)i);
                if (Maximize) grad = -grad;
                var product = grad * Vector.LoadUnsafe(ref rq, (nuint)i);
                var down = Vector.LessThan(product, zero);
                var eta = Vector.ConditionalSelect(Vector.GreaterThan(product, zero), etaPlus, Vector.ConditionalSelect(down, etaMinus, one));
                var size = Vector.Min(Vector.Max(Vector.LoadUnsafe(ref rs, (nuint)i) * eta, min), max);
                size.StoreUnsafe(ref rs, (nuint)i);
                grad = Vector.ConditionalSelect(down, zero, grad);
                var sign = Vector.ConditionalSelect(Vector.GreaterThan(grad, zero), one, Vector.ConditionalSelect(Vector.LessThan(grad, zero), -one, zero));
                (Vector.LoadUnsafe(ref rp, (nuint)i) + -sign * size).StoreUnsafe(ref rp, (nuint)i);
                grad.StoreUnsafe(ref rq, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T grad = Maximize ? -g[i] : g[i];
            T product = grad * prev[i];
            T eta = product > T.Zero ? EtaPlus : product < T.Zero ? EtaMinus : T.One;
            T size = T.Min(T.Max(step[i] * eta, StepMin), StepMax);
            step[i] = size;
            if (product < T.Zero) grad = T.Zero;
            T sign = grad > T.Zero ? T.One : grad < T.Zero ? -T.One : T.Zero;
            p[i] += -sign * size;
            prev[i] = grad;
        }
    }
}
