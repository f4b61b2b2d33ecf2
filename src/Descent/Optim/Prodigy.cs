using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="Prodigy"/> (the authors' defaults).</summary>
public sealed record ProdigyOptions : OptimizerOptions
{
    private readonly double? _growthRate;

    /// <summary>Creates Prodigy options with the learning rate <paramref name="lr"/>: a multiplier of the estimated step size, 1 unless the run is unstable.</summary>
    public ProdigyOptions(double lr = 1.0) => Lr = lr;

    /// <summary>The decay rates (β₁, β₂) of the moments; β₁ = 0 keeps no first moment. β₁ is what schedules cycle as momentum.</summary>
    [Hyperparameter("betas", Range = HyperparameterRange.UnitInterval, Cycled = true, ElementNames = ["beta1", "beta2"])]
    public (double, double) Betas { get; init; } = (0.9, 0.999);

    /// <summary>The decay rate β₃ of the running sums behind the estimate d (none: √β₂).</summary>
    [Hyperparameter("beta3", Range = HyperparameterRange.ClosedUnitInterval)]
    public double? Beta3 { get; init; }

    /// <summary>The term ε, times d, added to the denominator √v for numerical stability (> 0).</summary>
    [Hyperparameter("eps", Range = HyperparameterRange.NonNegative)]
    public double Eps { get; init; } = 1e-8;

    /// <summary>The weight decay λ: decoupled (θ shrinks by λ times the step size) or, without decouple, an L2 penalty added to the gradient.</summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; }

    /// <summary>Decouple the weight decay from the gradient, as AdamW does.</summary>
    [Hyperparameter("decouple")]
    public bool Decouple { get; init; } = true;

    /// <summary>Scale the step size by Adam's bias correction √(1 − β₂ᵏ⁺¹)/(1 − β₁ᵏ⁺¹).</summary>
    [Hyperparameter("use_bias_correction")]
    public bool UseBiasCorrection { get; init; }

    /// <summary>Leave the learning rate out of the running sum s (d in place of d·lr), which keeps d from growing too large under a warm-up schedule.</summary>
    [Hyperparameter("safeguard_warmup")]
    public bool SafeguardWarmup { get; init; }

    /// <summary>The initial estimate d₀ of the distance to the solution (> 0); rarely needs changing.</summary>
    [Hyperparameter("d0", Range = HyperparameterRange.NonNegative)]
    public double D0 { get; init; } = 1e-6;

    /// <summary>The factor applied to the estimate of d; the preferred way to tune the method (0.5 and 2 typically work too).</summary>
    [Hyperparameter("d_coef", Range = HyperparameterRange.NonNegative)]
    public double DCoef { get; init; } = 1.0;

    /// <summary>
    /// The largest factor by which d may grow per step (none: no limit, the reference's <c>float('inf')</c>, which is
    /// stored as none since a checkpoint's JSON cannot hold infinity); values such as 1.02 act as a warm-up.
    /// </summary>
    [Hyperparameter("growth_rate", Range = HyperparameterRange.Any)]
    public double? GrowthRate
    {
        get => _growthRate;
        init => _growthRate = value is double g && double.IsPositiveInfinity(g) ? null : value;
    }

    /// <summary>Compute the estimate of d from every slice_p-th element of each tensor only (1: all of them; about 11 saves memory at a small cost in accuracy).</summary>
    [Hyperparameter("slice_p", Range = HyperparameterRange.AtLeastOne)]
    public int SliceP { get; init; } = 1;

    /// <inheritdoc/>
    protected override void ValidateTogether()
    {
        Require.Positive(Eps, "eps");
        Require.Positive(D0, "d0");
        if (GrowthRate is double g) Require.Positive(g, "growthRate");
    }
}

/// <summary>
/// Prodigy: Adam whose step size is estimated as it goes, from how far the parameters have moved along the gradients,
/// so that it needs no learning rate (Mishchenko &amp; Defazio, 2023, "Prodigy: An Expeditiously Adaptive Parameter-Free
/// Learner"), as the authors' reference implementation computes it: konstmish/prodigy, <c>prodigyopt/prodigy.py</c>,
/// version 1.1.2 (commit 3efb213, January 2025).
/// </summary>
/// <remarks>
/// <para>Update rule, step k = 0, 1, …, with lr the largest learning rate of the groups (the others must be equal to it
/// or 0), θ₀ each tensor's value at its first step, and the estimate d starting at d₀; every sum runs over the
/// tensors of the groups whose lr is not 0, s and θ₀ over every slice_p-th element:</para>
/// <code>
/// g ← ∇f(θ) + λθ                                 (the λθ only without decouple)
/// γ ← d · lr · √(1 − β₂ᵏ⁺¹)/(1 − β₁ᵏ⁺¹)           (the bias correction only with use_bias_correction)
/// r ← β₃r + Σ (d/d₀)·γ·⟨g, θ₀ − θ⟩
/// m ← β₁m + d(1 − β₁)g
/// v ← β₂v + d²(1 − β₂)g²
/// s ← β₃s + (d/d₀)·γ·g                           ((d/d₀)·d·g with safeguard_warmup)
/// if Σ‖s‖₁ = 0: stop                             (no gradient yet: nothing else changes)
/// d̂ ← d_coef · r / Σ‖s‖₁
/// d ← max(d, d̂)                                  (while d = d₀)
/// d_max ← max(d_max, d̂)
/// d ← min(d_max, d · growth_rate)
/// θ ← θ − λγθ                                    (with decouple)
/// θ ← θ − γ · m / (√v + d·ε)                     (β₁ = 0: θ − γd · g / (√v + d·ε))
/// </code>
/// <para>State: <c>s</c> and <c>p0</c> (flat, one entry per slice_p-th element), <c>exp_avg</c> (when β₁ &gt; 0) and
/// <c>exp_avg_sq</c> per tensor; the estimate's numbers <c>d</c>, <c>d_max</c>, <c>d_numerator</c> (r),
/// <c>d_hat</c> and <c>k</c> are shared by all the tensors, and are written into the state of each tensor stepped
/// (the reference keeps them in every group), so that they travel with the state dict and checkpoints. As the
/// reference, betas, β₃, use_bias_correction, decouple, d_coef and growth_rate are read from the first group,
/// the rest from each tensor's own. Departures that change no step: the coupled weight decay is not added to
/// <c>p.grad</c> in place (the reference's is, which a run that does not zero its gradients would feel); a p0 that is
/// all zeros is kept as zeros rather than as one scalar 0; the groups' learning rates are checked before anything
/// changes rather than group by group; the sums ⟨g, θ₀ − θ⟩ and ‖s‖₁ are taken in float64 (torch's in the tensors'
/// dtype) over fixed chunks of 32768 elements, added in order, so that they do not depend on the thread count.</para>
/// <para><b>Principle:</b> D-Adaptation for Adam: the distance D from the start to the solution sets the ideal step
/// size, and D is bounded below by the ratio of the weighted sum of ⟨g, θ₀ − θ⟩ (how much the gradients have pointed
/// back towards the start) to the norm of the weighted sum of the gradients. Prodigy keeps d at the largest such lower
/// bound seen, weights the recent gradients by d itself so that the estimate grows geometrically from a tiny d₀, and
/// uses d both as the step size and in Adam's moments.</para>
/// <para><b>Strengths:</b> no learning rate to tune: d rises from d₀ to the scale of the problem within tens of steps
/// and then stays put; otherwise Adam's per-coordinate scaling, its robustness and its schedules (a cosine decay of the
/// multiplier lr still helps); decoupled weight decay and a warm-up (growth_rate) are built in.</para>
/// <para><b>Weaknesses:</b> d never decreases (growth_rate ≥ 1), so an overestimate early (noisy or badly scaled first
/// gradients) stays for the whole run; two more state buffers than Adam, s and the start θ₀ (slice_p trades accuracy
/// for that memory);
/// the estimate ties all groups together, so their learning rates cannot differ except by freezing a group with lr 0
/// (which, as in the reference, still applies that group's decoupled weight decay and any momentum it kept, and moves it
/// by γ·g/ε when β₁ = 0); two passes over the state per step instead of one.</para>
/// <para><b>Suits:</b> training deep networks (vision, language models, fine-tuning such as LoRA on diffusion models)
/// where a learning-rate search is too costly, and any problem whose scale is unknown in advance.</para>
/// </remarks>
public sealed class Prodigy : Optimizer<ProdigyOptions>
{
    private const int ChunkSize = OptimParallel.ChunkSize;

    private StepScalars _step;
    private Stepped[] _stepped = [];
    private int _steppedCount, _chunkCount;

    // The partial sums of ⟨g, θ₀ − θ⟩ and of |s| of each fixed chunk of each tensor stepped, added up in order after the pass.
    private double[] _dots = [], _sums = [];

    /// <summary>Creates Prodigy over <paramref name="parameters"/> with the authors' hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Multiplier of the estimated step size: 1 unless the run is unstable.</param>
    /// <param name="betas">Rates (β₁, β₂); default (0.9, 0.999).</param>
    /// <param name="beta3">Rate β₃ of the estimate's running sums; none: √β₂.</param>
    /// <param name="eps">Term ε (times d) added to the denominator.</param>
    /// <param name="weightDecay">Weight decay λ.</param>
    /// <param name="decouple">Decouple the weight decay (AdamW's); otherwise an L2 penalty in the gradient.</param>
    /// <param name="useBiasCorrection">Scale the step size by Adam's bias correction.</param>
    /// <param name="safeguardWarmup">Leave lr out of the estimate's running sum s.</param>
    /// <param name="d0">Initial estimate d₀ of the distance to the solution.</param>
    /// <param name="dCoef">Factor of the estimate of d.</param>
    /// <param name="growthRate">Largest factor by which d may grow per step; none: no limit.</param>
    /// <param name="sliceP">Estimate d from every sliceP-th element only.</param>
    public Prodigy(IEnumerable<Tensor> parameters, double lr = 1.0, (double, double)? betas = null, double? beta3 = null, double eps = 1e-8,
        double weightDecay = 0, bool decouple = true, bool useBiasCorrection = false, bool safeguardWarmup = false, double d0 = 1e-6,
        double dCoef = 1.0, double? growthRate = null, int sliceP = 1)
        : base(parameters, new ProdigyOptions(lr)
        {
            Betas = betas ?? (0.9, 0.999), Beta3 = beta3, Eps = eps, WeightDecay = weightDecay, Decouple = decouple,
            UseBiasCorrection = useBiasCorrection, SafeguardWarmup = safeguardWarmup, D0 = d0, DCoef = dCoef, GrowthRate = growthRate, SliceP = sliceP,
        })
    {
    }

    /// <summary>Creates Prodigy over parameter groups with the given defaults (each group may change them).</summary>
    public Prodigy(IEnumerable<ParamGroupSpec<ProdigyOptions>> groups, ProdigyOptions defaults) : base(groups, defaults)
    {
    }

    /// <summary>The current estimate d of the distance to the solution, which scales every step (d₀ before the first step).</summary>
    public double D => Estimate().D;

    /// <summary>The estimate's numbers as the latest step left them (the reference's group['d'], ['d_max'], ['d_numerator'], ['k']).</summary>
    private readonly record struct Scalars(double D, double DMax, double DNumerator, double K);

    /// <summary>What the whole step shares, fixed before any tensor is touched (the reference's locals).</summary>
    private readonly record struct StepScalars(Scalars Before, double Dlr, double Beta1, double Beta2, double Beta3, bool Decouple);

    /// <summary>A tensor of this step: what the second pass needs, and where its chunks' partial sums are.</summary>
    private readonly record struct Stepped(Tensor Parameter, Tensor Grad, ParamState State, ProdigyOptions Options,
        Tensor? ExpAvg, Tensor ExpAvgSq, int FirstChunk, int Chunks, double NumeratorScale);

    /// <summary>
    /// The numbers of the most recent step: the state with the largest k (a tensor without a gradient for a while keeps
    /// older ones); d₀ and zeros before any step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the per-step methods: optimised from the first step, no tier-up inside a run of steps
    private Scalars Estimate()
    {
        ParamState? latest = null;
        double latestK = -1;
        for (int gi = 0; gi < Groups.Count; gi++)
        {
            var parameters = Groups[gi].Parameters;
            for (int i = 0; i < parameters.Count; i++)
                if (StateByParameter.TryGetValue(parameters[i], out var state) && state.Numbers.TryGetValue("k", out double k) && k > latestK)
                    (latest, latestK) = (state, k);
        }
        double d0 = Defaults.D0;
        if (latest is null) return new Scalars(d0, d0, 0, 0);
        var n = latest.Numbers;
        return new Scalars(n.GetValueOrDefault("d", d0), n.GetValueOrDefault("d_max", d0), n.GetValueOrDefault("d_numerator"), latestK);
    }

    /// <summary>The length of <c>flatten()[::sliceP]</c> of a tensor of <paramref name="n"/> elements.</summary>
    private static int SlicedLength(int n, int sliceP) => (n + sliceP - 1) / sliceP;

    /// <summary>The flat <c>s</c> and <c>p0</c> hold one entry per slice_p-th element of the parameter.</summary>
    private protected override int[] StateShape(string name, Tensor parameter) =>
        name is "s" or "p0" ? [SlicedLength(parameter.NumEl, OptionsOf(parameter).SliceP)] : parameter.ShapeArray;

    private ProdigyOptions OptionsOf(Tensor parameter)
    {
        foreach (var group in Groups)
            foreach (var p in group.Parameters)
                if (ReferenceEquals(p, parameter)) return (ProdigyOptions)group.RuleOptions;
        throw new ArgumentException("the tensor is not a parameter of this optimizer", nameof(parameter));
    }

    /// <summary>
    /// Checks the groups' learning rates and fixes the step's scalars; sizes the bookkeeping for the tensors that have a
    /// gradient, and checks that their state fits their group's slice_p. Throws before anything changes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void BeginStep()
    {
        double lr = 0;
        foreach (var group in Groups) lr = Math.Max(lr, group.Lr);
        int tensors = 0, chunks = 0;
        for (int gi = 0; gi < Groups.Count; gi++)
        {
            var group = Groups[gi];
            if (group.Lr != lr && group.Lr != 0)
                throw new InvalidOperationException($"Prodigy's parameter groups may differ in lr only by being 0: group {gi} has lr {Require.Format(group.Lr)}, another {Require.Format(lr)}");
            int sliceP = ((ProdigyOptions)group.RuleOptions).SliceP;
            for (int i = 0; i < group.Parameters.Count; i++)
            {
                var p = group.Parameters[i];
                if (p.Grad is null) continue;
                tensors++;
                chunks += (p.NumEl + ChunkSize - 1) / ChunkSize;
                if (StateByParameter.TryGetValue(p, out var state) && state.Tensors.TryGetValue("s", out var s) && s.NumEl != SlicedLength(p.NumEl, sliceP))
                    throw new InvalidOperationException($"the state s of parameter {i} of group {gi} has {s.NumEl} entries, slice_p = {sliceP} needs {SlicedLength(p.NumEl, sliceP)}; slice_p cannot change once a parameter has state");
            }
        }
        if (_stepped.Length < tensors) _stepped = new Stepped[Math.Max(tensors, 2 * _stepped.Length)];
        if (_dots.Length < chunks)
        {
            _dots = new double[Math.Max(chunks, 2 * _dots.Length)];
            _sums = new double[_dots.Length];
        }
        _steppedCount = 0;
        _chunkCount = 0;

        var first = (ProdigyOptions)Groups[0].RuleOptions;
        var (beta1, beta2) = first.Betas;
        var before = Estimate();
        double biasCorrection = first.UseBiasCorrection ? Math.Pow(1 - Math.Pow(beta2, before.K + 1), 0.5) / (1 - Math.Pow(beta1, before.K + 1)) : 1;
        _step = new StepScalars(before, before.D * lr * biasCorrection, beta1, beta2, first.Beta3 ?? Math.Sqrt(beta2), first.Decouple);
    }

    /// <summary>The first pass over one tensor: its state on its first step, then the moments, s and the sums for d.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, ProdigyOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(grad);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        int length = SlicedLength(parameter.NumEl, options.SliceP);
        var s = FlatBuffer(state, "s", parameter, length, options.SliceP, copyParameter: false);
        var p0 = FlatBuffer(state, "p0", parameter, length, options.SliceP, copyParameter: true);
        var m = _step.Beta1 > 0 ? state.Buffer("exp_avg", parameter) : null;
        var v = state.Buffer("exp_avg_sq", parameter);

        double d = _step.Before.D, ratio = d / options.D0;
        int chunks = (parameter.NumEl + ChunkSize - 1) / ChunkSize;
        _stepped[_steppedCount++] = new Stepped(parameter, grad, state, options, m, v, _chunkCount, chunks, ratio * _step.Dlr);
        if (options.Lr > 0 && parameter.NumEl > 0)
        {
            double sScale = ratio * (options.SafeguardWarmup ? d : _step.Dlr);
            if (parameter.DType == DType.Float32) FirstPass<float>(parameter, grad, m, v, s, p0, options, sScale);
            else FirstPass<double>(parameter, grad, m, v, s, p0, options, sScale);
        }
        _chunkCount += chunks; // a frozen group's (lr 0) are left as they are: EndStep does not read them
    }

    /// <summary>The flat state tensor <paramref name="name"/>: zeros, or every slice_p-th element of the parameter (p0), on first use.</summary>
    private static Tensor FlatBuffer(ParamState state, string name, Tensor parameter, int length, int sliceP, bool copyParameter)
    {
        if (state.Tensors.TryGetValue(name, out var buffer)) return buffer;
        buffer = Tensor.Zeros([length], parameter.DType);
        if (copyParameter)
        {
            if (parameter.DType == DType.Float32) CopySliced(parameter.AsSpan<float>(), buffer.AsSpan<float>(), sliceP);
            else CopySliced(parameter.AsSpan<double>(), buffer.AsSpan<double>(), sliceP);
        }
        state.Tensors[name] = buffer;
        return buffer;
    }

    private static void CopySliced<T>(ReadOnlySpan<T> from, Span<T> to, int sliceP)
    {
        for (int j = 0; j < to.Length; j++) to[j] = from[j * sliceP];
    }

    /// <summary>
    /// Adds up the first pass's sums (in the tensors' order, as the reference), returns early when Σ‖s‖₁ = 0, else updates
    /// d and runs the second pass (the step itself) over every tensor that had a gradient.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private protected override void EndStep()
    {
        try
        {
            double deltaNumerator = 0, denominator = 0;
            for (int e = 0; e < _steppedCount; e++)
            {
                ref readonly var t = ref _stepped[e];
                if (t.Options.Lr == 0) continue;
                double dot = 0, sum = 0;
                for (int c = t.FirstChunk; c < t.FirstChunk + t.Chunks; c++)
                {
                    dot += _dots[c];
                    sum += _sums[c];
                }
                deltaNumerator += t.NumeratorScale * dot;
                denominator += sum;
            }
            if (denominator == 0) return; // no progress yet (every gradient zero so far): the reference returns here

            var first = (ProdigyOptions)Groups[0].RuleOptions;
            var before = _step.Before;
            double numerator = before.DNumerator * _step.Beta3 + deltaNumerator;
            double dHat = first.DCoef * numerator / denominator;
            double d = before.D, dMax = before.DMax;
            // The reference compares with the d0 of the last group (the loop variable left over from the first pass).
            if (d == ((ProdigyOptions)Groups[^1].RuleOptions).D0) d = PythonMax(d, dHat);
            dMax = PythonMax(dMax, dHat);
            d = PythonMin(dMax, d * (first.GrowthRate ?? double.PositiveInfinity));

            SecondPass(d);
            for (int e = 0; e < _steppedCount; e++)
            {
                var numbers = _stepped[e].State.Numbers;
                numbers["d"] = d;
                numbers["d_max"] = dMax;
                numbers["d_numerator"] = numerator;
                numbers["d_hat"] = dHat;
                numbers["k"] = before.K + 1;
            }
        }
        finally
        {
            Array.Clear(_stepped, 0, _steppedCount); // no references kept between steps
            _steppedCount = 0;
        }
    }

    /// <summary>The step of every tensor with the new <paramref name="d"/> (and the step size γ of the first pass), as one fused parallel job.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SecondPass(double d)
    {
        using var batch = OptimParallel.Batch();
        for (int e = 0; e < _steppedCount; e++)
        {
            ref readonly var t = ref _stepped[e];
            t.State.Step++;
            var o = t.Options;
            bool momentum = _step.Beta1 > 0;
            FusedUpdate.Run(t.Parameter, t.Grad, maximize: false, new ProdigyStepRule<float>(o, _step.Dlr, d, _step.Decouple, momentum),
                new ProdigyStepRule<double>(o, _step.Dlr, d, _step.Decouple, momentum), momentum ? t.ExpAvg : null, t.ExpAvgSq);
        }
    }

    /// <summary>Python's max(a, b): a unless b &gt; a (so a NaN d̂ leaves d as it is).</summary>
    private static double PythonMax(double a, double b) => b > a ? b : a;

    /// <summary>Python's min(a, b): a unless b &lt; a.</summary>
    private static double PythonMin(double a, double b) => b < a ? b : a;

    /// <summary>Queues the first pass over one tensor, with the step's scalars and its group's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FirstPass<T>(Tensor parameter, Tensor grad, Tensor? m, Tensor v, Tensor s, Tensor p0, ProdigyOptions o, double sScale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double d = _step.Before.D;
        var kernel = new ProdigyFirstPassKernel<T>
        {
            P = (T[])parameter.Storage, POff = parameter.Offset, G = (T[])grad.Storage, GOff = grad.Offset,
            M = (T[]?)m?.Storage ?? [], MOff = m?.Offset ?? 0, HasM = m is not null,
            V = (T[])v.Storage, VOff = v.Offset, S = (T[])s.Storage, SOff = s.Offset, P0 = (T[])p0.Storage, P0Off = p0.Offset,
            Beta1 = T.CreateTruncating(_step.Beta1), MScale = T.CreateTruncating(d * (1 - _step.Beta1)),
            Beta2 = T.CreateTruncating(_step.Beta2), VScale = T.CreateTruncating(d * d * (1 - _step.Beta2)),
            Beta3 = T.CreateTruncating(_step.Beta3), SScale = T.CreateTruncating(sScale),
            Decay = T.CreateTruncating(o.WeightDecay), Coupled = o.WeightDecay != 0 && !_step.Decouple,
            SliceP = o.SliceP, Dots = _dots, Sums = _sums, FirstChunk = _chunkCount,
        };
        OptimParallel.For(ref kernel, parameter.NumEl);
    }
}

