using System.Text.Json.Nodes;
using Descent.NN;
using Descent.Tests.Conformance;
using F = Descent.NN.Functional;

namespace Descent.Tests.Autograd;

/// <summary>
/// Maps an <c>op</c> of the autograd reference files, with its PyTorch-named <c>arguments</c>, to Descent calls.
/// Every argument PyTorch's function takes is mapped, so that cases with other arguments than the public ones run.
/// </summary>
internal static class AutogradOpTable
{
    private delegate Tensor Op(JsonObject args, Tensor[] x);

    private static readonly Dictionary<string, Op> Ops = new(StringComparer.Ordinal)
    {
        ["add"] = (a, x) => x[0] + Other(a, x) * Dbl(a, "alpha", 1),
        ["sub"] = (a, x) => x[0] - Other(a, x) * Dbl(a, "alpha", 1),
        ["mul"] = (a, x) => x[0] * Other(a, x),
        ["div"] = (a, x) => x[0] / Other(a, x),
        ["pow"] = (a, x) => x.Length > 1 ? x[0].Pow(x[1]) : x[0].Pow(Dbl(a, "exponent", 1)),
        ["maximum"] = (_, x) => x[0].Maximum(x[1]),
        ["minimum"] = (_, x) => x[0].Minimum(x[1]),
        ["neg"] = (_, x) => -x[0],
        ["exp"] = (_, x) => x[0].Exp(),
        ["log"] = (_, x) => x[0].Log(),
        ["sqrt"] = (_, x) => x[0].Sqrt(),
        ["abs"] = (_, x) => x[0].Abs(),
        ["tanh"] = (_, x) => x[0].Tanh(),
        ["sigmoid"] = (_, x) => x[0].Sigmoid(),
        ["relu"] = (_, x) => x[0].Relu(),
        ["square"] = (_, x) => x[0].Square(),
        ["reciprocal"] = (_, x) => x[0].Reciprocal(),
        ["sin"] = (_, x) => x[0].Sin(),
        ["cos"] = (_, x) => x[0].Cos(),
        ["softplus"] = (a, x) => F.Softplus(x[0], Dbl(a, "beta", 1), Dbl(a, "threshold", 20)),
        ["gelu"] = (a, x) => F.Gelu(x[0], Str(a, "approximate", "none")),
        ["elu"] = (a, x) => F.Elu(x[0], Dbl(a, "alpha", 1)),
        ["leaky_relu"] = (a, x) => F.LeakyRelu(x[0], Dbl(a, "negative_slope", 0.01)),
        ["clamp"] = (a, x) => x[0].Clamp(NullableDbl(a, "min"), NullableDbl(a, "max")),
        ["pow_scalar"] = (a, x) => x[0].Pow(Dbl(a, "exponent", 1)),
        ["sum"] = (a, x) => x[0].Sum(Dims(a, x[0]), Bool(a, "keepdim", false)),
        ["mean"] = (a, x) => x[0].Mean(Dims(a, x[0]), Bool(a, "keepdim", false)),
        ["max"] = (a, x) => a["dim"] is null ? x[0].Max() : x[0].Max(Int(a, "dim"), Bool(a, "keepdim", false)).Values,
        ["min"] = (a, x) => a["dim"] is null ? x[0].Min() : x[0].Min(Int(a, "dim"), Bool(a, "keepdim", false)).Values,
        ["logsumexp"] = (a, x) => LogSumExp(x[0], Dims(a, x[0]), Bool(a, "keepdim", false)),
        ["var"] = (a, x) => x[0].Var(Dims(a, x[0]), Correction(a), Bool(a, "keepdim", false)),
        ["std"] = (a, x) => x[0].Var(Dims(a, x[0]), Correction(a), Bool(a, "keepdim", false)).Sqrt(),
        ["matmul"] = (_, x) => x[0].MatMul(x[1]),
        ["transpose"] = (a, x) => x[0].Transpose(Int(a, "dim0"), Int(a, "dim1")),
        ["permute"] = (a, x) => x[0].Permute(Ints(a["dims"])),
        ["reshape"] = (a, x) => x[0].Reshape(Ints(a["shape"])),
        ["view"] = (a, x) => x[0].View(Ints(a["shape"] ?? a["size"])),
        ["flatten"] = (a, x) => x[0].Flatten((int)Dbl(a, "start_dim", 0), (int)Dbl(a, "end_dim", -1)),
        ["squeeze"] = (a, x) => x[0].Squeeze(a["dim"] is null ? null : Int(a, "dim")),
        ["unsqueeze"] = (a, x) => x[0].Unsqueeze(Int(a, "dim")),
        ["narrow"] = (a, x) => x[0].Narrow(Int(a, "dim"), Int(a, "start"), Int(a, "length")),
        ["select"] = (a, x) => x[0].Select(Int(a, "dim"), Int(a, "index")),
        ["expand"] = (a, x) => x[0].Expand(Ints(a["size"] ?? a["shape"])),
        ["cat"] = (a, x) => Tensor.Cat(x, (int)Dbl(a, "dim", 0)),
        ["gather"] = (a, x) => x[0].Gather(Int(a, "dim"), x[1]),
        ["embedding"] = (a, x) => F.Embedding(x[0], x[1], a["padding_idx"] is null ? null : Int(a, "padding_idx")),
        ["softmax"] = (a, x) => F.Softmax(x[0], Int(a, "dim")),
        ["log_softmax"] = (a, x) => F.LogSoftmax(x[0], Int(a, "dim")),
        ["linear"] = (_, x) => F.Linear(x[0], x[1], x.Length > 2 ? x[2] : null),
        ["mse_loss"] = (a, x) => F.MseLoss(x[0], x[1], Reduce(a)),
        ["l1_loss"] = (a, x) => F.L1Loss(x[0], x[1], Reduce(a)),
        ["huber_loss"] = (a, x) => F.HuberLoss(x[0], x[1], Reduce(a), Dbl(a, "delta", 1)),
        ["cross_entropy"] = (a, x) => F.CrossEntropy(x[0], x[1], TensorArgs(a, x, 2, "weight")[0], (long)Dbl(a, "ignore_index", -100),
            Reduce(a), Dbl(a, "label_smoothing", 0)),
        ["nll_loss"] = (a, x) => F.NllLoss(x[0], x[1], TensorArgs(a, x, 2, "weight")[0], (long)Dbl(a, "ignore_index", -100), Reduce(a)),
        ["binary_cross_entropy_with_logits"] = (a, x) => BceWithLogits(a, x),
        ["conv2d"] = (a, x) => Conv2d(a, x),
        ["max_pool2d"] = (a, x) => F.MaxPool2d(x[0], Pair(a["kernel_size"])!.Value, Pair(a["stride"]), Pair(a["padding"]),
            Pair(a["dilation"]), Bool(a, "ceil_mode", false)),
        ["avg_pool2d"] = (a, x) => F.AvgPool2d(x[0], Pair(a["kernel_size"])!.Value, Pair(a["stride"]), Pair(a["padding"]),
            Bool(a, "ceil_mode", false), Bool(a, "count_include_pad", true), a["divisor_override"] is null ? null : Int(a, "divisor_override")),
        ["layer_norm"] = (a, x) => LayerNorm(a, x),
        ["batch_norm"] = (a, x) => BatchNorm(a, x),
        ["index_select"] = (a, x) => x[0].IndexSelect(Int(a, "dim"), x[1]),
        ["silu"] = (_, x) => F.Silu(x[0]),
        ["gelu_tanh"] = (_, x) => F.Gelu(x[0], approximate: "tanh"),
        ["reuse"] = (_, x) => x[0] * x[1] + x[0].Exp() * x[0] - x[1] / (1.0 + x[0] * x[0]),
        ["mlp2_cross_entropy"] = (_, x) => F.CrossEntropy(F.Linear(F.Linear(x[0], x[1], x[2]).Tanh(), x[3], x[4]), x[5]),
    };

