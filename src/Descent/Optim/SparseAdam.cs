using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="SparseAdam"/> (PyTorch's defaults; no weight decay, no AMSGrad).</summary>
public sealed record SparseAdamOptions : OptimizerOptions
{
    /// <summary>Creates SparseAdam options with the learning rate <paramref name="lr"/>.</summary>
    public SparseAdamOptions(double lr = 1e-3) => Lr = lr;

    /// <summary>The decay rates (β₁, β₂) of the running averages of the gradient and of its square; β₁ is what schedules cycle as momentum.</summary>
    [Hyperparameter("betas", Range = HyperparameterRange.UnitInterval, Cycled = true, ElementNames = ["beta1", "beta2"])]
    public (double, double) Betas { get; init; } = (0.9, 0.999);

    /// <summary>The term ε added to the denominator; must be &gt; 0 (as PyTorch requires).</summary>
    [Hyperparameter("eps", Range = HyperparameterRange.NonNegative)]
    public double Eps { get; init; } = 1e-8;

    /// <summary>Maximise the objective instead of minimising it.</summary>
    [Hyperparameter("maximize")]
    public bool Maximize { get; init; }

    /// <inheritdoc/>
    protected override void ValidateTogether()
    {
        // A touched row whose gradient is zero from the first step on has v = 0: with ε = 0 its step would be 0/0.
        if (!(Eps > 0)) throw new ArgumentOutOfRangeException("eps", Eps, $"eps must be > 0 for SparseAdam, got {Require.Format(Eps)}");
    }
}

/// <summary>
/// SparseAdam: the lazy Adam of <c>torch.optim.SparseAdam</c>, for row-sparse gradients such as those of an
/// <c>Embedding(sparse: true)</c>: only the rows a batch touched have their moments and values updated.
/// </summary>
/// <remarks>
/// <para>Update rule, with learning rate γ, betas (β₁, β₂), for the rows R the gradient touches and t = 1, 2, … the
/// parameter's step count (every step with a gradient counts, even one touching no row):</para>
/// <code>
/// g ← ∇f(θ) on the rows R     (−∇f(θ) when maximize)
/// m_R ← m_R + (1 − β₁)(g − m_R)
/// v_R ← v_R + (1 − β₂)(g² − v_R)
/// θ_R ← θ_R − (γ √(1 − β₂ᵗ) / (1 − β₁ᵗ)) · m_R / (√v_R + ε)
/// </code>
/// <para>Rows outside R keep their values and their moments, untouched: a step costs the rows touched, not the table.
/// A dense gradient counts as touching every row (PyTorch refuses one; accepting it lets SparseAdam run on any model and
/// in the lab): SparseAdam is then Adam without weight decay, up to rounding (m and v are written in the incremental
/// form above) and to where ε goes: added to √v here, to √v/√(1 − β₂ᵗ) in Adam, so that ε here is Adam's ε/√(1 − β₂ᵗ).</para>
/// <para><b>Principle:</b> Adam made lazy: a row's moments decay only on the steps that see it, so a rare word's
/// embedding keeps the momentum it had instead of having it decayed towards zero by every batch that skipped it, and
/// the work per step is proportional to the rows in the batch.</para>
/// <para><b>Strengths:</b> a step over a huge embedding table costs the batch's rows, not the table; rare rows keep
/// useful moments; Adam's robustness and bounded step size on the rows it updates.</para>
/// <para><b>Weaknesses:</b> the bias corrections use the parameter's step count, not the row's, so a row seen rarely
/// gets steps sized for a well-trained one; no weight decay; two buffers of the table's size; only as sparse as the
/// gradient it is given.</para>
/// <para><b>Suits:</b> large embedding tables (words, users, items) trained with sparse embeddings; recommendation and
/// language models whose batches touch a small part of the vocabulary.</para>
/// </remarks>
public sealed class SparseAdam : Optimizer<SparseAdamOptions>
{
    /// <summary>Creates SparseAdam over <paramref name="parameters"/> with PyTorch's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Learning rate γ.</param>
    /// <param name="betas">Decay rates (β₁, β₂); default (0.9, 0.999).</param>
    /// <param name="eps">Denominator term ε (&gt; 0).</param>
    /// <param name="maximize">Maximise the objective instead.</param>
    public SparseAdam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, bool maximize = false)
        : base(parameters, new SparseAdamOptions(lr) { Betas = betas ?? (0.9, 0.999), Eps = eps, Maximize = maximize })
    {
    }

    /// <summary>Creates SparseAdam over parameter groups with the given defaults (each group may change them).</summary>
    public SparseAdam(IEnumerable<ParamGroupSpec<SparseAdamOptions>> groups, SparseAdamOptions defaults) : base(groups, defaults)
    {
    }

    private protected override bool AcceptsSparseGradients => true;

    /// <summary>A dense gradient: every row touched.</summary>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, SparseAdamOptions options)
    {
        var (m, v, step) = Begin(parameter, state, options);
        FusedUpdate.Run(parameter, grad, options.Maximize, new SparseAdamRule<float>(step), new SparseAdamRule<double>(step), m, v);
    }

    private protected override void UpdateSparse(Tensor parameter, RowSparseGrad grad, ParamState state, SparseAdamOptions options)
    {
        var (m, v, step) = Begin(parameter, state, options);
        if (grad.RowCount == 0) return; // as PyTorch: nothing to update, but the step counted
        FusedUpdate.RunRows(parameter, grad, options.Maximize, new SparseAdamRule<float>(step), new SparseAdamRule<double>(step), m, v);
    }

    /// <summary>The buffers (PyTorch's names) and the constants of this step, whose count it advances.</summary>
    private static (Tensor M, Tensor V, SparseAdamStep Step) Begin(Tensor parameter, ParamState state, SparseAdamOptions o)
    {
        var m = state.Buffer("exp_avg", parameter);
        var v = state.Buffer("exp_avg_sq", parameter);
        return (m, v, new SparseAdamStep(o, ++state.Step));
    }
}

