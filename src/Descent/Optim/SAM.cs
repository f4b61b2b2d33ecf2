using System.Numerics;

namespace Descent.Optim;

/// <summary>The hyperparameters <see cref="SAM"/> adds to its base optimizer's (the reference's defaults).</summary>
public sealed record SAMOptions : OptimizerOptions
{
    /// <summary>Creates SAM options at the learning rate <paramref name="lr"/>, which is the base optimizer's.</summary>
    public SAMOptions(double lr = 0.01) => Lr = lr;

    /// <summary>The radius ρ of the neighbourhood whose worst point the gradient is taken at.</summary>
    [Hyperparameter("sam_rho", Range = HyperparameterRange.NonNegative)]
    public double Rho { get; init; } = 0.05;

    /// <summary>Adaptive SAM (ASAM): the neighbourhood is scaled by each weight's magnitude, e = ρ·w²·g / ‖|w|·g‖.</summary>
    [Hyperparameter("sam_adaptive")]
    public bool Adaptive { get; init; }

    /// <summary>The registry's optimizer that the registry builds as the base one, with its preset at this lr (none: the base optimizer was given).</summary>
    [Hyperparameter("sam_base", Range = HyperparameterRange.OptimizerName, CommandLineName = "base")]
    public string? Base { get; init; } = "momentum";
}

/// <summary>
/// SAM, sharpness-aware minimisation: each step takes its gradient at the worst point of a ρ-ball around the weights
/// and gives it to a base optimizer (Foret, Kleiner, Mobahi and Neyshabur, 2021, "Sharpness-Aware Minimization for
/// Efficiently Improving Generalization"; adaptive: Kwon et al., 2021, "ASAM").
/// </summary>
/// <remarks>
/// <para>Each step evaluates the model twice through the closure; ‖·‖ is the 2-norm over every gradient of every group
/// together:</para>
/// <code>
/// g ← ∇f(w)                              (first evaluation)
/// e ← ρ·g / (‖g‖ + 1e-12)                (adaptive: e ← ρ·w²·g / (‖|w|·g‖ + 1e-12))
/// w ← w + e
/// g ← ∇f(w)                              (second evaluation, at the climbed point)
/// w ← w − e                              (the saved w, exactly)
/// w ← base optimizer's step with g
/// </code>
/// <para>As davda54/sam (<c>sam.py</c>, commit 3c3afdb): ρ and the adaptive flag per group, the norm over all groups
/// of the per-tensor norms, e = (w² if adaptive else 1)·g·scale in the parameters' dtype, and the weights restored from a
/// copy. The norm (summed as <see cref="GradientClipping.ClipGradNorm"/> sums, so it does not depend on the thread
/// count) and ρ/(‖g‖ + 1e-12) are computed in double, then the scale is rounded to the parameters' dtype. The step
/// returns the first evaluation's loss. The base optimizer's groups, state and learning rate are SAM's (schedulers,
/// ZeroGrad, the state dict and checkpoints see one optimizer); with ρ = 0 SAM is its base optimizer exactly, at twice
/// the evaluations. Row-sparse gradients are refused.</para>
/// <example><code>
/// var optimizer = new SAM(new SGD(model.Parameters(), lr: 0.1, momentum: 0.9), rho: 0.05);
/// optimizer.Step(() => { optimizer.ZeroGrad(); var loss = F.CrossEntropy(model.Forward(x), y); loss.Backward(); return loss; });
/// </code></example>
/// <para><b>Principle:</b> minimise the worst loss within a distance ρ of the weights rather than the loss at them: the
/// gradient at the point one normalised gradient step uphill approximates that worst case's gradient, so the steps lead
/// to wide, flat minima, where small changes of the weights (or of the data) change the loss little.</para>
/// <para><b>Strengths:</b> better generalisation than its base optimizer on many vision and language tasks, robustness
/// to label noise, works with any first-order base optimizer, one hyperparameter ρ.</para>
/// <para><b>Weaknesses:</b> two forward and backward passes per step (twice the cost); one more copy of the weights;
/// with a fixed ρ and rate it does not settle exactly at a sharp minimum (its objective has a kink there); needs a
/// closure; ρ needs tuning (0.05 for SGD, larger for adaptive SAM).</para>
/// <para><b>Suits:</b> training deep networks that overfit or whose test accuracy matters more than training time:
/// image classification, fine-tuning, noisy labels.</para>
/// </remarks>
public sealed class SAM : Optimizer, ITrainEvalOptimizer
{
    private readonly int _layer;
    private readonly Dictionary<Tensor, Tensor> _saved = new(TensorIdentity.Instance); // w before the climb
    private readonly List<Tensor> _climbed = [];

    /// <summary>Wraps the base optimizer <paramref name="inner"/>, whose groups, state and learning rate become this optimizer's.</summary>
    /// <param name="inner">The base optimizer, which steps with the gradient at the climbed point (any first-order one).</param>
    /// <param name="rho">The neighbourhood's radius ρ ≥ 0.</param>
    /// <param name="adaptive">Adaptive SAM: the neighbourhood scaled by the weights' magnitudes.</param>
    /// <exception cref="ArgumentException">ρ &lt; 0 or not finite.</exception>
    public SAM(FirstOrderOptimizer inner, double rho = 0.05, bool adaptive = false) : this(inner, LayersOf(inner, rho, adaptive))
    {
    }

    internal SAM(FirstOrderOptimizer inner, IReadOnlyList<SAMOptions> layers) : base(inner)
    {
        Inner = inner;
        WrapGroups(i => layers[i], _ => []);
        _layer = Groups[0].Layers.Count - 1;
    }

    /// <summary>The base optimizer, which steps with the gradient at the climbed point.</summary>
    public FirstOrderOptimizer Inner { get; }

