using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Descent.Kernels;

/// <summary>
/// Adam and AdamW in one pass, in torch.optim.Adam's order: g ← ±g (+ λθ for Adam; AdamW decays θ ← θ(1 − γλ) first);
/// m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g·g; v̂ ← max(v̂, v) (AMSGrad); θ ← θ − (γ/c₁)·m / (√v / √c₂ + ε).
/// </summary>
internal struct AdamKernel<T> : IChunkKernel where T : unmanaged, IFloatingPointIeee754<T>
{
    public T[] P, G, M, V, VMax;
    public int POff, GOff, MOff, VOff, VMaxOff;
    public T WeightDecay, DecoupledScale, Beta1, OneMinusBeta1, Beta2, OneMinusBeta2, BiasCorrection2Sqrt, Eps, NegStepSize;
    public bool Maximize, HasWeightDecay, Decoupled, AmsGrad;

    // Compiled fully optimised at once: under tiered compilation the first ~100 ms of steps ran unoptimised code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void Run(int start, int end)
    {
        int n = end - start;
        var p = P.AsSpan(POff + start, n);
        var g = G.AsSpan(GOff + start, n);
        var m = M.AsSpan(MOff + start, n);
        var v = V.AsSpan(VOff + start, n);
        var vmax = AmsGrad ? VMax.AsSpan(VMaxOff + start, n) : default;
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            ref T rp = ref MemoryMarshal.GetReference(p);
            ref T rg = ref MemoryMarshal.GetReference(g);
            ref T rm = ref MemoryMarshal.GetReference(m);
            ref T rv = ref MemoryMarshal.GetReference(v);
            ref T rx = ref MemoryMarshal.GetReference(vmax);
            var bc2 = new Vector<T>(BiasCorrection2Sqrt);
            var eps = new Vector<T>(Eps);
            for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
            {
                var theta = Vector.LoadUnsafe(ref rp, (nuint)i);
                var grad = Vector.LoadUnsafe(ref rg, (nuint)i);
                if (Maximize) grad = -grad;
                if (Decoupled) theta *= DecoupledScale;
                else if (HasWeightDecay) grad += theta * WeightDecay;
                var mt = Vector.LoadUnsafe(ref rm, (nuint)i) * Beta1 + grad * OneMinusBeta1;
                var vt = Vector.LoadUnsafe(ref rv, (nuint)i) * Beta2 + grad * OneMinusBeta2 * grad;
                mt.StoreUnsafe(ref rm, (nuint)i);
                vt.StoreUnsafe(ref rv, (nuint)i);
                if (AmsGrad)
                {
                    vt = Vector.Max(Vector.LoadUnsafe(ref rx, (nuint)i), vt);
                    vt.StoreUnsafe(ref rx, (nuint)i);
                }
                var denom = Vector.SquareRoot(vt) / bc2 + eps;
                (theta + mt * NegStepSize / denom).StoreUnsafe(ref rp, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T theta = p[i];
            T grad = Maximize ? -g[i] : g[i];
            if (Decoupled) theta *= DecoupledScale;
            else if (HasWeightDecay) grad += theta * WeightDecay;
            T mt = m[i] * Beta1 + grad * OneMinusBeta1;
            T vt = v[i] * Beta2 + grad * OneMinusBeta2 * grad;
            m[i] = mt;
            v[i] = vt;
            if (AmsGrad)
            {
                vt = T.Max(vmax[i], vt);
                vmax[i] = vt;
            }
            T denom = T.Sqrt(vt) / BiasCorrection2Sqrt + Eps;
            p[i] = theta + mt * NegStepSize / denom;
        }
    }
}
