using Descent.Optim;
using System.Numerics;
using Descent.NN;

namespace Descent.Training;

/// <summary>
/// A running average of a model's weights (PyTorch's <c>torch.optim.swa_utils.AveragedModel</c>): the equal average of
/// stochastic weight averaging (SWA; Izmailov et al., 2018) or an exponential moving average (EMA). Each
/// <see cref="UpdateParameters"/> folds the model's current weights in; the first one copies them:
/// <code>
/// SWA:  avg ← avg + (θ − avg) / (n + 1)          (the arithmetic mean of the n + 1 snapshots)
/// EMA:  ema ← decay · ema + (1 − decay) · θ       (computed as PyTorch's lerp(ema, θ, 1 − decay))
/// </code>
/// Use it for evaluation with <see cref="SwapInto"/> (the trained model carries the averaged weights for the scope of a
/// <c>using</c>) or <see cref="CopyTo"/> (into another instance of the same architecture), and checkpoint it with
/// <see cref="StateDict"/> (PyTorch's names: <c>module.*</c> and <c>n_averaged</c>).
/// <code>
/// var swa = AveragedModel.Swa(model);
/// // after each epoch from the start of averaging on:
/// swa.UpdateParameters(model);
/// // at the end (recompute BatchNorm statistics here, if the model has any):
/// using (swa.SwapInto(model)) { /* evaluate model */ }
/// </code>
/// </summary>
/// <remarks>
/// A module cannot be deep-copied in C#, so the average is kept as named tensors of the model's shapes and dtypes rather
/// than as a second module; the names are the model's state-dict names, which is all that copying, swapping and
/// checkpointing need, and no second module has to be built (which would also draw from the random generator).
/// Buffers are averaged too with <c>useBuffers</c>, otherwise copied from the model at each update, as in PyTorch; an
/// integer buffer (a count) is always copied.
/// </remarks>
public sealed class AveragedModel
{
    private readonly List<KeyValuePair<string, Tensor>> _parameters;
    private readonly List<KeyValuePair<string, Tensor>> _buffers;

    private AveragedModel(Module model, double? decay, bool useBuffers)
    {
        ArgumentNullException.ThrowIfNull(model);
        Decay = decay;
        UseBuffers = useBuffers;
        // The copies start as the model is now, as PyTorch's deepcopy does.
        _parameters = model.NamedParameters().Select(p => new KeyValuePair<string, Tensor>(p.Key, Copy(p.Value))).ToList();
        _buffers = model.NamedBuffers().Select(b => new KeyValuePair<string, Tensor>(b.Key, Copy(b.Value))).ToList();
    }

    /// <summary>The equal average of the snapshots (stochastic weight averaging; PyTorch's default averaging).</summary>
    /// <param name="model">The model whose weights are averaged; the average starts as a copy of them.</param>
    /// <param name="useBuffers">Whether buffers are averaged too (else copied from the model at each update).</param>
    public static AveragedModel Swa(Module model, bool useBuffers = false) => new(model, null, useBuffers);

    /// <summary>An exponential moving average of the weights (PyTorch's <c>get_ema_multi_avg_fn(decay)</c>).</summary>
    /// <param name="model">The model whose weights are averaged; the average starts as a copy of them.</param>
    /// <param name="decay">The weight of the old average at each update, in [0, 1].</param>
    /// <param name="useBuffers">Whether buffers are averaged too (else copied from the model at each update).</param>
    public static AveragedModel Ema(Module model, double decay = 0.999, bool useBuffers = false)
    {
        Require.ClosedUnitInterval(decay, nameof(decay));
        return new(model, decay, useBuffers);
    }

    /// <summary>The EMA's decay, or null for the equal (SWA) average.</summary>
    public double? Decay { get; }

    /// <summary>Whether buffers are averaged (true) or copied from the model (false).</summary>
    public bool UseBuffers { get; }

    /// <summary>The number of updates folded in (PyTorch's <c>n_averaged</c>); 0 until the first.</summary>
    public long NAveraged { get; private set; }

    /// <summary>The averaged parameters and buffers by the model's state-dict names (the tensors themselves).</summary>
    public IReadOnlyDictionary<string, Tensor> Weights => _parameters.Concat(_buffers).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    /// <summary>
    /// Folds <paramref name="model"/>'s current weights into the average (the first update copies them) and increments
    /// <see cref="NAveraged"/>. The model must have the names, shapes and dtypes this average was built from.
    /// </summary>
    public void UpdateParameters(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var parameters = Matching(model.NamedParameters(), _parameters, "parameter", nameof(model));
        var buffers = Matching(model.NamedBuffers(), _buffers, "buffer", nameof(model));
        using (Autograd.NoGrad())
        {
            for (int i = 0; i < parameters.Length; i++) Fold(_parameters[i].Value, parameters[i]);
            for (int i = 0; i < buffers.Length; i++)
            {
                if (UseBuffers && buffers[i].DType.IsFloatingPoint()) Fold(_buffers[i].Value, buffers[i]);
                else _buffers[i].Value.CopyFrom_(buffers[i]);
            }
        }
        NAveraged++;
    }

