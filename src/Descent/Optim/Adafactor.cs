using System.Numerics;
using System.Runtime.CompilerServices;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="Adafactor"/> (PyTorch's defaults).</summary>
public sealed record AdafactorOptions : OptimizerOptions
{
    /// <summary>Creates Adafactor options with the learning rate <paramref name="lr"/>: the cap on the relative step size ρ, and the weight decay's scale.</summary>
    public AdafactorOptions(double lr = 1e-2) => Lr = lr;

    /// <summary>The exponent τ ≤ 0 of the second moment's averaging weight tᵗ (1 − β₂ₜ = t^τ).</summary>
    [Hyperparameter("beta2_decay", Range = HyperparameterRange.Finite)]
    public double Beta2Decay { get; init; } = -0.8;

    /// <summary>(ε₁, ε₂): ε₁ floors the variance estimate (none: the dtype's machine epsilon), ε₂ floors the parameter's RMS in the step size.</summary>
    [Hyperparameter("eps", Range = HyperparameterRange.NonNegative, ElementNames = ["eps1", "eps2"])]
    public (double?, double) Eps { get; init; } = (null, 1e-3);

    /// <summary>The clipping threshold d ≥ 1: the update is scaled down when its RMS exceeds d.</summary>
    [Hyperparameter("d", Range = HyperparameterRange.Finite)]
    public double D { get; init; } = 1.0;

    /// <summary>The decoupled weight decay λ: θ ← θ(1 − γλ) before the update.</summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; }

    /// <summary>Maximise the objective instead of minimising it.</summary>
    [Hyperparameter("maximize")]
    public bool Maximize { get; init; }

    /// <inheritdoc/>
    protected override void ValidateTogether()
    {
        if (!(Beta2Decay <= 0)) throw new ArgumentOutOfRangeException("beta2Decay", Beta2Decay, $"beta2Decay must be <= 0, got {Require.Format(Beta2Decay)}");
        if (!(D >= 1)) throw new ArgumentOutOfRangeException("d", D, $"d must be >= 1, got {Require.Format(D)}");
    }
}

/// <summary>
/// Adafactor: Adam-like steps with a factored second moment, sublinear in memory, as <c>torch.optim.Adafactor</c>
/// (PyTorch ≥ 2.5; Shazeer &amp; Stern, 2018).
/// </summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, decay exponent τ, epsilons (ε₁, ε₂), clipping threshold d, weight decay λ,
/// for t = 1, 2, …; a tensor of two or more dimensions is factored over its last two (rows i, columns j), each leading
/// index on its own:</para>
/// <code>
/// g ← ∇f(θ)                              (−∇f(θ) when maximize)
/// w ← t^τ                                (1 − β₂ₜ)
/// ρ ← min(γ, 1/√t)
/// α ← max(ε₂, RMS(θ)) · ρ
/// θ ← θ(1 − γλ)                          (if λ ≠ 0)
/// matrix:  R ← lerp(R, mean_j g², w)      (row variances)
///          C ← lerp(C, mean_i g², w)      (column variances)
///          V ← R Cᵀ / max(mean_i R, ε₁)
/// vector:  V ← lerp(V, g², w)
/// U ← g / √max(V, ε₁²)
/// θ ← θ − α · U / max(1, RMS(U) / d)
/// </code>
/// <para><b>Principle:</b> Adam's per-parameter scaling, with the second moment of an m×n matrix kept as its row and
/// column averages (m + n numbers instead of m·n) and rebuilt as their outer product; no first moment; the step is
/// relative to the parameter's own scale (α ∝ RMS(θ)) and clipped when the update's RMS exceeds d.</para>
/// <para><b>Strengths:</b> almost no optimizer memory for large matrices (embeddings, transformer weights); no
/// learning rate to tune in practice (the relative step ρ = min(γ, 1/√t) decays by itself); update clipping keeps
/// early steps stable without a warm-up.</para>
/// <para><b>Weaknesses:</b> without momentum it is noisier than Adam on small problems; the factored moment is an
/// approximation (exact only for rank-one second moments); the relative step moves parameters near zero by at least
/// ε₂·ρ, so small-scale problems need a larger ε₂ or γ.</para>
/// <para><b>Suits:</b> large models where Adam's two full-size buffers do not fit — transformers, large embeddings,
/// sequence models — and long runs where a decaying relative step is wanted.</para>
/// </remarks>
public sealed class Adafactor : Optimizer<AdafactorOptions>
{
    /// <summary>Creates Adafactor over <paramref name="parameters"/> with PyTorch's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ: the cap on the relative step size and the weight decay's scale.</param>
    /// <param name="beta2Decay">Decay exponent τ ≤ 0 of the second moment's weight.</param>
    /// <param name="eps">(ε₁, ε₂); default (none, 1e-3), ε₁ none being the dtype's machine epsilon.</param>
    /// <param name="d">Clipping threshold d ≥ 1.</param>
    /// <param name="weightDecay">Decoupled weight decay λ.</param>
    /// <param name="maximize">Maximise the objective instead.</param>
    public Adafactor(IEnumerable<Tensor> parameters, double lr = 1e-2, double beta2Decay = -0.8, (double?, double)? eps = null, double d = 1.0,
        double weightDecay = 0, bool maximize = false)
        : base(parameters, new AdafactorOptions(lr) { Beta2Decay = beta2Decay, Eps = eps ?? (null, 1e-3), D = d, WeightDecay = weightDecay, Maximize = maximize })
    {
    }

    /// <summary>Creates Adafactor over parameter groups with the given defaults (each group may change them).</summary>
    public Adafactor(IEnumerable<ParamGroupSpec<AdafactorOptions>> groups, AdafactorOptions defaults) : base(groups, defaults)
    {
    }

    /// <summary>True when Adafactor keeps the factored row and column variances for a tensor of this shape (two or more dimensions).</summary>
    internal static bool IsFactored(int[] shape) => shape.Length > 1;

    /// <summary>PyTorch's <c>row_var</c> (the last dimension reduced to 1) and <c>col_var</c> (the one before it reduced to 1).</summary>
    private protected override int[] StateShape(string name, Tensor parameter) => name switch
    {
        "row_var" when IsFactored(parameter.ShapeArray) => Reduced(parameter.ShapeArray, parameter.Rank - 1),
        "col_var" when IsFactored(parameter.ShapeArray) => Reduced(parameter.ShapeArray, parameter.Rank - 2),
        _ => parameter.ShapeArray,
    };

    private static int[] Reduced(int[] shape, int dim)
    {
        var reduced = (int[])shape.Clone();
        reduced[dim] = 1;
        return reduced;
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, AdafactorOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        Tensor? rowVar = null, colVar = null, variance = null;
        if (IsFactored(parameter.ShapeArray))
        {
            rowVar = Buffer(state, "row_var", parameter);
            colVar = Buffer(state, "col_var", parameter);
        }
        else variance = Buffer(state, "variance", parameter);
        long t = ++state.Step;
        if (parameter.NumEl == 0) return; // nothing to scale (PyTorch divides by zero here)
        if (parameter.DType == DType.Float32) AdafactorStep<float>.Run(parameter, grad, rowVar, colVar, variance, options, t);
        else AdafactorStep<double>.Run(parameter, grad, rowVar, colVar, variance, options, t);
    }

    /// <summary>The state tensor <paramref name="name"/>, created as zeros of its <see cref="StateShape"/> on first use.</summary>
    private Tensor Buffer(ParamState state, string name, Tensor parameter)
    {
        if (!state.Tensors.TryGetValue(name, out var buffer)) state.Tensors[name] = buffer = Tensor.Zeros(StateShape(name, parameter), parameter.DType);
        return buffer;
    }
}

/// <summary>
/// One Adafactor step on spans, in torch.optim.Adafactor's order of operations (its single-tensor code), with no
/// temporaries: the row and column means go straight into their lerps, and the update is computed twice (once for its
/// norm, once to apply it) rather than stored.
/// </summary>
internal static class AdafactorStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimised from the first step: no tier-up inside a run of steps
    public static void Run(Tensor parameter, Tensor grad, Tensor? rowVar, Tensor? colVar, Tensor? variance, AdafactorOptions o, long t)
    {
        var theta = parameter.AsSpan<T>();
        var g = grad.AsSpan<T>();
        double step = t;
        T weight = T.CreateTruncating(Math.Pow(step, o.Beta2Decay)); // 1 − β₂ₜ
        double rho = Math.Min(o.Lr, 1 / Math.Sqrt(step));
        double sqrtN = Math.Sqrt(theta.Length);
        double alpha = Math.Max(o.Eps.Item2, double.CreateTruncating(Norm(theta)) / sqrtN) * rho;
        if (o.WeightDecay != 0)
        {
            T decay = T.CreateTruncating(1 - o.Lr * o.WeightDecay);
            for (int i = 0; i < theta.Length; i++) theta[i] *= decay;
        }
        double eps1 = o.Eps.Item1 ?? MachineEpsilon;
        T floor = T.CreateTruncating(eps1 * eps1); // ε₁ squared, as the square root comes after
        var v = variance is null ? new Estimate(rowVar!, colVar!, T.CreateTruncating(eps1)) : new Estimate(variance);
        v.Update(g, weight, o.Maximize);

        // The update's RMS (PyTorch: update.norm() / (√n · d)) decides the clipping before θ moves.
        T sumOfSquares = T.Zero;
        v.ForEachUpdate(g, floor, o.Maximize, new SumOfSquares(), ref sumOfSquares);
        double denominator = Math.Max(1.0, double.CreateTruncating(T.Sqrt(sumOfSquares)) / (sqrtN * o.D));
        var apply = new AddScaled(theta, T.CreateTruncating(-alpha / denominator));
        T unused = T.Zero;
        v.ForEachUpdate(g, floor, o.Maximize, apply, ref unused);
    }

    /// <summary>torch.finfo(dtype).eps: 2⁻²³ for float32, 2⁻⁵² for float64.</summary>
    private static double MachineEpsilon => typeof(T) == typeof(float) ? Math.ScaleB(1, -23) : Math.ScaleB(1, -52);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T Norm(ReadOnlySpan<T> x)
    {
        T sum = T.Zero;
        foreach (var v in x) sum += v * v;
        return T.Sqrt(sum);
    }

    private static T Gradient(ReadOnlySpan<T> g, int k, bool maximize) => maximize ? -g[k] : g[k];

    /// <summary>What is done with each element's update U[k] (a struct, so that the loop is not a delegate call).</summary>
    private interface IUpdateSink
    {
        void Take(int k, T u, ref T accumulator);
    }

    private readonly struct SumOfSquares : IUpdateSink
    {
        public void Take(int k, T u, ref T accumulator) => accumulator += u * u;
    }

    private readonly ref struct AddScaled(Span<T> theta, T scale) : IUpdateSink
    {
        private readonly Span<T> _theta = theta;

        public void Take(int k, T u, ref T accumulator) => _theta[k] += scale * u;
    }

    /// <summary>
    /// The second-moment estimate V: the full variance of a vector, or the row and column variances of a tensor
    /// [..., rows, cols] (each leading index a matrix of its own), from which V = R Cᵀ / max(mean R, ε₁) is rebuilt.
    /// </summary>
    private readonly ref struct Estimate
    {
        private readonly Span<T> _variance, _rowVar, _colVar;
        private readonly int _rows, _cols;
        private readonly T _eps1;
        private readonly bool _factored;

        public Estimate(Tensor variance)
        {
            _variance = variance.AsSpan<T>();
            _eps1 = T.Zero;
        }

        public Estimate(Tensor rowVar, Tensor colVar, T eps1)
        {
            _rowVar = rowVar.AsSpan<T>();
            _colVar = colVar.AsSpan<T>();
            (_rows, _cols, _eps1, _factored) = (rowVar.Size(-2), colVar.Size(-1), eps1, true);
        }

        /// <summary>
        /// V ← lerp(V, g², w); or R ← lerp(R, mean_j g², w) and C ← lerp(C, mean_i g², w), each mean as PyTorch takes
        /// it: vector_norm(g)² / n, where the root and the square both round.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Update(ReadOnlySpan<T> g, T weight, bool maximize)
        {
            if (!_factored)
            {
                for (int k = 0; k < _variance.Length; k++)
                {
                    T gk = Gradient(g, k, maximize);
                    _variance[k] = TorchLerp.Of(_variance[k], gk * gk, weight);
                }
                return;
            }
            T rows = T.CreateTruncating(_rows), cols = T.CreateTruncating(_cols);
            for (int b = 0, start = 0; b < _rowVar.Length / _rows; b++, start += _rows * _cols)
            {
                for (int i = 0; i < _rows; i++)
                {
                    T norm = T.Sqrt(SumOfSquaresOf(g, start + i * _cols, 1, _cols, maximize));
                    ref T r = ref _rowVar[b * _rows + i];
                    r = TorchLerp.Of(r, norm * norm / cols, weight);
                }
                for (int j = 0; j < _cols; j++)
                {
                    T norm = T.Sqrt(SumOfSquaresOf(g, start + j, _cols, _rows, maximize));
                    ref T c = ref _colVar[b * _cols + j];
                    c = TorchLerp.Of(c, norm * norm / rows, weight);
                }
            }
        }

        private static T SumOfSquaresOf(ReadOnlySpan<T> g, int first, int stride, int count, bool maximize)
        {
            T sum = T.Zero;
            for (int n = 0, k = first; n < count; n++, k += stride)
            {
                T x = Gradient(g, k, maximize);
                sum += x * x;
            }
            return sum;
        }

        /// <summary>Hands U[k] = g[k] / √max(V[k], ε₁²) of every element k, in order, to <paramref name="sink"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void ForEachUpdate<TSink>(ReadOnlySpan<T> g, T floor, bool maximize, TSink sink, ref T accumulator) where TSink : IUpdateSink, allows ref struct
        {
            if (!_factored)
            {
                for (int k = 0; k < g.Length; k++) sink.Take(k, Scaled(_variance[k], floor, Gradient(g, k, maximize)), ref accumulator);
                return;
            }
            for (int b = 0, k = 0; b < _rowVar.Length / _rows; b++)
            {
                var r = _rowVar.Slice(b * _rows, _rows);
                var c = _colVar.Slice(b * _cols, _cols);
                T sum = T.Zero;
                foreach (var x in r) sum += x;
                T rowMean = T.Max(sum / T.CreateTruncating(_rows), _eps1); // row_var.mean(dim=-2).clamp_(min=ε₁)
                for (int i = 0; i < _rows; i++)
                    for (int j = 0; j < _cols; j++, k++)
                        sink.Take(k, Scaled(r[i] * c[j] / rowMean, floor, Gradient(g, k, maximize)), ref accumulator);
            }
        }

        /// <summary>rsqrt(max(v, ε₁²)) · g, as PyTorch's clamp_, rsqrt_ and mul_.</summary>
        private static T Scaled(T v, T floor, T g) => T.One / T.Sqrt(T.Max(v, floor)) * g;
    }
}
