namespace Descent.Optim;

/// <summary>
/// Reads a chain of transforms as the one update it stands for, or says precisely why it stands for none. A valid chain
/// has the shape
/// <code>
/// [ClipByGlobalNorm]  [AddDecayedWeights]  scaling  [AddDecayedWeights]  ScaleByLearningRate
/// scaling: nothing | Trace | ScaleByAdam | ScaleByRms [Trace] | ScaleByLion | [Trace] ScaleBySign
/// </code>
/// with one weight decay at most: before the scaling it is an L2 penalty added to the gradient, after it a decoupled
/// decay. The result is the clip (if any) and the options record of the named optimizer whose update the scaling is
/// (<see cref="SGDOptions"/>, <see cref="AdamOptions"/>/<see cref="AdamWOptions"/>, <see cref="RMSpropOptions"/>,
/// <see cref="LionOptions"/>, <see cref="SignOptions"/>): that record holds the chain's hyperparameters, so that
/// schedulers, parameter groups and the state dict see exactly what the named optimizer shows.
/// </summary>
internal static class ChainLowering
{
    private const string Argument = "transforms";

    /// <summary>The clip and the options of <paramref name="chain"/> (flat: nested chains already spliced in).</summary>
    public static (ClipByGlobalNormTransform? Clip, OptimizerOptions Defaults) Lower(IReadOnlyList<Transform> chain)
    {
        if (chain.Count == 0) throw Invalid("the chain is empty: it needs at least Transforms.ScaleByLearningRate(lr)");
        var lr = LearningRate(chain);
        var clip = Clip(chain);
        Once<TraceTransform>(chain, "has two Traces", "momentum is kept once");
        Once<AddDecayedWeightsTransform>(chain, "decays the weights twice",
            "once before the scaling (an L2 penalty added to the gradient) or once after it (decoupled), not both");
        var scaling = Scaling(chain);

        // The links between the clip and the learning rate: an optional decay, and the scaling's own transforms.
        int first = clip is null ? 0 : 1, last = chain.Count - 2;
        int decayAt = IndexOf<AddDecayedWeightsTransform>(chain);
        var core = chain.Skip(first).Take(last - first + 1).Where(t => t is not AddDecayedWeightsTransform).ToList();
        var decay = decayAt < 0 ? null : (AddDecayedWeightsTransform)chain[decayAt];
        bool decoupled = decay is not null && core.Count > 0 && decayAt == last;
        if (decay is not null && core.Count > 0 && decayAt != first && decayAt != last)
            throw Invalid($"transforms[{decayAt}] (AddDecayedWeights) sits inside the scaling ({string.Join(", ", core.Select(t => t.Name))}): "
                + "put it before the scaling (an L2 penalty added to the gradient) or right before ScaleByLearningRate (decoupled weight decay)");
        double l2 = decay is not null && !decoupled ? decay.WeightDecay : 0;
        double decoupledDecay = decoupled ? decay!.WeightDecay : 0;

        OptimizerOptions options = scaling switch
        {
            null => Sgd(core, decoupled, l2, lr),
            ScaleByAdamTransform adam => Adam(core, adam, decoupled, decay?.WeightDecay ?? 0, lr),
            ScaleByRmsTransform rms => Rms(core, rms, decoupled, l2, lr),
            ScaleByLionTransform lion => Lion(core, lion, decay is not null && !decoupled, decoupledDecay, lr),
            _ => Sign(core, decoupled, decay?.WeightDecay ?? 0, lr),
        };
        return (clip, options);
    }

    private static ScaleByLearningRateTransform LearningRate(IReadOnlyList<Transform> chain)
    {
        var at = Indices<ScaleByLearningRateTransform>(chain);
        if (at.Count == 0) throw Invalid("the chain applies no learning rate: end it with Transforms.ScaleByLearningRate(lr)");
        if (at.Count > 1) throw Invalid($"the chain has {at.Count} learning rates ({List(at)}); it takes one, at its end");
        if (at[0] != chain.Count - 1)
            throw Invalid($"ScaleByLearningRate must be the chain's last transform, but transforms[{at[0] + 1}] ({chain[at[0] + 1].Name}) comes after it");
        return (ScaleByLearningRateTransform)chain[at[0]];
    }

    private static ClipByGlobalNormTransform? Clip(IReadOnlyList<Transform> chain)
    {
        var at = Indices<ClipByGlobalNormTransform>(chain);
        if (at.Count > 1) throw Invalid($"the chain clips twice ({List(at)}); it takes one ClipByGlobalNorm, first");
        if (at.Count == 1 && at[0] != 0)
            throw Invalid($"ClipByGlobalNorm must be the chain's first transform (it is transforms[{at[0]}]): it clips the gradient itself, "
                + "whose norm is known before the fused pass; clipping what other transforms made of it would take a pass of its own");
        return at.Count == 1 ? (ClipByGlobalNormTransform)chain[0] : null;
    }