    /// <summary>Copies the averaged weights into <paramref name="target"/> (a model of the same architecture).</summary>
    public void CopyTo(Module target)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.LoadStateDict(Weights);
    }

    /// <summary>
    /// Puts the averaged weights into <paramref name="model"/> until the returned scope is disposed, which restores the
    /// model's own weights (in place: an optimizer over the model keeps its parameters).
    /// </summary>
    public IDisposable SwapInto(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var own = model.StateDict().ToDictionary(kv => kv.Key, kv => Copy(kv.Value), StringComparer.Ordinal);
        CopyTo(model);
        return new Restore(model, own);
    }

    /// <summary>
    /// The average as named tensors, with PyTorch's AveragedModel names: <c>module.{name}</c> for each averaged
    /// parameter and buffer, and <c>n_averaged</c> (an int64 scalar).
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["n_averaged"] = Tensor.Scalar(NAveraged, DType.Int64) };
        foreach (var (name, t) in _parameters.Concat(_buffers)) state["module." + name] = t;
        return state;
    }

    /// <summary>Restores a state from <see cref="StateDict"/>; everything is checked before anything changes.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        long nAveraged = Check(state);
        using (Autograd.NoGrad())
            foreach (var (name, target) in _parameters.Concat(_buffers)) target.CopyFrom_(state["module." + name]);
        NAveraged = nAveraged;
    }

    /// <summary>Checks that <paramref name="state"/> fits this average, changing nothing; returns its <c>n_averaged</c>.</summary>
    internal long Check(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.TryGetValue("n_averaged", out var count) || count.DType != DType.Int64 || count.NumEl != 1)
            throw new ArgumentException("the averaged model's state needs 'n_averaged', an int64 scalar", nameof(state));
        long nAveraged = (long)count.Item();
        if (nAveraged < 0) throw new ArgumentException($"the averaged model's 'n_averaged' must be >= 0, got {nAveraged}", nameof(state));
        var unexpected = state.Keys.Where(k => k != "n_averaged" && !k.StartsWith("module.", StringComparison.Ordinal)).ToList();
        if (unexpected.Count > 0)
            throw new ArgumentException($"the averaged model's state has unexpected entries [{string.Join(", ", unexpected)}]", nameof(state));
        var own = _parameters.Concat(_buffers).ToList();
        foreach (var (name, target) in own)
        {
            if (!state.TryGetValue("module." + name, out var source))
                throw new ArgumentException($"the averaged model's state has no 'module.{name}'", nameof(state));
            CheckLike(source, target, "module." + name, nameof(state));
        }
        if (state.Count != own.Count + 1)
            throw new ArgumentException($"the averaged model's state has {state.Count - 1} module entries, the average holds {own.Count}", nameof(state));
        return nAveraged;
    }

    /// <summary>One averaged tensor takes the model's: copied at the first update, then averaged.</summary>
    private void Fold(Tensor average, Tensor current)
    {
        if (NAveraged == 0)
        {
            average.CopyFrom_(current);
            return;
        }
        var source = current.Contiguous();
        if (average.DType == DType.Float32) Fold(average.AsSpan<float>(), source.AsSpan<float>());
        else Fold(average.AsSpan<double>(), source.AsSpan<double>());
    }

    private void Fold<T>(Span<T> average, ReadOnlySpan<T> current) where T : struct, IFloatingPointIeee754<T>
    {
        if (Decay is double decay)
        {
            // PyTorch's lerp(ema, θ, 1 − decay) (get_ema_multi_avg_fn's _foreach_lerp_), rounded as its CPU kernel rounds.
            var w = T.CreateChecked(1 - decay);
            for (int i = 0; i < average.Length; i++) average[i] = TorchLerp.Of(average[i], current[i], w);
        }
        else
        {
            // PyTorch's CPU form of the equal average (get_swa_avg_fn), a division by the count as there.
            var count = T.CreateChecked(NAveraged + 1);
            for (int i = 0; i < average.Length; i++) average[i] += (current[i] - average[i]) / count;
        }
    }

    /// <summary>The model's tensors in this average's order, after checking names, shapes and dtypes.</summary>
    private static Tensor[] Matching(IEnumerable<KeyValuePair<string, Tensor>> model, List<KeyValuePair<string, Tensor>> own, string kind, string argument)
    {
        var tensors = model.ToList();
        if (tensors.Count != own.Count || tensors.Where((t, i) => t.Key != own[i].Key).Any())
            throw new ArgumentException(
                $"the model's {kind}s [{string.Join(", ", tensors.Select(t => t.Key))}] are not the averaged ones [{string.Join(", ", own.Select(t => t.Key))}]", argument);
        for (int i = 0; i < own.Count; i++) CheckLike(tensors[i].Value, own[i].Value, tensors[i].Key, argument);
        return tensors.Select(t => t.Value).ToArray();
    }

    private static void CheckLike(Tensor source, Tensor target, string name, string argument)
    {
        if (!Shapes.SameShape(source.ShapeArray, target.ShapeArray))
            throw new ArgumentException($"'{name}': shape {Shapes.Format(source.ShapeArray)}, but the average has {Shapes.Format(target.ShapeArray)}", argument);
        if (source.DType != target.DType)
            throw new ArgumentException($"'{name}': dtype {source.DType.Name()}, but the average has {target.DType.Name()}", argument);
    }

    private static Tensor Copy(Tensor t)
    {
        var copy = t.Detach().Clone();
        TensorScope.Escape(copy);
        return copy;
    }

    private sealed class Restore(Module model, Dictionary<string, Tensor> own) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            model.LoadStateDict(own);
        }
    }
}
