using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;
using static Descent.Kernels.VectorFma;

namespace Descent.Optim;

/// <summary>
/// A rule run on the clipped gradient: g·c, then <typeparamref name="TRule"/>. The factor c is the step's
/// min(1, maxNorm / (‖g‖ + 1e-6)) rounded to T, as <see cref="GradientClipping.ClipGradNorm"/> multiplies a gradient by
/// it in place; here the product is formed in registers on its way into the rule, so the gradient is read once and never
/// written. (−g)·c is −(g·c) exactly, so clipping before or after the maximize sign gives the same bits.
/// </summary>
internal readonly struct Clipped<T, TRule>(double factor, TRule rule) : IUpdateRule<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TRule : struct, IUpdateRule<T>
{
    private readonly T _factor = T.CreateTruncating(factor);
    private readonly TRule _rule = rule;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T s0, ref T s1, ref T s2) => _rule.Update(theta, g * _factor, ref s0, ref s1, ref s2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> s0, ref Vector<T> s1, ref Vector<T> s2) =>
        _rule.Update(theta, g * _factor, ref s0, ref s1, ref s2);
}

/// <summary>
/// The update of one element by a chain whose scaling is <see cref="Transforms.ScaleBySign"/>: the Adam family's weight
/// decay, SGD's momentum (with <see cref="Transforms.Trace"/> before the sign), then Lion's signed step θ − γ·sign(u).
/// State: s0 = momentum_buffer (when μ ≠ 0).
/// </summary>
internal readonly struct SignRule<T>(SignOptions o, bool firstStep) : IUpdateRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly WeightDecay<T> _weightDecay = new(o.Lr, o.WeightDecay, o.DecoupledWeightDecay);
    private readonly T _lr = T.CreateTruncating(o.Lr), _momentum = T.CreateTruncating(o.Momentum), _oneMinusDampening = T.CreateTruncating(1 - o.Dampening);
    private readonly bool _hasMomentum = o.Momentum != 0, _nesterov = o.Nesterov;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Update(T theta, T g, ref T b, ref T unused1, ref T unused2)
    {
        _weightDecay.Apply(ref theta, ref g);
        if (_hasMomentum)
        {
            b = firstStep ? g : T.FusedMultiplyAdd(g, _oneMinusDampening, b * _momentum);
            g = _nesterov ? T.FusedMultiplyAdd(b, _momentum, g) : b;
        }
        return theta - _lr * Sign(g);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<T> Update(Vector<T> theta, Vector<T> g, ref Vector<T> b, ref Vector<T> unused1, ref Vector<T> unused2)
    {
        _weightDecay.Apply(ref theta, ref g);
        if (_hasMomentum)
        {
            b = firstStep ? g : Fma(g, new Vector<T>(_oneMinusDampening), b * _momentum);
            g = _nesterov ? Fma(b, new Vector<T>(_momentum), g) : b;
        }
        return theta - Sign(g) * _lr;
    }

    /// <summary>1, −1 or 0 (a zero keeps its sign, so a zero update does not move); NaN stays NaN.</summary>
    private static T Sign(T u) => u > T.Zero ? T.One : u < T.Zero ? T.NegativeOne : u * T.Zero;

    private static Vector<T> Sign(Vector<T> u) =>
        Vector.ConditionalSelect(Vector.GreaterThan(u, Vector<T>.Zero), Vector<T>.One,
            Vector.ConditionalSelect(Vector.LessThan(u, Vector<T>.Zero), -Vector<T>.One, u * Vector<T>.Zero));
}