    /// <summary>The inner optimizer's mode (<see cref="ITrainEvalOptimizer"/>); always training when it has no other.</summary>
    public bool IsTraining => Inner is not ITrainEvalOptimizer switchable || switchable.IsTraining;

    /// <summary>Puts the inner optimizer's training point in the parameters (schedule-free's y); nothing for others.</summary>
    public void Train() => (Inner as ITrainEvalOptimizer)?.Train();

    /// <summary>Puts the inner optimizer's evaluation point in the parameters (schedule-free's x); nothing for others.</summary>
    public void Eval() => (Inner as ITrainEvalOptimizer)?.Eval();

    /// <summary>The registry's SAM: the base entry with its preset at each group's lr, wrapped.</summary>
    internal static SAM FromRegistry(IReadOnlyList<ParamGroupSpec<SAMOptions>> groups, SAMOptions defaults)
    {
        var (inner, layers) = OptimizerWrapper.BuildInner(groups, defaults, o => o.Base, "SAM");
        return new SAM(OptimizerWrapper.FirstOrder(inner, "SAM"), layers);
    }

    private static SAMOptions[] LayersOf(FirstOrderOptimizer inner, double rho, bool adaptive)
    {
        ArgumentNullException.ThrowIfNull(inner);
        string? name = OptimizerWrapper.RegistryNameOf(inner);
        return [.. inner.ParamGroups.Select(g => new SAMOptions(g.Lr) { Rho = rho, Adaptive = adaptive, Base = name })];
    }

    /// <summary>Evaluates at w, climbs to w + e, evaluates there, comes back to w and lets the base optimizer step.</summary>
    protected override Tensor StepWith(Func<Tensor> closure)
    {
        using var outlivesScopes = TensorScope.Suspend(); // the loss and the saved weights outlive the caller's scopes
        Tensor loss;
        using (Autograd.EnableGrad()) loss = closure();
        using (Autograd.NoGrad()) Climb();
        ZeroGrad(setToNone: false); // as the reference's first_step(zero_grad=True): the second gradient alone, whatever the closure does
        try
        {
            using (Autograd.EnableGrad()) closure();
        }
        finally
        {
            Restore(); // also when the second evaluation throws
        }
        Inner.Step();
        return loss;
    }

    /// <summary>Saves every parameter that has a gradient and moves it by e.</summary>
    private void Climb()
    {
        double norm = GlobalNorm();
        _climbed.Clear();
        for (int gi = 0; gi < Groups.Count; gi++)
        {
            var options = (SAMOptions)Groups[gi].Layers[_layer];
            double scale = options.Rho / (norm + 1e-12);
            var parameters = Groups[gi].Parameters;
            for (int i = 0; i < parameters.Count; i++)
            {
                var p = parameters[i];
                if (p.Grad is not { } grad) continue;
                var g = grad.Contiguous();
                if (p.DType == DType.Float32) Climb(p.AsSpan<float>(), g.AsSpan<float>(), SavedCopy(p).AsSpan<float>(), (float)scale, options.Adaptive);
                else Climb(p.AsSpan<double>(), g.AsSpan<double>(), SavedCopy(p).AsSpan<double>(), scale, options.Adaptive);
                _climbed.Add(p);
            }
        }
    }

    /// <summary>saved ← w; w ← w + (w² if adaptive else 1)·g·scale.</summary>
    private static void Climb<T>(Span<T> w, ReadOnlySpan<T> g, Span<T> saved, T scale, bool adaptive) where T : IFloatingPointIeee754<T>
    {
        w.CopyTo(saved);
        for (int k = 0; k < w.Length; k++) w[k] += (adaptive ? w[k] * w[k] * g[k] : g[k]) * scale;
    }

    /// <summary>The 2-norm of every gradient (|w|·g in adaptive groups) of every group together; refuses row-sparse gradients first.</summary>
    private double GlobalNorm()
    {
        double sum = 0;
        for (int gi = 0; gi < Groups.Count; gi++)
        {
            bool adaptive = ((SAMOptions)Groups[gi].Layers[_layer]).Adaptive;
            var parameters = Groups[gi].Parameters;
            for (int i = 0; i < parameters.Count; i++)
            {
                var p = parameters[i];
                if (p.SparseGrad is not null)
                    throw new InvalidOperationException($"SAM does not support row-sparse gradients (parameter {i} of group {gi}); an Embedding with sparse: false gives a dense one");
                if (p.Grad is not { } grad) continue;
                if (!Shapes.SameShape(grad.ShapeArray, p.ShapeArray) || grad.DType != p.DType)
                    throw new InvalidOperationException($"the gradient of parameter {i} of group {gi} has shape {Shapes.Format(grad.ShapeArray)} and dtype {grad.DType.Name()}, the parameter {Shapes.Format(p.ShapeArray)} and {p.DType.Name()}");
                double n = GradientClipping.Norm2(grad.Contiguous(), adaptive ? p : null);
                sum += n * n;
            }
        }
        return Math.Sqrt(sum);
    }

    private void Restore()
    {
        foreach (var p in _climbed)
        {
            if (p.DType == DType.Float32) _saved[p].AsSpan<float>().CopyTo(p.AsSpan<float>());
            else _saved[p].AsSpan<double>().CopyTo(p.AsSpan<double>());
        }
        _climbed.Clear();
    }

    /// <summary>The buffer that holds <paramref name="p"/> during the second evaluation, allocated on first use.</summary>
    private Tensor SavedCopy(Tensor p)
    {
        if (!_saved.TryGetValue(p, out var copy)) _saved[p] = copy = Tensor.Zeros(p.ShapeArray, p.DType);
        return copy;
    }
}
