using System.Text.Json.Nodes;
using Descent.Optim;
using Descent.Tests.Conformance;

namespace Descent.Tests.Optim;

/// <summary>
/// Runs every case of every <c>optim-*.json</c> (PyTorch 1.13's single-tensor optimizers): gradient cases set
/// <c>Grad</c> before each step, function cases step with a closure that evaluates the function on tensors. A case with
/// <c>expected_state</c> also checks, after every step, each named state entry of each parameter through the optimizer's
/// public state (<see cref="Optimizer.StateOf"/>): the tensor of that PyTorch key, or the scalar of that key.
/// </summary>
public class OptimizerConformanceTests
{
    private const string Format = "optimizer-reference";

    public static TheoryData<string> CaseIds => ReferenceFiles.Ids("optim");

    private static readonly Lazy<IReadOnlyDictionary<string, (JsonObject Case, JsonObject File)>> AllCases = new(() => ReferenceFiles.Cases("optim"));

    [Theory, Trait("Category", "Conformance")]
    [MemberData(nameof(CaseIds))]
    public void MatchesPyTorch(string id)
    {
        var (c, file) = AllCases.Value[id];
        try
        {
            var tolerance = Tolerance.FromFile(file, c["dtype"]!.GetValue<string>());
            Run(c, tolerance);
            ConformanceReport.Finish(Format, id, tolerance);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            ConformanceReport.Crashed(Format, id);
            throw;
        }
    }

    private static void Run(JsonObject c, Tolerance tolerance)
    {
        var dtype = c["dtype"]!.GetValue<string>() == "float32" ? DType.Float32 : DType.Float64;
        var shapes = c["shapes"]!.AsArray().Select(ReferenceFiles.Ints).ToArray();
        var initial = c["initial"]!.AsArray().Select(ReferenceFiles.Doubles).ToArray();
        var parameters = shapes.Select((s, i) => Make(initial[i], s, dtype, requiresGrad: true)).ToArray();
        var groups = c["groups"] is JsonArray g
            ? g.Select(x => (ReferenceFiles.Ints(x!["parameters"]).Select(i => parameters[i]).ToArray(), (JsonObject?)x["hyperparameters"]!.AsObject())).ToList()
            : [(parameters, null)];
        var optimizer = OptimizerFactory.Create(c["optimizer"]!.GetValue<string>(), c["hyperparameters"]!.AsObject(), groups);
        int steps = c["steps"]!.GetValue<int>();
        var expected = c["expected"]!.AsArray();
        var expectedState = c["expected_state"]?.AsObject();
        bool function = c["kind"]!.GetValue<string>() == "function";
        var losses = function ? ReferenceFiles.Doubles(c["losses"]) : null;
        var gradients = function ? null : c["gradients"]!.AsArray();
        for (int t = 0; t < steps; t++)
        {
            if (function)
            {
                var f = TestFunctions.Get(c["function"]!.GetValue<string>());
                var x = parameters[0];
                var loss = optimizer.Step(() =>
                {
                    optimizer.ZeroGrad();
                    var l = f(x);
                    l.Backward();
                    return l;
                });
                tolerance.Check($"loss[{t}]", [loss.Item()], [losses![t]]);
            }
            else
            {
                var gt = gradients![t]!.AsArray();
                for (int i = 0; i < parameters.Length; i++)
                    parameters[i].Grad = gt[i] is null ? null : Make(ReferenceFiles.Doubles(gt[i]), shapes[i], dtype, requiresGrad: false);
                ((FirstOrderOptimizer)optimizer).Step();
            }
            var et = expected[t]!.AsArray();
            for (int i = 0; i < parameters.Length; i++)
                tolerance.Check($"step {t + 1} parameter {i}", parameters[i].ToDoubleArray(), ReferenceFiles.Doubles(et[i]));
            if (expectedState is not null) CheckState(optimizer, parameters, expectedState, t, tolerance);
            if (!tolerance.Passed) break;
        }
    }

