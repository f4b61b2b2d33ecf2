using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;
using static Descent.Kernels.VectorFma;

namespace Descent.Optim;

/// <summary>
/// The base of the schedule-free optimizers, <see cref="ScheduleFreeAdamW"/> and <see cref="ScheduleFreeSGD"/> (Defazio
/// et al., 2024): the averaging weights of each group, the step in training mode only, and the switch between the
/// training point y and the evaluation point x.
/// </summary>
/// <remarks>
/// <para>While training, the parameters hold y = (1 − β₁)z + β₁x, where z is the base optimizer's iterate (state
/// <c>z</c>) and x the weighted average of the z's. <see cref="Eval"/> puts x in the parameters,
/// p ← lerp(p, z, 1 − 1/β₁), and <see cref="Train"/> puts y back, p ← lerp(p, z, 1 − β₁), to rounding.</para>
/// <para>The group's scalars, PyTorch's <c>k</c>, <c>lr_max</c>, <c>weight_sum</c> and <c>train_mode</c> (1 or 0), are
/// kept in <see cref="ParamState.Numbers"/> of the group's first parameter, as LBFGS keeps its counters, so that the
/// state dict and checkpoints carry them. <c>k</c> counts the group's steps, with or without a gradient for that
/// parameter, as the reference's group counter does. <see cref="Optimizer.LoadStateDict"/> therefore restores the mode
/// the state was saved in; the parameters, restored with the model, must be the ones saved beside it (x when saved in
/// evaluation mode, as the authors advise for checkpoints), and <see cref="Train"/> then gives y back.</para>
/// </remarks>
public abstract class ScheduleFreeOptimizer<TOptions> : Optimizer<TOptions>, ITrainEvalOptimizer where TOptions : ScheduleFreeOptions
{
    internal const string StepCount = "k", LrMax = "lr_max", WeightSum = "weight_sum", TrainMode = "train_mode";

    private ScheduleFreeStep[] _steps = [];
    private readonly Dictionary<Tensor, int> _groupOf = new(TensorIdentity.Instance);

    private protected ScheduleFreeOptimizer(IEnumerable<Tensor> parameters, TOptions defaults) : base(parameters, defaults)
    {
    }

    private protected ScheduleFreeOptimizer(IEnumerable<ParamGroupSpec<TOptions>> groups, TOptions defaults) : base(groups, defaults)
    {
    }

    /// <inheritdoc/>
    public bool IsTraining
    {
        get
        {
            for (int gi = 0; gi < Groups.Count; gi++)
                if (!GroupIsTraining(gi)) return false;
            return true;
        }
    }

    /// <summary>Puts y, the point the gradients are taken at, back in the parameters; nothing when already training.</summary>
    public void Train() => Switch(training: true);

    /// <summary>Puts x, the average to evaluate (and to keep after training), in the parameters; nothing when already evaluating.</summary>
    public void Eval() => Switch(training: false);

    /// <summary>Throws before the closure runs when in evaluation mode: its gradient would be taken at x.</summary>
    protected override Tensor StepWith(Func<Tensor> closure)
    {
        RequireTraining();
        return base.StepWith(closure);
    }

    /// <summary>The group's averaging weight for this step, computed once per group before any parameter changes.</summary>
    private protected sealed override void BeginStep()
    {
        RequireTraining();
        if (_steps.Length != Groups.Count) IndexGroups();
        for (int gi = 0; gi < Groups.Count; gi++) _steps[gi] = Advance(gi);
    }

    /// <summary>This step's scalars of the group that holds <paramref name="parameter"/>.</summary>
    private protected ScheduleFreeStep StepOf(Tensor parameter) => _steps[_groupOf[parameter]];

    private void RequireTraining()
    {
        if (!IsTraining)
            throw new InvalidOperationException($"{GetType().Name} is in evaluation mode (its parameters hold the average x, not the training point y): call Train() before Step(), and Eval() again before evaluating");
    }

    private void IndexGroups()
    {
        _steps = new ScheduleFreeStep[Groups.Count];
        _groupOf.Clear();
        for (int gi = 0; gi < Groups.Count; gi++)
            foreach (var p in Groups[gi].Parameters) _groupOf[p] = gi;
    }

    /// <summary>
    /// The reference's group update: the warm-up rate γₖ, γmax, the weight wₖ = (k + 1)^r·γmax^p, the running sum and
    /// cₖ₊₁ = wₖ/Σw (0 while the sum is 0); then k ← k + 1.
    /// </summary>
    private ScheduleFreeStep Advance(int gi)
    {
        var group = Groups[gi];
        var o = (TOptions)group.RuleOptions;
        var numbers = StateFor(group.Parameters[0]).Numbers;
        long k = (long)numbers.GetValueOrDefault(StepCount);
        double lr = k < o.WarmupSteps ? o.Lr * ((k + 1) / (double)o.WarmupSteps) : o.Lr;
        double lrMax = Math.Max(lr, numbers.GetValueOrDefault(LrMax, -1));
        double weight = Math.Pow(k + 1, o.R) * Math.Pow(lrMax, o.WeightLrPower);
        double weightSum = numbers.GetValueOrDefault(WeightSum) + weight;
        double ckp1 = weightSum == 0 ? 0 : weight / weightSum;
        numbers[StepCount] = k + 1;
        numbers[LrMax] = lrMax;
        numbers[WeightSum] = weightSum;
        return new ScheduleFreeStep(k, lr, ckp1, lr * (o.Beta1 * (1 - ckp1) - 1));
    }

