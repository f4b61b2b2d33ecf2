using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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

    /// <summary>a·b + c rounded once, as PyTorch's <c>add(x, alpha=…)</c> computes it (a fused multiply-add).</summary>
    private static Vector<T> Fma(Vector<T> a, Vector<T> b, Vector<T> c)
    {
        if (typeof(T) == typeof(float))
            return Vector.FusedMultiplyAdd(Vector.As<T, float>(a), Vector.As<T, float>(b), Vector.As<T, float>(c)).As<float, T>();
        return Vector.FusedMultiplyAdd(Vector.As<T, double>(a), Vector.As<T, double>(b), Vector.As<T, double>(c)).As<double, T>();
    }
}