    /// <summary>Compares every entry of <c>expected_state</c> after step t + 1 with the optimizer's state of the same key.</summary>
    private static void CheckState(Optimizer optimizer, Tensor[] parameters, JsonObject expectedState, int t, Tolerance tolerance)
    {
        foreach (var (name, perStep) in expectedState)
        {
            var et = perStep!.AsArray()[t]!.AsArray();
            for (int i = 0; i < parameters.Length; i++)
            {
                if (et[i] is null) continue; // PyTorch holds no state for a parameter that never had a gradient
                var state = optimizer.StateOf(parameters[i]);
                Assert.True(state is not null, $"step {t + 1}: the optimizer holds no state for parameter {i}");
                tolerance.Check($"step {t + 1} state {name} of parameter {i}", StateValues(state!, name, i), ReferenceFiles.Doubles(et[i]));
            }
        }
    }

    /// <summary>The state entry named <paramref name="name"/> (PyTorch's key), flattened: a state tensor, or a scalar.</summary>
    private static double[] StateValues(ParamState state, string name, int parameter)
    {
        if (state.Tensors.TryGetValue(name, out var tensor)) return tensor.ToDoubleArray();
        if (state.Numbers.TryGetValue(name, out var number)) return [number];
        if (name == "step") return [state.Step];
        Assert.Fail($"parameter {parameter}'s state has no '{name}'; it has {string.Join(", ", state.Tensors.Keys.Concat(state.Numbers.Keys))}");
        return [];
    }

    internal static Tensor Make(double[] values, int[] shape, DType dtype, bool requiresGrad) => dtype == DType.Float32
        ? Tensor.FromArray(values.Select(v => (float)v).ToArray(), shape, requiresGrad)
        : Tensor.FromArray(values, shape, requiresGrad);
}

/// <summary>The closed-form test functions of the reference files, evaluated on tensors so autograd differentiates them.</summary>
internal static class TestFunctions
{
    public static Func<Tensor, Tensor> Get(string name) => name switch
    {
        "square" => x => (x * x).Sum(),
        "rosenbrock" => Rosenbrock,
        "quadratic5" => Quadratic5,
        "beale" => Beale,
        _ => throw new NotSupportedException($"unknown test function {name}"),
    };

    private static Tensor Rosenbrock(Tensor v)
    {
        var (x, y) = (v.Select(0, 0), v.Select(0, 1));
        return (1.0 - x).Square() + 100.0 * (y - x * x).Square();
    }

    private static Tensor Quadratic5(Tensor x)
    {
        var a = Tensor.FromArray(new[] { 0.1, 0.5, 1, 4, 10 }).To(x.DType);
        var c = Tensor.FromArray(new[] { 1, -2, 0.5, 3, -1 }).To(x.DType);
        return 0.5 * (a * (x - c).Square()).Sum();
    }

    private static Tensor Beale(Tensor v)
    {
        var (x, y) = (v.Select(0, 0), v.Select(0, 1));
        return (1.5 - x + x * y).Square() + (2.25 - x + x * y * y).Square() + (2.625 - x + x * y * y * y).Square();
    }
}

/// <summary>A case's hyperparameters by PyTorch's names, as a state dict holds them.</summary>
internal static class Hyper
{
    /// <summary>The values as a state-dict hyperparameter dictionary (numbers as double, pairs as double[]).</summary>
    public static Dictionary<string, object> ToDictionary(JsonObject o)
    {
        var d = new Dictionary<string, object>();
        foreach (var (k, v) in o)
        {
            switch (v)
            {
                case null: break;
                case JsonArray a: d[k] = a.Select(x => x!.GetValue<double>()).ToArray(); break;
                case JsonValue jv when jv.TryGetValue<bool>(out var b): d[k] = b; break;
                case JsonValue jv when jv.TryGetValue<string>(out var s): d[k] = s; break;
                default: d[k] = v.GetValue<double>(); break;
            }
        }
        return d;
    }
}

/// <summary>The registry entry of PyTorch's class, its defaults changed by the case's values and each group's overrides.</summary>
internal static class OptimizerFactory
{
    public static Optimizer Create(string name, JsonObject hyperparameters, List<(Tensor[] Params, JsonObject? Overrides)> groups)
    {
        var info = OptimizerRegistry.ForTorchName(name) ?? throw new NotSupportedException($"the registry has no optimizer {name}");
        var options = info.Defaults.WithValues(Hyper.ToDictionary(hyperparameters));
        return info.Create(groups.Select(g => ((IEnumerable<Tensor>)g.Params, g.Overrides is null ? null : (IReadOnlyDictionary<string, object>)Hyper.ToDictionary(g.Overrides))), options);
    }
}
