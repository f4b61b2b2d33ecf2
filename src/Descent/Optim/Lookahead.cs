using System.Numerics;

namespace Descent.Optim;

/// <summary>The hyperparameters <see cref="Lookahead"/> adds to its inner optimizer's (the paper's defaults).</summary>
public sealed record LookaheadOptions : OptimizerOptions
{
    /// <summary>Creates Lookahead options at the learning rate <paramref name="lr"/>, which is the inner optimizer's.</summary>
    public LookaheadOptions(double lr = 1e-3) => Lr = lr;

    /// <summary>The number k of inner steps between two pull-backs of the fast weights.</summary>
    [Hyperparameter("lookahead_k", Range = HyperparameterRange.AtLeastOne)]
    public int K { get; init; } = 5;

    /// <summary>The slow weights' step α: each pull-back moves them the fraction α of the way to the fast weights.</summary>
    [Hyperparameter("lookahead_alpha", Range = HyperparameterRange.ClosedUnitInterval)]
    public double Alpha { get; init; } = 0.5;

    /// <summary>The registry's optimizer that the registry builds as the inner one, with its preset at this lr (none: the inner optimizer was given).</summary>
    [Hyperparameter("lookahead_base", Range = HyperparameterRange.OptimizerName, CommandLineName = "base")]
    public string? Base { get; init; } = "adam";
}

/// <summary>
/// Lookahead: any optimizer's weights (the fast weights) take k steps, then fall back toward slow weights that move a
/// fraction α of the way to them (Zhang, Lucas, Hinton and Ba, 2019, "Lookahead Optimizer: k steps forward, 1 step back").
/// </summary>
/// <remarks>
/// <para>With θ the parameters (the fast weights), φ the slow weights, and the inner optimizer's step:</para>
/// <code>
/// φ ← θ                        (at a parameter's first step)
/// θ ← inner step of θ          (every step)
/// every k-th step:
///   φ ← φ + α(θ − φ)
///   θ ← φ
/// </code>
/// <para>As timm's Lookahead (pytorch-image-models, <c>timm/optim/lookahead.py</c>, commit aa4b585): the step counter
/// <c>lookahead_step</c> lives in each parameter group beside <c>lookahead_k</c> and <c>lookahead_alpha</c> (in
/// <see cref="ParamGroup.Numbers"/> and this wrapper's <see cref="LookaheadOptions"/>), the slow weights are each
/// parameter's state <c>lookahead_slow_buff</c>, and a parameter without a gradient at a pull-back waits for the next.
/// Unlike timm, which creates the slow weights at the first pull-back from the fast weights (so that its first pull-back
/// does nothing), they start as the parameters before their first update, as in the paper (φ₀ = θ₀) and the authors'
/// code (michaelrzhang/lookahead). φ + α(θ − φ) is PyTorch's <c>lerp</c>, so α = 1 is the fast weights exactly: with
/// k = 1 and α = 1, Lookahead is its inner optimizer bit for bit.</para>
/// <para>The inner optimizer's groups, state and learning rate are Lookahead's: schedulers, ZeroGrad, the state dict and
/// checkpoints see one optimizer. For an inner optimizer that needs a closure (L-BFGS), use <see cref="Wrap"/>.</para>
/// <example><code>
/// var optimizer = new Lookahead(new Adam(model.Parameters(), lr: 1e-3), k: 5, alpha: 0.5);
/// </code></example>
/// <para><b>Principle:</b> the fast weights explore ahead with any optimizer; the slow weights then take one careful step
/// along the direction the k fast steps found, an average that cancels much of their oscillation across a valley, and the
/// search starts again from there.</para>
/// <para><b>Strengths:</b> works with any inner optimizer, costs one copy of the weights and one pass every k steps,
/// makes the inner optimizer less sensitive to its learning rate and its other hyperparameters, and lowers the variance
/// of the weights late in training.</para>
/// <para><b>Weaknesses:</b> the pull-back slows plain descent along a clean direction (by about α over k steps); one more
/// copy of the weights; the inner optimizer's momentum is kept across a pull-back although the weights jumped.</para>
/// <para><b>Suits:</b> training deep networks with SGD or Adam (image classification, language models, GANs) where the
/// learning rate is hard to tune or the loss oscillates; a cheap addition to an existing setup.</para>
/// </remarks>
public sealed class Lookahead : FirstOrderOptimizer
{
    private readonly LookaheadSync _sync;

