using System.Numerics;
using System.Numerics.Tensors;

namespace Descent.Kernels;

/// <summary>Softmax and log-softmax over the middle axis of an [outer, size, inner] row-major block.</summary>
internal static class Softmax
{
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int size, int inner, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (size == 0) return;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) Row(x.Slice(o * size, size), y.Slice(o * size, size), log);
            return;
        }
        // Strided case: gather each column into a buffer, reduce it as a row, scatter back.
        var xs = new T[size];
        var ys = new T[size];
        for (int o = 0; o < outer; o++)
        {
            int baseIndex = o * size * inner;
            for (int j = 0; j < inner; j++)
            {
                for (int i = 0; i < size; i++) xs[i] = x[baseIndex + i * inner + j];
                Row(xs, ys, log);
                for (int i = 0; i < size; i++) y[baseIndex + i * inner + j] = ys[i];
            }
        }
    }

    private static void Row<T>(ReadOnlySpan<T> x, Span<T> y, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        if (log)
        {
            // y holds x − max; keep it and subtract log Σ exp(x − max).
            T sum = T.Zero;
            foreach (var v in y) sum += T.Exp(v);
            TensorPrimitives.Subtract(y, T.Log(sum), y);
        }
        else
        {
            TensorPrimitives.Exp(y, y);
            T sum = TensorPrimitives.Sum<T>(y);
            TensorPrimitives.Divide(y, sum, y);
        }
    }

    /// <summary>
    /// The input gradient from the output y and its gradient g, per row: softmax y ⊙ (g − Σ g ⊙ y), or for log-softmax
    /// g − exp(y) · Σ g.
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> dx, int outer, int size, int inner, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (size == 0) return;
        for (int o = 0; o < outer; o++)
        {
            int baseIndex = o * size * inner;
            for (int j = 0; j < inner; j++)
            {
                T sum = T.Zero;
                for (int i = 0, at = baseIndex + j; i < size; i++, at += inner) sum += log ? g[at] : g[at] * y[at];
                for (int i = 0, at = baseIndex + j; i < size; i++, at += inner)
                    dx[at] = log ? g[at] - T.Exp(y[at]) * sum : y[at] * (g[at] - sum);
            }
        }
    }
}