/// <summary>
/// A chain's step of one parameter, by the named optimizer its scaling lowers to: the same state buffers under the same
/// names, the same per-step scalars in double, and the named optimizer's own rule struct, wrapped in
/// <see cref="Clipped{T, TRule}"/> when the chain clips. One fused pass, as the named optimizer's.
/// </summary>
internal static class ChainSteps
{
    /// <summary>Applies the rule of <paramref name="options"/>' optimizer; <paramref name="clip"/> is the step's factor, or null.</summary>
    public static void Run(Tensor parameter, Tensor grad, ParamState state, OptimizerOptions options, double? clip)
    {
        switch (options)
        {
            case AdamOptions o: Adam(parameter, grad, state, o, clip); break;
            case SGDOptions o: Sgd(parameter, grad, state, o, clip); break;
            case RMSpropOptions o: Rms(parameter, grad, state, o, clip); break;
            case LionOptions o: Lion(parameter, grad, state, o, clip); break;
            case SignOptions o: Sign(parameter, grad, state, o, clip); break;
            default: throw new InvalidOperationException($"a chain has no rule for {options.GetType().Name}");
        }
    }

    private static void Adam(Tensor p, Tensor g, ParamState state, AdamOptions o, double? clip)
    {
        var m = state.Buffer("exp_avg", p);
        var v = state.Buffer("exp_avg_sq", p);
        Tensor? vmax = o.AmsGrad ? state.Buffer("max_exp_avg_sq", p) : null;
        var step = new AdamStep(o, ++state.Step);
        Fused(p, g, o.Maximize, clip, new AdamRule<float>(step), new AdamRule<double>(step), m, v, vmax);
    }

    private static void Sgd(Tensor p, Tensor g, ParamState state, SGDOptions o, double? clip)
    {
        var (buffer, first) = Momentum(p, state, o.Momentum);
        state.Step++;
        Fused(p, g, o.Maximize, clip, new SgdRule<float>(o, first), new SgdRule<double>(o, first), buffer);
    }

    private static void Rms(Tensor p, Tensor g, ParamState state, RMSpropOptions o, double? clip)
    {
        var v = state.Buffer("square_avg", p);
        var b = o.Momentum > 0 ? state.Buffer("momentum_buffer", p) : null;
        var mean = o.Centered ? state.Buffer("grad_avg", p) : null;
        state.Step++;
        Fused(p, g, o.Maximize, clip, new RmspropRule<float>(o), new RmspropRule<double>(o), v, mean, b);
    }

    private static void Lion(Tensor p, Tensor g, ParamState state, LionOptions o, double? clip)
    {
        var m = state.Buffer("exp_avg", p);
        state.Step++;
        Fused(p, g, o.Maximize, clip, new LionRule<float>(o), new LionRule<double>(o), m);
    }

    private static void Sign(Tensor p, Tensor g, ParamState state, SignOptions o, double? clip)
    {
        var (buffer, first) = Momentum(p, state, o.Momentum);
        state.Step++;
        Fused(p, g, o.Maximize, clip, new SignRule<float>(o, first), new SignRule<double>(o, first), buffer);
    }

    /// <summary>SGD's momentum buffer when μ ≠ 0, and whether this is its first step (the buffer then starts as the gradient).</summary>
    private static (Tensor? Buffer, bool First) Momentum(Tensor p, ParamState state, double momentum)
    {
        if (momentum == 0) return (null, false);
        bool first = !state.Tensors.ContainsKey("momentum_buffer");
        return (state.Buffer("momentum_buffer", p), first);
    }

    private static void Fused<TRule32, TRule64>(Tensor p, Tensor g, bool maximize, double? clip, TRule32 rule32, TRule64 rule64,
        Tensor? s0 = null, Tensor? s1 = null, Tensor? s2 = null)
        where TRule32 : struct, IUpdateRule<float>
        where TRule64 : struct, IUpdateRule<double>
    {
        if (clip is not double c) FusedUpdate.Run(p, g, maximize, rule32, rule64, s0, s1, s2);
        else FusedUpdate.Run(p, g, maximize, new Clipped<float, TRule32>(c, rule32), new Clipped<double, TRule64>(c, rule64), s0, s1, s2);
    }
}