    /// <summary>The one scaling (Adam, RMS, Lion or sign) of the chain, or null for none (SGD).</summary>
    private static Transform? Scaling(IReadOnlyList<Transform> chain)
    {
        var at = Enumerable.Range(0, chain.Count).Where(i => chain[i] is ScaleByAdamTransform or ScaleByRmsTransform or ScaleByLionTransform or ScaleBySignTransform).ToList();
        if (at.Count <= 1) return at.Count == 0 ? null : chain[at[0]];
        var (a, b) = (chain[at[0]], chain[at[1]]);
        if (a.GetType() == b.GetType())
            throw Invalid($"the chain {a.Name switch { "ScaleByAdam" => "scales by Adam", "ScaleByRms" => "scales by RMS", "ScaleByLion" => "scales by Lion", _ => "takes the sign" }} twice "
                + $"(transforms[{at[0]}] and transforms[{at[1]}]); each keeps its state once");
        throw Invalid($"the chain has two scalings, {a.Name} (transforms[{at[0]}]) and {b.Name} (transforms[{at[1]}]); "
            + "it takes at most one of ScaleByAdam, ScaleByRms, ScaleByLion and ScaleBySign");
    }

    private static SGDOptions Sgd(List<Transform> core, bool decoupled, double l2, ScaleByLearningRateTransform lr)
    {
        if (decoupled)
            throw Invalid("AddDecayedWeights after Trace would be a decoupled decay, and SGD's weight decay is an L2 penalty on the gradient: "
                + "put AddDecayedWeights before Trace");
        var trace = (TraceTransform?)core.SingleOrDefault();
        return new SGDOptions(lr.Lr)
        {
            Momentum = trace?.Momentum ?? 0, Dampening = trace?.Dampening ?? 0, Nesterov = trace?.Nesterov ?? false, WeightDecay = l2, Maximize = lr.Maximize,
        };
    }

    private static AdamOptions Adam(List<Transform> core, ScaleByAdamTransform adam, bool decoupled, double weightDecay, ScaleByLearningRateTransform lr)
    {
        NoTrace(core, adam, "Adam keeps its own first moment");
        var options = decoupled ? new AdamWOptions(lr.Lr) : new AdamOptions(lr.Lr);
        return options with
        {
            Betas = adam.Betas, Eps = adam.Eps, AmsGrad = adam.AmsGrad, WeightDecay = weightDecay, DecoupledWeightDecay = decoupled, Maximize = lr.Maximize,
        };
    }

    private static RMSpropOptions Rms(List<Transform> core, ScaleByRmsTransform rms, bool decoupled, double l2, ScaleByLearningRateTransform lr)
    {
        if (core[0] is TraceTransform)
            throw Invalid("Trace must come after ScaleByRms: RMSprop's momentum accumulates the scaled gradient");
        var trace = (TraceTransform?)core.ElementAtOrDefault(1);
        if (trace is { Dampening: not 0 } or { Nesterov: true })
            throw Invalid($"Trace after ScaleByRms is RMSprop's momentum, which has no dampening or Nesterov form; got {trace}");
        if (decoupled)
            throw Invalid("AddDecayedWeights after ScaleByRms would be a decoupled decay, and RMSprop's weight decay is an L2 penalty on the gradient: "
                + "put AddDecayedWeights before ScaleByRms");
        return new RMSpropOptions(lr.Lr)
        {
            Alpha = rms.Alpha, Eps = rms.Eps, Centered = rms.Centered, Momentum = trace?.Momentum ?? 0, WeightDecay = l2, Maximize = lr.Maximize,
        };
    }

    private static LionOptions Lion(List<Transform> core, ScaleByLionTransform lion, bool l2, double decoupledDecay, ScaleByLearningRateTransform lr)
    {
        NoTrace(core, lion, "Lion keeps its own momentum");
        if (l2)
            throw Invalid("AddDecayedWeights before ScaleByLion would be an L2 penalty on the gradient, and Lion's weight decay is decoupled: "
                + "put AddDecayedWeights after ScaleByLion");
        return new LionOptions(lr.Lr) { Betas = lion.Betas, WeightDecay = decoupledDecay, Maximize = lr.Maximize };
    }

    private static SignOptions Sign(List<Transform> core, bool decoupled, double weightDecay, ScaleByLearningRateTransform lr)
    {
        if (core[^1] is TraceTransform)
            throw Invalid("Trace must come before ScaleBySign: the sign is taken of the momentum (Signum), the last step before the learning rate");
        var trace = (TraceTransform?)(core.Count == 2 ? core[0] : null);
        return new SignOptions(lr.Lr)
        {
            Momentum = trace?.Momentum ?? 0, Dampening = trace?.Dampening ?? 0, Nesterov = trace?.Nesterov ?? false,
            WeightDecay = weightDecay, DecoupledWeightDecay = decoupled, Maximize = lr.Maximize,
        };
    }

    private static void NoTrace(List<Transform> core, Transform scaling, string why)
    {
        if (core.Any(t => t is TraceTransform)) throw Invalid($"Trace does not combine with {scaling.Name}: {why}");
    }

    private static void Once<TTransform>(IReadOnlyList<Transform> chain, string what, string why) where TTransform : Transform
    {
        var at = Indices<TTransform>(chain);
        if (at.Count > 1) throw Invalid($"the chain {what} ({List(at)}): {why}");
    }

    private static List<int> Indices<TTransform>(IReadOnlyList<Transform> chain) where TTransform : Transform =>
        [.. Enumerable.Range(0, chain.Count).Where(i => chain[i] is TTransform)];

    private static int IndexOf<TTransform>(IReadOnlyList<Transform> chain) where TTransform : Transform =>
        Indices<TTransform>(chain) is [var i, ..] ? i : -1;

    private static string List(List<int> indices) => string.Join(" and ", indices.Select(i => $"transforms[{i}]"));

    private static ArgumentException Invalid(string message) => new(message, Argument);
}