    public static bool Knows(string op) => Ops.ContainsKey(op);

    public static Tensor Run(string op, JsonObject args, Tensor[] inputs) =>
        Ops.TryGetValue(op, out var f) ? f(args, inputs) : throw new NotSupportedException($"op '{op}' is not mapped");

    private static Tensor Other(JsonObject a, Tensor[] x) =>
        x.Length > 1 ? x[1] : Tensor.Scalar(Dbl(a, "other", double.NaN), x[0].DType);

    private static Tensor LogSumExp(Tensor x, int[] dims, bool keepDim)
    {
        // One dimension at a time, highest first, keeping dims so the indices stay valid.
        var normalized = dims.Select(d => d < 0 ? d + x.Rank : d).OrderDescending().ToArray();
        var r = x;
        foreach (int d in normalized) r = r.LogSumExp(d, keepDim: true);
        if (!keepDim) foreach (int d in normalized) r = r.Squeeze(d);
        return r;
    }

    private static Tensor BceWithLogits(JsonObject a, Tensor[] x)
    {
        var t = TensorArgs(a, x, 2, "weight", "pos_weight");
        return F.BinaryCrossEntropyWithLogits(x[0], x[1], t[0], Reduce(a), t[1]);
    }

    private static Tensor LayerNorm(JsonObject a, Tensor[] x)
    {
        var t = TensorArgs(a, x, 1, "weight", "bias");
        return F.LayerNorm(x[0], Ints(a["normalized_shape"]), t[0], t[1], Dbl(a, "eps", 1e-5));
    }

