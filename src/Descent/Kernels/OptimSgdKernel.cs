using System.Numerics;
using System.Runtime.InteropServices;

namespace Descent.Kernels;

/// <summary>
/// SGD with momentum, dampening, Nesterov, weight decay and maximize in one pass, in torch.optim.SGD's order:
/// g ← ±g (+ λθ); b ← μb + (1−τ)g (b ← g on the first step); g ← g + μb (Nesterov) or b; θ ← θ − γg.
/// </summary>
internal struct SgdKernel<T> : IChunkKernel where T : unmanaged, IFloatingPointIeee754<T>
{
    public T[] P, G, B;
    public int POff, GOff, BOff;
    public T NegLr, WeightDecay, Momentum, OneMinusDampening;
    public bool Maximize, HasWeightDecay, HasMomentum, FirstStep, Nesterov;

    public readonly void Run(int start, int end)
    {
        int n = end - start;
        var p = P.AsSpan(POff + start, n);
        var g = G.AsSpan(GOff + start, n);
        var b = HasMomentum ? B.AsSpan(BOff + start, n) : default;
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            ref T rp = ref MemoryMarshal.GetReference(p);
            ref T rg = ref MemoryMarshal.GetReference(g);
            ref T rb = ref MemoryMarshal.GetReference(b);
            for (; i <= n - Vector<T>.Count; i += Vector<T>.Count)
            {
                var vp = Vector.LoadUnsafe(ref rp, (nuint)i);
                var d = Vector.LoadUnsafe(ref rg, (nuint)i);
                if (Maximize) d = -d;
                if (HasWeightDecay) d += vp * WeightDecay;
                if (HasMomentum)
                {
                    var buf = FirstStep ? d : Vector.LoadUnsafe(ref rb, (nuint)i) * Momentum + d * OneMinusDampening;
                    buf.StoreUnsafe(ref rb, (nuint)i);
                    d = Nesterov ? d + buf * Momentum : buf;
                }
                (vp + d * NegLr).StoreUnsafe(ref rp, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T d = Maximize ? -g[i] : g[i];
            if (HasWeightDecay) d += p[i] * WeightDecay;
            if (HasMomentum)
            {
                T buf = FirstStep ? d : b[i] * Momentum + d * OneMinusDampening;
                b[i] = buf;
                d = Nesterov ? d + buf * Momentum : buf;
            }
            p[i] += d * NegLr;
        }
    }
}
