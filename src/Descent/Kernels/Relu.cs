using System.Numerics;
using System.Numerics.Tensors;

namespace Descent.Kernels;

/// <summary>max(x, 0) elementwise (NaN stays NaN), one TensorPrimitives call.</summary>
internal readonly struct ReluOp : IUnaryOp
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, T.Zero, d);
}

/// <summary>
/// ReLU's value and its gradient (PyTorch's threshold_backward: g where x &gt; 0, else 0) over storage arrays, large ones
/// split over threads. Both are elementwise, so any split gives the same result.
/// </summary>
internal static class Relu
{
    /// <summary>d[i] = max(x[xOffset + i], 0) for i &lt; n, split over <see cref="Parallelism.MaxThreads"/> threads.</summary>
    public static void Forward<T>(T[] x, int xOffset, T[] d, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int threads = Parallelism.MaxThreads;
        Parallelism.For(threads, threads, part =>
        {
            int start = (int)((long)part * n / threads), end = (int)((long)(part + 1) * n / threads);
            ReluOp.Apply<T>(x.AsSpan(xOffset + start, end - start), d.AsSpan(start, end - start));
        });
    }

    /// <summary>d[i] = x[i] &gt; 0 ? g[i] : 0 for i &lt; n (each array read from its offset), split over threads when large.</summary>
    public static void Backward<T>(T[] g, int gOffset, T[] x, int xOffset, T[] d, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int threads = n > 1 << 18 ? Parallelism.MaxThreads : 1;
        Parallelism.For(threads, threads, part =>
        {
            int start = (int)((long)part * n / threads), end = (int)((long)(part + 1) * n / threads);
            Select<T>(g.AsSpan(gOffset + start, end - start), x.AsSpan(xOffset + start, end - start), d.AsSpan(start, end - start));
        });
    }

    private static void Select<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= d.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var positive = Vector.GreaterThan(new Vector<T>(x[i..]), Vector<T>.Zero);
                Vector.ConditionalSelect(positive, new Vector<T>(g[i..]), Vector<T>.Zero).CopyTo(d[i..]);
            }
        }
        for (; i < d.Length; i++) d[i] = x[i] > T.Zero ? g[i] : T.Zero;
    }
}
