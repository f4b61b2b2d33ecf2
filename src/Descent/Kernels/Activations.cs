using System.Numerics;
using System.Numerics.Tensors;

namespace Descent.Kernels;

/// <summary>Activation functions whose forward and backward passes are a few fused span passes each.</summary>
internal static class Activations
{
    /// <summary>√(2/π), PyTorch's kBeta = √2·(2/√π)·½.</summary>
    public const double GeluBeta = 0.7978845608028654;

    /// <summary>The cubic coefficient of GELU's tanh approximation.</summary>
    public const double GeluKappa = 0.044715;

    /// <summary>y = x·σ(x).</summary>
    public static void Silu<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Sigmoid(x, y);
        TensorPrimitives.Multiply(y, x, y);
    }

    /// <summary>dx = g·σ(x)·(1 + x·(1 − σ(x))).</summary>
    public static void SiluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Sigmoid(x, dx);
        for (int i = 0; i < dx.Length; i++)
        {
            T s = dx[i];
            dx[i] = g[i] * (s * (T.One + x[i] * (T.One - s)));
        }
    }

    /// <summary>GELU's tanh approximation y = ½x·(1 + tanh(β·(x + κx³))).</summary>
    public static void GeluTanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TanhOfInner(x, y);
        TensorPrimitives.Add(y, T.One, y);
        TensorPrimitives.Multiply(y, x, y);
        TensorPrimitives.Multiply(y, T.CreateTruncating(0.5), y);
    }

    /// <summary>With t = tanh(β·(x + κx³)): dx = g·(½(1 + t) + ½x·(1 − t²)·β·(1 + 3κx²)), as PyTorch's GeluBackward.</summary>
    public static void GeluTanhBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> g, Span<T> dx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TanhOfInner(x, dx);
        T half = T.CreateTruncating(0.5), beta = T.CreateTruncating(GeluBeta), threeKappa = T.CreateTruncating(3 * GeluKappa);
        for (int i = 0; i < dx.Length; i++)
        {
            T t = dx[i], xi = x[i];
            T left = half * (T.One + t);
            T right = half * xi * (T.One - t * t) * beta * (T.One + threeKappa * xi * xi);
            dx[i] = g[i] * (left + right);
        }
    }

    /// <summary>d = tanh(β·(x + κx³)), the inner term computed as β·x·(1 + κx²) in vector passes.</summary>
    private static void TanhOfInner<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Multiply(x, x, d);
        TensorPrimitives.Multiply(d, T.CreateTruncating(GeluKappa), d);
        TensorPrimitives.Add(d, T.One, d);
        TensorPrimitives.Multiply(d, x, d);
        TensorPrimitives.Multiply(d, T.CreateTruncating(GeluBeta), d);
        TensorPrimitives.Tanh(d, d);
    }
}
