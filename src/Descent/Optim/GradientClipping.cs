using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;

namespace Descent.Optim;

/// <summary>
/// Gradient clipping, as <c>torch.nn.utils.clip_grad_norm_</c> and <c>clip_grad_value_</c>: called between
/// <c>Backward()</c> and <c>Step()</c> to keep exploding gradients from throwing the parameters far away.
/// </summary>
public static class GradientClipping
{
    // Partial sums over fixed chunks, added in order: the norm does not depend on how the work is split.
    private const int Chunk = 4096;

    /// <summary>
    /// Scales every gradient by min(1, maxNorm / (‖g‖ + 1e-6)), where ‖g‖ is the <paramref name="normType"/>-norm of all
    /// gradients together (as if concatenated); parameters without a gradient are ignored, a row-sparse gradient
    /// (<see cref="Tensor.SparseGrad"/>) counts as its dense form. Returns that total norm.
    /// </summary>
    /// <param name="parameters">The parameters whose <see cref="Tensor.Grad"/> is clipped in place.</param>
    /// <param name="maxNorm">The largest allowed total norm.</param>
    /// <param name="normType">p of the p-norm: 2 by default, <see cref="double.PositiveInfinity"/> for the largest magnitude.</param>
    /// <param name="errorIfNonfinite">Throw when the total norm is NaN or infinite instead of scaling by it.</param>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Require.NonNegative(maxNorm, nameof(maxNorm));
        if (!(normType > 0))
            throw new ArgumentOutOfRangeException(nameof(normType), normType, $"normType must be > 0 (or infinity), got {Format(normType)}");
        var grads = Gradients(parameters);
        if (grads.Count == 0) return 0;
        double total;
        if (double.IsPositiveInfinity(normType))
        {
            total = 0;
            foreach (var g in grads) total = Math.Max(total, g.DType == DType.Float32 ? MaxAbs<float>(g) : MaxAbs<double>(g));
        }
        else
        {
            double sum = 0;
            foreach (var g in grads)
            {
                double norm = g.DType == DType.Float32 ? Norm<float>(g, normType) : Norm<double>(g, normType);
                sum += Power(norm, normType);
            }
            total = Root(sum, normType);
        }
        if (errorIfNonfinite && !double.IsFinite(total))
            throw new InvalidOperationException($"the total norm of order {Format(normType)} of the gradients is {Format(total)}, so they cannot be clipped (errorIfNonfinite is set)");
        double coef = Math.Min(maxNorm / (total + 1e-6), 1.0);
        if (coef < 1.0 || double.IsNaN(coef))
        {
            foreach (var g in grads)
            {
                if (g.DType == DType.Float32) TensorPrimitives.Multiply(g.AsSpan<float>(), (float)coef, g.AsSpan<float>());
                else TensorPrimitives.Multiply(g.AsSpan<double>(), coef, g.AsSpan<double>());
            }
        }
        return total;
    }

    /// <summary>Clamps every gradient element (dense or row-sparse) into [−<paramref name="clipValue"/>, <paramref name="clipValue"/>].</summary>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Require.NonNegative(clipValue, nameof(clipValue));
        foreach (var g in Gradients(parameters))
        {
            if (g.DType == DType.Float32) Clamp(g.AsSpan<float>(), (float)clipValue);
            else Clamp(g.AsSpan<double>(), clipValue);
        }
    }

    private static List<Tensor> Gradients(IEnumerable<Tensor> parameters)
    {
        var grads = new List<Tensor>();
        foreach (var p in parameters)
        {
            ArgumentNullException.ThrowIfNull(p, nameof(parameters));
            if (p.SparseGrad is { } sparse)
            {
                // Coalesced (each row once), so its values hold every non-zero of the dense gradient exactly once: their
                // norm is the dense gradient's, and scaling or clamping them is scaling or clamping it.
                if (!sparse.Values.IsLeaf) p.SparseGrad = sparse = new RowSparseGrad(sparse.Indices, sparse.Values.Detach().Contiguous().Detach(), sparse.Shape);
                grads.Add(sparse.Values);
                continue;
            }
            if (p.Grad is not Tensor g) continue;
            if (!g.IsContiguous || !g.IsLeaf) p.Grad = g = g.Detach().Contiguous().Detach();
            grads.Add(g);
        }
        return grads;
    }

    private static void Clamp<T>(Span<T> s, T c) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Clamp(s, -c, c, s);

    private static double MaxAbs<T>(Tensor g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double m = 0;
        foreach (var v in g.AsSpan<T>())
        {
            double a = double.CreateTruncating(T.Abs(v));
            if (a > m || double.IsNaN(a)) m = a;
            if (double.IsNaN(m)) break;
        }
        return m;
    }

    /// <summary>
    /// The 2-norm of every dense gradient of every group together, summed as <see cref="ClipGradNorm"/> sums it (each
    /// tensor's norm in fixed chunks, their squares added in order), so it has its bits; allocates nothing. For the
    /// optimizers that clip inside their step (LAMB's global clip, a chain's <c>ClipByGlobalNorm</c>), whose base has
    /// already refused row-sparse and mis-shaped gradients.
    /// </summary>
    internal static double GlobalNorm(IReadOnlyList<ParamGroup> groups)
    {
        double sum = 0;
        for (int gi = 0; gi < groups.Count; gi++)
        {
            var parameters = groups[gi].Parameters;
            for (int i = 0; i < parameters.Count; i++) // not foreach: its enumerator would be allocated every step
            {
                if (parameters[i].Grad is not { } grad) continue;
                var g = grad.IsContiguous ? grad : grad.Contiguous();
                double norm = g.DType == DType.Float32 ? Norm<float>(g, 2) : Norm<double>(g, 2);
                sum += norm * norm;
            }
        }
        return Math.Sqrt(sum);
    }

    /// <summary>The p-norm of one contiguous tensor, summed in fixed chunks (also the layer norms of Lamb's and Lars' trust ratios).</summary>
    internal static double Norm<T>(Tensor g, double p) where T : unmanaged, IFloatingPointIeee754<T> => Norm<T>(g.AsSpan<T>(), [], p);

    /// <summary>
    /// The 2-norm of a contiguous gradient <paramref name="g"/>, or of |w|·g (each product rounded in the dtype) when
    /// <paramref name="w"/> is given, summed as <see cref="ClipGradNorm"/> sums: the per-tensor norms of SAM's global norm.
    /// </summary>
    internal static double Norm2(Tensor g, Tensor? w) => g.DType == DType.Float32
        ? Norm<float>(g.AsSpan<float>(), w is null ? [] : w.AsSpan<float>(), 2)
        : Norm<double>(g.AsSpan<double>(), w is null ? [] : w.AsSpan<double>(), 2);

    /// <summary>The p-norm of <paramref name="s"/> (of |w|·s when <paramref name="w"/> is not empty), summed in fixed chunks.</summary>
    private static double Norm<T>(ReadOnlySpan<T> s, ReadOnlySpan<T> w, double p) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        for (int start = 0; start < s.Length; start += Chunk)
        {
            int end = Math.Min(start + Chunk, s.Length);
            double partial = 0;
            if (w.IsEmpty)
                for (int k = start; k < end; k++) partial += Power(Math.Abs(double.CreateTruncating(s[k])), p);
            else
                for (int k = start; k < end; k++) partial += Power(Math.Abs(double.CreateTruncating(T.Abs(w[k]) * s[k])), p);
            total += partial;
        }
        return Root(total, p);
    }

    private static double Power(double x, double p) => p == 2 ? x * x : p == 1 ? x : Math.Pow(x, p);

    private static double Root(double x, double p) => p == 2 ? Math.Sqrt(x) : p == 1 ? x : Math.Pow(x, 1 / p);

    private static string Format(double v) => v.ToString(CultureInfo.InvariantCulture);
}