    /// <summary>Wraps <paramref name="inner"/>, whose groups, state and learning rate become this optimizer's.</summary>
    /// <param name="inner">The optimizer of the fast weights (any first-order one; for L-BFGS use <see cref="Wrap"/>).</param>
    /// <param name="k">Inner steps between two pull-backs.</param>
    /// <param name="alpha">The slow weights' step α in [0, 1].</param>
    /// <exception cref="ArgumentException">k &lt; 1, α outside [0, 1], or <paramref name="inner"/> is a Lookahead already.</exception>
    public Lookahead(FirstOrderOptimizer inner, int k = 5, double alpha = 0.5) : this(inner, LayersOf(inner, k, alpha))
    {
    }

    internal Lookahead(FirstOrderOptimizer inner, IReadOnlyList<LookaheadOptions> layers) : base(RefuseTrainEval(inner))
    {
        Inner = inner;
        _sync = new LookaheadSync(this, Groups, StateFor, layers);
    }

    /// <summary>The optimizer of the fast weights.</summary>
    public FirstOrderOptimizer Inner { get; }

    /// <summary>
    /// Lookahead over any optimizer: a <see cref="Lookahead"/> over a first-order one, and over one that needs a closure
    /// (L-BFGS) an optimizer whose <see cref="Optimizer.Step(Func{Tensor})"/> steps it k times between pull-backs.
    /// </summary>
    public static Optimizer Wrap(Optimizer inner, int k = 5, double alpha = 0.5) => inner is FirstOrderOptimizer firstOrder
        ? new Lookahead(firstOrder, k, alpha)
        : new LookaheadOverClosure(inner, LayersOf(inner, k, alpha));

    /// <summary>The registry's Lookahead: the base entry with its preset at each group's lr, wrapped.</summary>
    internal static Optimizer FromRegistry(IReadOnlyList<ParamGroupSpec<LookaheadOptions>> groups, LookaheadOptions defaults)
    {
        var (inner, layers) = OptimizerWrapper.BuildInner(groups, defaults, o => o.Base, "lookahead");
        return inner is FirstOrderOptimizer firstOrder ? new Lookahead(firstOrder, layers) : new LookaheadOverClosure(inner, layers);
    }

    /// <summary>
    /// <paramref name="inner"/>, unless it evaluates elsewhere than it trains (schedule-free): its parameters hold y,
    /// which a pull-back would move without its z, so that x = (y − (1 − β)z)/β would no longer be its average.
    /// </summary>
    internal static Optimizer RefuseTrainEval(Optimizer inner) => inner.Innermost is ITrainEvalOptimizer
        ? throw new ArgumentException($"Lookahead cannot wrap {inner.Innermost.GetType().Name}: its parameters hold its training point y, and a pull-back would move y without z, so that its average x would be lost; schedule-free optimizers already average their iterates", "inner")
        : inner;

    private static LookaheadOptions[] LayersOf(Optimizer inner, int k, double alpha)
    {
        ArgumentNullException.ThrowIfNull(inner);
        string? name = OptimizerWrapper.RegistryNameOf(inner);
        return [.. inner.ParamGroups.Select(g => new LookaheadOptions(g.Lr) { K = k, Alpha = alpha, Base = name })];
    }

    private protected override void UpdateParameters()
    {
        _sync.StartSlowWeights(everyParameter: false);
        Inner.Step();
        _sync.PullBack();
    }
}

/// <summary>Lookahead over an optimizer that re-evaluates the model through a closure (L-BFGS): what <see cref="Lookahead.Wrap"/> builds for one.</summary>
internal sealed class LookaheadOverClosure : Optimizer
{
    private readonly LookaheadSync _sync;
    private readonly Optimizer _inner;

