using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>
/// The generic tests' view of <see cref="OptimizerRegistry"/>: every first-order entry with each of its valid
/// configurations, keyed "name" for the first and "name#k" for the k-th. A new optimizer needs no line here.
/// </summary>
internal static class OptimizerTable
{
    public static readonly Dictionary<string, Func<IEnumerable<Tensor>, FirstOrderOptimizer>> Factories = Build();

    private static Dictionary<string, Func<IEnumerable<Tensor>, FirstOrderOptimizer>> Build()
    {
        var factories = new Dictionary<string, Func<IEnumerable<Tensor>, FirstOrderOptimizer>>(StringComparer.Ordinal);
        foreach (var info in OptimizerRegistry.All.Where(i => !i.NeedsClosure))
        {
            for (int k = 0; k < info.ValidConfigurations.Count; k++)
            {
                var options = info.ValidConfigurations[k];
                factories[k == 0 ? info.Name : $"{info.Name}#{k}"] = p => (FirstOrderOptimizer)info.Create(p, options);
            }
        }
        return factories;
    }

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
