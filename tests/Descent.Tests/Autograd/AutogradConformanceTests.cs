using System.Text.Json.Nodes;
using Descent.Tests.Conformance;

namespace Descent.Tests.Autograd;

/// <summary>Every case of every autograd-*.json: output and input gradients against PyTorch's float64 values.</summary>
public class AutogradConformanceTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, (JsonObject Case, JsonObject File)>> AllCases =
        new(() => ReferenceFiles.Cases("autograd"));

    public static TheoryData<string> Ids => ReferenceFiles.Ids("autograd");

    [Theory]
    [MemberData(nameof(Ids))]
    [Trait("Category", "Conformance")]
    public void MatchesPyTorch(string id)
    {
        var (c, file) = AllCases.Value[id];
        // A file may give tolerances per dtype; the case's dtype is that of its floating-point inputs.
        var dtype = c["inputs"]!.AsArray().Select(n => n!["dtype"]?.GetValue<string>()).FirstOrDefault(d => d is "float32" or "float64");
        var tolerance = Tolerance.FromFile(file, dtype);
        try
        {
            var inputs = c["inputs"]!.AsArray().Select(n => BuildInput(n!.AsObject())).ToArray();
            var args = c["arguments"] as JsonObject ?? [];
            var output = AutogradOpTable.Run(c["op"]!.GetValue<string>(), args, inputs);

            var expected = c["expected_output"]!.AsObject();
            CheckShape(tolerance, "output shape", output.Shape, ReferenceFiles.Ints(expected["shape"]));
            tolerance.Check("output", output.ToDoubleArray(), ReferenceFiles.Doubles(expected["data"]));

            var upstreamNode = c["upstream"]!.AsObject();
            var upstream = Tensor.FromArray(ReferenceFiles.Doubles(upstreamNode["data"]), ReferenceFiles.Ints(upstreamNode["shape"])).To(output.DType);
            if (output.RequiresGrad) output.Backward(upstream);

            var grads = c["expected_gradients"]!.AsArray();
            for (int i = 0; i < grads.Count; i++)
            {
                if (grads[i] is not JsonObject g) continue;
                var actual = inputs[i].Grad?.ToDoubleArray() ?? new double[inputs[i].NumEl];
                tolerance.Check($"grad[{i}]", actual, ReferenceFiles.Doubles(g["data"]));
            }
        }
        catch
        {
            ConformanceReport.Crashed("autograd-reference", id);
            throw;
        }
        ConformanceReport.Finish("autograd-reference", id, tolerance);
    }

    private static Tensor BuildInput(JsonObject input)
    {
        var shape = ReferenceFiles.Ints(input["shape"]);
        var data = ReferenceFiles.Doubles(input["data"]);
        bool requiresGrad = input["requires_grad"]?.GetValue<bool>() ?? false;
        return input["dtype"]?.GetValue<string>() switch
        {
            "int64" => Tensor.FromArray(data.Select(v => (long)v).ToArray(), shape),
            "float32" => Tensor.FromArray(data.Select(v => (float)v).ToArray(), shape, requiresGrad),
            _ => Tensor.FromArray(data, shape, requiresGrad),
        };
    }

    private static void CheckShape(Tolerance tolerance, string what, int[] actual, int[] expected)
    {
        if (!actual.SequenceEqual(expected))
            tolerance.Failures.Add($"{what}: got [{string.Join(", ", actual)}], expected [{string.Join(", ", expected)}]");
    }

    [Fact]
    public void EveryPublicOpIsMapped()
    {
        var ops = AllCases.Value.Values.Select(v => v.Case["op"]!.GetValue<string>()).Distinct().ToArray();
        Assert.NotEmpty(ops);
        Assert.All(ops, op => Assert.True(AutogradOpTable.Knows(op), $"op {op} has no mapping"));
    }
}