    /// <summary>
    /// F.batch_norm's arguments: running_mean, running_var, weight, bias (inline or inputs after x, in that order), then
    /// training (the files' cases are in training mode, so true unless given), momentum and eps.
    /// </summary>
    private static Tensor BatchNorm(JsonObject a, Tensor[] x)
    {
        bool hasRunning = a.ContainsKey("running_mean");
        var t = hasRunning ? TensorArgs(a, x, 1, "running_mean", "running_var", "weight", "bias") : [null, null, .. TensorArgs(a, x, 1, "weight", "bias")];
        return F.BatchNorm(x[0], t[0], t[1], t[2], t[3], Bool(a, "training", true), Dbl(a, "momentum", 0.1), Dbl(a, "eps", 1e-5));
    }

    private static Tensor Conv2d(JsonObject a, Tensor[] x)
    {
        var bias = x.Length > 2 ? x[2] : null;
        int groups = a["groups"] is null ? 1 : Int(a, "groups");
        if (a["padding"] is JsonValue v && v.TryGetValue<string>(out var mode))
            return F.Conv2d(x[0], x[1], bias, mode, Pair(a["stride"]), Pair(a["dilation"]), groups);
        return F.Conv2d(x[0], x[1], bias, Pair(a["stride"]), Pair(a["padding"]), Pair(a["dilation"]), groups);
    }

    /// <summary>
    /// Optional tensor arguments in PyTorch's parameter order: given inline in `arguments` (a list, or null for None),
    /// else taken from the inputs after the first <paramref name="first"/>, in order.
    /// </summary>
    private static Tensor?[] TensorArgs(JsonObject a, Tensor[] x, int first, params string[] names)
    {
        var result = new Tensor?[names.Length];
        int next = first;
        for (int i = 0; i < names.Length; i++)
        {
            if (a.ContainsKey(names[i])) result[i] = a[names[i]] is JsonArray arr ? Tensor.FromArray(ReferenceFiles.Doubles(arr)) : null;
            else result[i] = next < x.Length ? x[next++] : null;
        }
        return result;
    }

    private static Reduction Reduce(JsonObject a) => Str(a, "reduction", "mean") switch
    {
        "none" => Reduction.None,
        "sum" => Reduction.Sum,
        "mean" => Reduction.Mean,
        var r => throw new NotSupportedException($"reduction '{r}'"),
    };

    private static int Correction(JsonObject a)
    {
        if (a["correction"] is not null) return Int(a, "correction");
        if (a["unbiased"] is not null) return Bool(a, "unbiased", true) ? 1 : 0;
        return 1;
    }

    /// <summary>The reduced dims: an int, a list, or absent/null/empty for all.</summary>
    private static int[] Dims(JsonObject a, Tensor x)
    {
        var node = a["dim"];
        if (node is null) return Enumerable.Range(0, x.Rank).ToArray();
        if (node is JsonArray arr) return arr.Count == 0 ? Enumerable.Range(0, x.Rank).ToArray() : Ints(arr);
        return [node.GetValue<int>()];
    }

    private static Size2? Pair(JsonNode? node) => node switch
    {
        null => null,
        JsonArray arr when arr.Count == 1 => arr[0]!.GetValue<int>(),
        JsonArray arr => new Size2(arr[0]!.GetValue<int>(), arr[1]!.GetValue<int>()),
        _ => node.GetValue<int>(),
    };

    private static int[] Ints(JsonNode? node) => node is JsonArray arr ? ReferenceFiles.Ints(arr) : [node!.GetValue<int>()];

    private static int Int(JsonObject a, string name) => a[name]!.GetValue<int>();

    private static double Dbl(JsonObject a, string name, double fallback) => a[name] is { } n ? n.GetValue<double>() : fallback;

    private static double? NullableDbl(JsonObject a, string name) => a[name] is { } n ? n.GetValue<double>() : null;

    private static bool Bool(JsonObject a, string name, bool fallback) => a[name] is { } n ? n.GetValue<bool>() : fallback;

    private static string Str(JsonObject a, string name, string fallback) => a[name] is { } n ? n.GetValue<string>() : fallback;
}