/// <summary>SparseAdam's per-step constants, in double precision as PyTorch computes them in Python.</summary>
internal readonly record struct SparseAdamStep(SparseAdamOptions Options, double StepSize)
{
    public SparseAdamStep(SparseAdamOptions o, long t)
        : this(o, o.Lr * Math.Sqrt(1 - Math.Pow(o.Betas.Item2, t)) / (1 - Math.Pow(o.Betas.Item1, t)))
    {
    }
}

/// <summary>
/// SparseAdam's update of one element of a touched row, in torch.optim's sparse_adam order: the moments move by
/// (1 − β)(new − old), and the step is −stepSize · (m / (√v + ε)). State: s0 = exp_avg, s1 = exp_avg_sq.
/// </summary>
internal readonly struct SparseAdamRule<T>(SparseAdamStep c) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _oneMinusBeta1 = T.CreateTruncating(1 - c.Options.Betas.Item1), _oneMinusBeta2 = T.CreateTruncating(1 - c.Options.Betas.Item2);
    private readonly T _eps = T.CreateTruncating(c.Options.Eps), _negStepSize = T.CreateTruncating(-c.StepSize);

    // PyTorch's numerator is (update + old m) and its denominator √(update + old v) + ε: the same sums as the new m and
    // v (addition commutes exactly), so the new buffers are used.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T m, ref T v, ref T unused)
    {
        m += (g - m) * _oneMinusBeta1;
        v += (g * g - v) * _oneMinusBeta2;
        return theta + _negStepSize * (m / (T.Sqrt(v) + _eps));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> m, ref Vector<T> v, ref Vector<T> unused)
    {
        m += (g - m) * _oneMinusBeta1;
        v += (g * g - v) * _oneMinusBeta2;
        return theta + _negStepSize * (m / (Vector.SquareRoot(v) + new Vector<T>(_eps)));
    }
}
