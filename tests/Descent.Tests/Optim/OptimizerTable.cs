using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>Every first-order optimizer with a configuration that turns on most of its options: generic tests run over it.</summary>
internal static class OptimizerTable
{
    public static readonly Dictionary<string, Func<IEnumerable<Tensor>, Optimizer>> Factories = new()
    {
        ["SGD"] = p => new SGD(p, lr: 0.01),
        ["Momentum"] = p => new Momentum(p, lr: 0.01, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3),
        ["Nesterov"] = p => new Nesterov(p, lr: 0.01, momentum: 0.9, weightDecay: 1e-4, maximize: true),
        ["Adagrad"] = p => new Adagrad(p, lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1),
        ["Adadelta"] = p => new Adadelta(p, lr: 0.5, rho: 0.95, weightDecay: 0.01),
        ["RMSprop"] = p => new RMSprop(p, lr: 0.01, alpha: 0.9, weightDecay: 0.01, momentum: 0.9, centered: true),
        ["Adam"] = p => new Adam(p, lr: 0.01, weightDecay: 0.01, amsgrad: true),
        ["AdamW"] = p => new AdamW(p, lr: 0.01, betas: (0.8, 0.99)),
        ["Adamax"] = p => new Adamax(p, lr: 0.02, weightDecay: 0.01),
        ["NAdam"] = p => new NAdam(p, lr: 0.02, weightDecay: 0.01),
        ["RAdam"] = p => new RAdam(p, lr: 0.01, weightDecay: 0.01),
        ["Rprop"] = p => new Rprop(p, lr: 0.01, maximize: false),
    };

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in Factories.Keys) data.Add(name);
        return data;
    }

    /// <summary>Deterministic pseudo-random gradients for step <paramref name="t"/> of parameter <paramref name="i"/>.</summary>
    public static Tensor Gradient(Tensor p, int t, int i)
    {
        var g = Tensor.Zeros(p.Shape, p.DType);
        var r = new Random(1000 * t + i);
        if (p.DType == DType.Float32) { var s = g.AsSpan<float>(); for (int k = 0; k < s.Length; k++) s[k] = (float)(r.NextDouble() * 2 - 1); }
        else { var s = g.AsSpan<double>(); for (int k = 0; k < s.Length; k++) s[k] = r.NextDouble() * 2 - 1; }
        return g;
    }

    public static Tensor[] Parameters(DType dtype, params int[][] shapes) =>
        [.. shapes.Select((s, i) => { var t = Gradient(Tensor.Zeros(s, dtype), 99, i); t.RequiresGrad = true; return t; })];
}