/// <summary>
/// Prodigy's first pass over one tensor, in the reference's order: g (with the coupled decay), m, v and, at every
/// slice_p-th element, ⟨g, θ₀ − θ⟩ and s, whose sums over each fixed chunk go to <see cref="Dots"/> and <see cref="Sums"/>
/// (accumulated in float64), so that the totals do not depend on how the chunks are shared among threads.
/// </summary>
internal struct ProdigyFirstPassKernel<T> : IChunkKernel where T : unmanaged, IFloatingPointIeee754<T>
{
    public T[] P, G, M, V, S, P0;
    public int POff, GOff, MOff, VOff, SOff, P0Off;
    public bool HasM, Coupled;
    public T Beta1, MScale, Beta2, VScale, Beta3, SScale, Decay;
    public int SliceP, FirstChunk;
    public double[] Dots, Sums;

    /// <summary>Elements [start, end): whole chunks of <see cref="OptimParallel.ChunkSize"/> (start is always a chunk's start).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void Run(int start, int end)
    {
        for (int c = start; c < end; c += OptimParallel.ChunkSize) Chunk(c, Math.Min(end, c + OptimParallel.ChunkSize));
    }

    /// <summary>One chunk in one pass: every element's m and v, and at every slice_p-th element its term of the sums and its s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private readonly void Chunk(int start, int end)
    {
        int n = end - start, sliceP = SliceP, first = (start + sliceP - 1) / sliceP; // the first s entry of the chunk
        var theta = P.AsSpan(POff + start, n);
        var grad = G.AsSpan(GOff + start, n);
        var m = HasM ? M.AsSpan(MOff + start, n) : default;
        var v = V.AsSpan(VOff + start, n);
        var s = S.AsSpan(SOff + first, (end + sliceP - 1) / sliceP - first);
        var p0 = P0.AsSpan(P0Off + first, s.Length);
        T beta1 = Beta1, mScale = MScale, beta2 = Beta2, vScale = VScale, beta3 = Beta3, sScale = SScale, decay = Decay;
        bool hasM = HasM, coupled = Coupled;
        double dot = 0, sum = 0;
        for (int i = 0, next = first * sliceP - start, j = 0; i < n; i++)
        {
            T g = coupled ? grad[i] + decay * theta[i] : grad[i];
            if (hasM) m[i] = m[i] * beta1 + mScale * g;
            v[i] = v[i] * beta2 + vScale * g * g;
            if (i != next) continue;
            dot += double.CreateTruncating(g) * double.CreateTruncating(p0[j] - theta[i]);
            s[j] = s[j] * beta3 + sScale * g;
            sum += double.CreateTruncating(T.Abs(s[j]));
            j++;
            next += sliceP;
        }
        int chunk = FirstChunk + start / OptimParallel.ChunkSize;
        Dots[chunk] = dot;
        Sums[chunk] = sum;
    }
}