    private bool GroupIsTraining(int gi) =>
        StateOf(Groups[gi].Parameters[0]) is not { } state || state.Numbers.GetValueOrDefault(TrainMode, 1) != 0;

    /// <summary>Moves every group not yet in the mode asked for: p ← lerp(p, z, w), one fused pass per parameter with a z.</summary>
    private void Switch(bool training)
    {
        using var batch = OptimParallel.Batch();
        for (int gi = 0; gi < Groups.Count; gi++)
        {
            if (GroupIsTraining(gi) == training) continue;
            double beta1 = ((TOptions)Groups[gi].RuleOptions).Beta1;
            var rule = new ToTheOtherPoint(training ? 1 - beta1 : 1 - 1 / beta1);
            foreach (var p in Groups[gi].Parameters)
                if (StateOf(p)?.Tensors.GetValueOrDefault("z") is { } z)
                    FusedUpdate.Run(p, z, maximize: false, rule.For<float>(), rule.For<double>());
            StateFor(Groups[gi].Parameters[0]).Numbers[TrainMode] = training ? 1 : 0;
        }
    }

    /// <summary>The weight of the switch between y and x, for either dtype's rule.</summary>
    private readonly struct ToTheOtherPoint(double weight)
    {
        public LerpRule<T> For<T>() where T : unmanaged, IFloatingPointIeee754<T> => new(new TorchLerpWeight<T>(weight));
    }
}

/// <summary>
/// The hyperparameters every schedule-free optimizer has (the authors' defaults): the weight decay at y, the warm-up,
/// and the powers of the averaging weights; and β₁, the interpolation y = (1 − β₁)z + β₁x, which each declares.
/// </summary>
public abstract record ScheduleFreeOptions : OptimizerOptions
{
    /// <summary>The weight decay λ, added at y to the step's direction: λy (AdamW: to the normalised gradient).</summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; }

    /// <summary>The steps over which the learning rate rises linearly to γ (the only schedule it takes); 0 for none.</summary>
    [Hyperparameter("warmup_steps")]
    public int WarmupSteps { get; init; }

    /// <summary>The power r of the polynomial weighting (k + 1)^r of the average (0: weights by γmax alone).</summary>
    [Hyperparameter("r", Range = HyperparameterRange.NonNegative)]
    public double R { get; init; }

    /// <summary>The power p of the largest learning rate so far in the weights, γmax^p (0: no weighting by it).</summary>
    [Hyperparameter("weight_lr_power", Range = HyperparameterRange.NonNegative)]
    public double WeightLrPower { get; init; } = 2;

    /// <summary>β₁ of y = (1 − β₁)z + β₁x: AdamW's betas[0], SGD's momentum.</summary>
    internal abstract double Beta1 { get; }

    /// <inheritdoc/>
    protected override void ValidateTogether() => Require.NonNegative(WarmupSteps, "warmupSteps");
}

/// <summary>
/// The scalars of one group's step, in double precision: k (0 at the first step), the warmed-up learning rate γₖ, the
/// averaging weight c = cₖ₊₁ and y's step size γₖ(β₁(1 − c) − 1).
/// </summary>
internal readonly record struct ScheduleFreeStep(long K, double Lr, double Ckp1, double AdaptiveYLr);

/// <summary>
/// PyTorch's <c>lerp</c> with a scalar weight (<see cref="TorchLerp"/>), its branch chosen once: start + w·(end − start)
/// for |w| &lt; 0.5, else end − (end − start)·(1 − w), each one fused multiply-add, in scalar and vector forms.
/// </summary>
internal readonly struct TorchLerpWeight<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _weight, _oneMinusWeight;
    private readonly bool _fromStart;

    public TorchLerpWeight(double weight)
    {
        _weight = T.CreateTruncating(weight);
        _oneMinusWeight = T.One - _weight;
        _fromStart = T.Abs(_weight) < T.CreateTruncating(0.5);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Of(T start, T end) =>
        _fromStart ? T.FusedMultiplyAdd(_weight, end - start, start) : T.FusedMultiplyAdd(start - end, _oneMinusWeight, end);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Of(Vector<T> start, Vector<T> end) =>
        _fromStart ? Fma(new Vector<T>(_weight), end - start, start) : Fma(start - end, new Vector<T>(_oneMinusWeight), end);
}

/// <summary>The train/eval switch of one element: p ← lerp(p, z, w), z given in the gradient's place.</summary>
internal readonly struct LerpRule<T>(TorchLerpWeight<T> lerp) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T p, T z, ref T unused0, ref T unused1, ref T unused2) => lerp.Of(p, z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> p, Vector<T> z, ref Vector<T> unused0, ref Vector<T> unused1, ref Vector<T> unused2) => lerp.Of(p, z);
}