    internal LookaheadOverClosure(Optimizer inner, IReadOnlyList<LookaheadOptions> layers) : base(Lookahead.RefuseTrainEval(inner))
    {
        _inner = inner;
        _sync = new LookaheadSync(this, Groups, StateFor, layers);
    }

    protected override Tensor StepWith(Func<Tensor> closure)
    {
        // The closure computes every parameter's gradient, so every parameter starts its slow weights now.
        _sync.StartSlowWeights(everyParameter: true);
        var loss = _inner.Step(closure);
        _sync.PullBack();
        return loss;
    }
}

/// <summary>
/// Lookahead's own work around the inner step, for both kinds of inner optimizer: the slow weights' start, the group's
/// step count, and every k-th step the pull-back. Puts the wrapper's options and counter into the groups on creation.
/// </summary>
internal sealed class LookaheadSync
{
    public const string Slow = "lookahead_slow_buff", StepCount = "lookahead_step";

    private readonly Optimizer _owner;
    private readonly IReadOnlyList<ParamGroup> _groups;
    private readonly Func<Tensor, ParamState> _stateFor;
    private readonly int _layer;

    public LookaheadSync(Optimizer owner, IReadOnlyList<ParamGroup> groups, Func<Tensor, ParamState> stateFor, IReadOnlyList<LookaheadOptions> layers)
    {
        _owner = owner;
        _groups = groups;
        _stateFor = stateFor;
        owner.WrapGroups(i => layers[i], _ => [StepCount]);
        _layer = groups[0].Layers.Count - 1;
    }

    /// <summary>Copies into <c>lookahead_slow_buff</c> each parameter that has none yet (those with a gradient, or every one).</summary>
    public void StartSlowWeights(bool everyParameter)
    {
        using var noGrad = Autograd.NoGrad();
        using var outlivesScopes = TensorScope.Suspend(); // the slow weights live across steps
        for (int gi = 0; gi < _groups.Count; gi++)
        {
            var parameters = _groups[gi].Parameters;
            for (int i = 0; i < parameters.Count; i++) // not foreach: its enumerator would be allocated every step
            {
                var p = parameters[i];
                if (!everyParameter && p.Grad is null && p.SparseGrad is null) continue;
                var state = _stateFor(p);
                if (!state.Tensors.ContainsKey(Slow)) p.CopyInto(state.Buffer(Slow, p));
            }
        }
    }

    /// <summary>Counts the step in each group; in a group at its k-th step, pulls each parameter with a gradient back.</summary>
    public void PullBack()
    {
        for (int gi = 0; gi < _groups.Count; gi++)
        {
            var group = _groups[gi];
            double step = group.MutableNumbers[StepCount] + 1;
            group.MutableNumbers[StepCount] = step;
            var options = (LookaheadOptions)group.Layers[_layer];
            if ((long)step % options.K != 0) continue;
            var parameters = group.Parameters;
            for (int i = 0; i < parameters.Count; i++)
            {
                var p = parameters[i];
                if (p.Grad is null && p.SparseGrad is null) continue;
                if (_owner.StateOf(p) is not { } state || !state.Tensors.TryGetValue(Slow, out var slow)) continue;
                if (p.DType == DType.Float32) PullBack(p.AsSpan<float>(), slow.AsSpan<float>(), (float)options.Alpha);
                else PullBack(p.AsSpan<double>(), slow.AsSpan<double>(), options.Alpha);
            }
        }
    }

    /// <summary>φ ← lerp(φ, θ, α); θ ← φ.</summary>
    private static void PullBack<T>(Span<T> fast, Span<T> slow, T alpha) where T : IFloatingPointIeee754<T>
    {
        for (int k = 0; k < fast.Length; k++)
        {
            slow[k] = TorchLerp.Of(slow[k], fast[k], alpha);
            fast[k] = slow[k];
        }
    }
}