/// <summary>
/// Prodigy's second pass, the step, of one element: the decoupled decay, then θ − γ·m/(√v + d·ε) (with β₁ = 0,
/// θ − γd·g/(√v + d·ε)), γ being the first pass's step size and d the new estimate. State: s0 = exp_avg, s1 = exp_avg_sq.
/// </summary>
internal readonly struct ProdigyStepRule<T> : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _decoupled, _coupled, _dEps, _scale;
    private readonly bool _hasDecoupled, _hasCoupled, _hasMomentum;

    /// <summary>The rule with the step size <paramref name="dlr"/> (γ) and the new estimate <paramref name="d"/>.</summary>
    public ProdigyStepRule(ProdigyOptions o, double dlr, double d, bool decouple, bool hasMomentum)
    {
        bool decay = o.WeightDecay != 0;
        _hasMomentum = hasMomentum;
        _hasDecoupled = decay && decouple;
        _hasCoupled = decay && !decouple && !hasMomentum; // g itself is only read without momentum
        _decoupled = T.CreateTruncating(-o.WeightDecay * dlr);
        _coupled = T.CreateTruncating(o.WeightDecay);
        _dEps = T.CreateTruncating(d * o.Eps);
        _scale = T.CreateTruncating(hasMomentum ? -dlr : -dlr * d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T m, ref T v, ref T unused)
    {
        if (_hasCoupled) g += _coupled * theta;
        if (_hasDecoupled) theta += _decoupled * theta;
        T denom = T.Sqrt(v) + _dEps;
        return theta + _scale * (_hasMomentum ? m : g) / denom;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> m, ref Vector<T> v, ref Vector<T> unused)
    {
        if (_hasCoupled) g += _coupled * theta;
        if (_hasDecoupled) theta += _decoupled * theta;
        var denom = Vector.SquareRoot(v) + new Vector<T>(_dEps);
        return theta + _scale * (_hasMomentum ? m : g) / denom;
    }
}
