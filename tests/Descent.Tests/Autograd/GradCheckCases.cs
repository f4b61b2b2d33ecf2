using Descent.NN;
using F = Descent.NN.Functional;

namespace Descent.Tests.Autograd;

/// <summary>
/// One entry per differentiable operation (and per form of it): the function and how to make its float64 inputs.
/// Inputs avoid the points where an operation is not differentiable (kinks, ties, domain edges).
/// </summary>
internal static class GradCheckCases
{
    public sealed record Case(Func<Tensor[], Tensor> Function, Func<Tensor[]> Inputs);

    private static int s_seed = 1;

    /// <summary>Standard normal values that require gradients.</summary>
    private static Tensor R(params int[] shape) => Tensor.Randn(shape, DType.Float64, new Generator(s_seed++)).RequiresGrad_();

    /// <summary>Values in [0.5, 2) that require gradients (for log, sqrt, division, powers).</summary>
    private static Tensor P(params int[] shape) => Tensor.Uniform(shape, 0.5, 2, DType.Float64, new Generator(s_seed++)).RequiresGrad_();

    /// <summary>Values in [0.5, 2) without gradients (class weights).</summary>
    private static Tensor W(params int[] shape) => Tensor.Uniform(shape, 0.5, 2, DType.Float64, new Generator(s_seed++));

    private static Tensor Labels(int classes, params long[] values) => Tensor.FromArray(values.Select(v => v % classes).ToArray());

    private static Case Of(Func<Tensor[], Tensor> f, Func<Tensor[]> inputs) => new(f, inputs);

    public static readonly Dictionary<string, Case> All = new(StringComparer.Ordinal)
    {
        // Binary elementwise with broadcasting.
        ["add"] = Of(x => x[0] + x[1], () => [R(3, 4), R(4)]),
        ["add_scalar"] = Of(x => x[0] + 2.5, () => [R(3)]),
        ["sub"] = Of(x => x[0] - x[1], () => [R(2, 3), R(2, 1)]),
        ["rsub_scalar"] = Of(x => 1.5 - x[0], () => [R(3)]),
        ["mul"] = Of(x => x[0] * x[1], () => [R(3, 1, 2), R(4, 2)]),
        ["mul_scalar"] = Of(x => x[0] * -3.0, () => [R(4)]),
        ["div"] = Of(x => x[0] / x[1], () => [R(2, 3), P(3)]),
        ["rdiv_scalar"] = Of(x => 2.0 / x[0], () => [P(4)]),
        ["pow"] = Of(x => x[0].Pow(x[1]), () => [P(2, 3), R(2, 3)]),
        ["pow_scalar_3"] = Of(x => x[0].Pow(3), () => [R(5)]),
        ["pow_scalar_-1.5"] = Of(x => x[0].Pow(-1.5), () => [P(5)]),
        ["maximum"] = Of(x => x[0].Maximum(x[1]), () => [R(3, 3), R(3)]),
        ["minimum"] = Of(x => x[0].Minimum(x[1]), () => [R(2, 4), R(2, 4)]),

        // Unary math and activations.
        ["neg"] = Of(x => -x[0], () => [R(2, 3)]),
        ["exp"] = Of(x => x[0].Exp(), () => [R(2, 3)]),
        ["log"] = Of(x => x[0].Log(), () => [P(2, 3)]),
        ["sqrt"] = Of(x => x[0].Sqrt(), () => [P(2, 3)]),
        ["abs"] = Of(x => x[0].Abs(), () => [R(2, 3)]),
        ["square"] = Of(x => x[0].Square(), () => [R(2, 3)]),
        ["reciprocal"] = Of(x => x[0].Reciprocal(), () => [P(2, 3)]),
        ["sin"] = Of(x => x[0].Sin(), () => [R(2, 3)]),
        ["cos"] = Of(x => x[0].Cos(), () => [R(2, 3)]),
        ["tanh"] = Of(x => x[0].Tanh(), () => [R(2, 3)]),
        ["sigmoid"] = Of(x => x[0].Sigmoid(), () => [R(2, 3)]),
        ["relu"] = Of(x => F.Relu(x[0]), () => [R(2, 3)]),
        ["leaky_relu"] = Of(x => F.LeakyRelu(x[0], 0.2), () => [R(2, 3)]),
        ["softplus"] = Of(x => F.Softplus(x[0]), () => [R(2, 3)]),
        ["softplus_beta2_threshold1"] = Of(x => F.Softplus(x[0] * 3.0, beta: 2, threshold: 1), () => [R(2, 3)]),
        ["gelu"] = Of(x => F.Gelu(x[0]), () => [R(2, 3)]),
        ["gelu_tanh"] = Of(x => F.Gelu(x[0], approximate: "tanh"), () => [R(2, 3)]),
        ["silu"] = Of(x => F.Silu(x[0]), () => [R(2, 3)]),
        ["elu"] = Of(x => F.Elu(x[0], alpha: 1.5), () => [R(2, 3)]),
        ["clamp"] = Of(x => x[0].Clamp(-0.5, 0.7), () => [R(3, 4)]),
        ["clamp_min"] = Of(x => x[0].Clamp(min: 0.1), () => [R(3, 4)]),

        // Reductions.
        ["sum"] = Of(x => x[0].Sum(), () => [R(3, 4)]),
        ["sum_dims_keepdim"] = Of(x => x[0].Sum([0, 2], keepDim: true), () => [R(2, 3, 4)]),
        ["mean"] = Of(x => x[0].Mean(), () => [R(3, 4)]),
        ["mean_dim"] = Of(x => x[0].Mean(1), () => [R(2, 3, 4)]),
        ["max"] = Of(x => x[0].Max(), () => [R(3, 4)]),
        ["max_dim_keepdim"] = Of(x => x[0].Max(1, keepDim: true).Values, () => [R(3, 5)]),
        ["min"] = Of(x => x[0].Min(), () => [R(3, 4)]),
        ["min_dim"] = Of(x => x[0].Min(0).Values, () => [R(3, 5)]),
        ["logsumexp"] = Of(x => x[0].LogSumExp(1), () => [R(3, 4)]),
        ["logsumexp_keepdim"] = Of(x => x[0].LogSumExp(0, keepDim: true), () => [R(3, 4)]),
        ["var"] = Of(x => x[0].Var(1), () => [R(3, 5)]),
        ["var_correction0_keepdim"] = Of(x => x[0].Var([0, 1], correction: 0, keepDim: true), () => [R(3, 4, 2)]),
        ["var_all"] = Of(x => x[0].Var(), () => [R(3, 4)]),

        // Matrix products in every form.
        ["matmul_dot"] = Of(x => x[0].MatMul(x[1]), () => [R(4), R(4)]),
        ["matmul_2d"] = Of(x => x[0].MatMul(x[1]), () => [R(3, 4), R(4, 2)]),
        ["matmul_vec_mat"] = Of(x => x[0].MatMul(x[1]), () => [R(4), R(4, 3)]),
        ["matmul_mat_vec"] = Of(x => x[0].MatMul(x[1]), () => [R(3, 4), R(4)]),
        ["matmul_batched"] = Of(x => x[0].MatMul(x[1]), () => [R(2, 3, 4), R(2, 4, 5)]),
        ["matmul_broadcast"] = Of(x => x[0].MatMul(x[1]), () => [R(2, 1, 3, 4), R(3, 4, 2)]),
        ["matmul_vec_batched"] = Of(x => x[0].MatMul(x[1]), () => [R(4), R(2, 4, 3)]),
        ["matmul_batched_vec"] = Of(x => x[0].MatMul(x[1]), () => [R(2, 3, 4), R(4)]),

        // Views and joins.
        ["transpose"] = Of(x => x[0].Transpose(0, 2), () => [R(2, 3, 4)]),
        ["permute"] = Of(x => x[0].Permute(2, 0, 1), () => [R(2, 3, 4)]),
        ["reshape"] = Of(x => x[0].Reshape(3, 4), () => [R(2, 6)]),
        ["reshape_noncontiguous"] = Of(x => x[0].Transpose(0, 1).Reshape(-1), () => [R(2, 3)]),
        ["narrow"] = Of(x => x[0].Narrow(1, 1, 2), () => [R(3, 4)]),
        ["select"] = Of(x => x[0].Select(0, -1), () => [R(3, 4)]),
        ["expand"] = Of(x => x[0].Expand(2, 3, 4), () => [R(3, 1)]),
        ["view"] = Of(x => x[0].View(4, -1), () => [R(2, 6)]),
        ["flatten"] = Of(x => x[0].Flatten(1), () => [R(2, 3, 4)]),
        ["clone"] = Of(x => x[0].Clone() * x[0], () => [R(2, 3)]),
        ["squeeze_unsqueeze"] = Of(x => x[0].Squeeze().Unsqueeze(0), () => [R(3, 1, 2)]),
        ["cat"] = Of(x => Tensor.Cat([x[0], x[1]], 1), () => [R(2, 3), R(2, 2)]),
        ["stack"] = Of(x => Tensor.Stack([x[0], x[1]], 0), () => [R(2, 3), R(2, 3)]),
        ["gather"] = Of(x => x[0].Gather(1, x[1]), () => [R(3, 4), Tensor.FromArray(new long[] { 0, 3, 1, 1, 2, 0 }, [3, 2])]),
        ["where"] = Of(x => Tensor.Where(x[0].Gt(0.0).Detach(), x[0], x[1]), () => [R(3, 4), R(3, 4)]),
        ["masked_fill"] = Of(x => x[0].MaskedFill(x[0].Detach().Gt(0.5), 0), () => [R(3, 4)]),

        // Neural-network functions.
        ["softmax"] = Of(x => F.Softmax(x[0], 1), () => [R(3, 5)]),
        ["softmax_dim0_3d"] = Of(x => F.Softmax(x[0], 0), () => [R(3, 2, 4)]),
        ["log_softmax"] = Of(x => F.LogSoftmax(x[0], -1), () => [R(4, 6)]),
        ["log_softmax_middle_dim"] = Of(x => F.LogSoftmax(x[0], 1), () => [R(2, 3, 4)]),
        ["linear"] = Of(x => F.Linear(x[0], x[1], x[2]), () => [R(5, 4), R(3, 4), R(3)]),
        ["linear_nobias_3d"] = Of(x => F.Linear(x[0], x[1]), () => [R(2, 5, 4), R(3, 4)]),
        ["mse_loss"] = Of(x => F.MseLoss(x[0], x[1]), () => [R(4, 3), R(4, 3)]),
        ["mse_loss_none"] = Of(x => F.MseLoss(x[0], x[1], Reduction.None), () => [R(5), R(5)]),
        ["l1_loss"] = Of(x => F.L1Loss(x[0], x[1], Reduction.Sum), () => [R(4, 3), R(4, 3)]),
        ["huber_loss"] = Of(x => F.HuberLoss(x[0] * 2.0, x[1], delta: 0.7), () => [R(4, 3), R(4, 3)]),
        ["cross_entropy"] = Of(x => F.CrossEntropy(x[0], x[1]), () => [R(6, 4), Labels(4, 3, 3, 0, 1, 1, 0)]),
        ["cross_entropy_weighted_ignore"] = Of(x => F.CrossEntropy(x[0], x[1], x[2], ignoreIndex: 1),
            () => [R(6, 4), Labels(4, 3, 2, 0, 1, 1, 0), W(4)]),
        ["cross_entropy_smoothing_sum"] = Of(x => F.CrossEntropy(x[0], x[1], reduction: Reduction.Sum, labelSmoothing: 0.2),
            () => [R(5, 3), Labels(3, 0, 1, 2, 2, 1)]),
        ["cross_entropy_smoothing_weighted_mean"] = Of(x => F.CrossEntropy(x[0], x[1], x[2], ignoreIndex: 0, labelSmoothing: 0.1),
            () => [R(5, 3), Labels(3, 0, 1, 2, 2, 1), W(3)]),
        ["cross_entropy_none_spatial"] = Of(x => F.CrossEntropy(x[0], x[1], reduction: Reduction.None),
            () => [R(2, 3, 4), Tensor.FromArray(new long[] { 0, 1, 2, 2, 1, 0, 0, 1 }, [2, 4])]),
        ["cross_entropy_probabilities"] = Of(x => F.CrossEntropy(x[0], F.Softmax(x[1], 1), labelSmoothing: 0.1),
            () => [R(4, 3), R(4, 3)]),
        ["cross_entropy_unbatched"] = Of(x => F.CrossEntropy(x[0], x[1]), () => [R(5), Tensor.Scalar(2, DType.Int64)]),
        ["nll_loss_weighted"] = Of(x => F.NllLoss(x[0], x[1], x[2]), () => [R(5, 3), Labels(3, 0, 2, 1, 1, 2), W(3)]),
        ["bce_with_logits"] = Of(x => F.BinaryCrossEntropyWithLogits(x[0], x[1]), () => [R(4, 2), P(4, 2) * 0.4]),
        ["bce_with_logits_weights"] = Of(x => F.BinaryCrossEntropyWithLogits(x[0] * 3.0, x[1], x[2], Reduction.Sum, x[3]),
            () => [R(4, 2), P(4, 2) * 0.4, W(4, 2), W(2)]),
        ["conv2d"] = Of(x => F.Conv2d(x[0], x[1], x[2], padding: 1), () => [R(2, 3, 5, 5), R(4, 3, 3, 3), R(4)]),
        ["conv2d_stride2_nobias"] = Of(x => F.Conv2d(x[0], x[1], stride: 2), () => [R(2, 2, 7, 6), R(3, 2, 3, 2)]),
        ["conv2d_dilation_groups"] = Of(x => F.Conv2d(x[0], x[1], x[2], padding: (1, 2), dilation: 2, groups: 2),
            () => [R(1, 4, 6, 6), R(2, 2, 3, 3), R(2)]),
        ["conv2d_batch5_chunks"] = Of(x => F.Conv2d(x[0], x[1], x[2], stride: (1, 2), padding: (0, 1)), () => [R(5, 2, 4, 5), R(3, 2, 2, 3), R(3)]),
        ["conv2d_padding_wider_than_input"] = Of(x => F.Conv2d(x[0], x[1], padding: 3, dilation: (1, 2)), () => [R(1, 1, 2, 3), R(2, 1, 2, 2)]),
        ["conv2d_same_even_kernel"] = Of(x => F.Conv2d(x[0], x[1], null, "same"), () => [R(1, 2, 5, 4), R(2, 2, 2, 4)]),
        ["max_pool2d"] = Of(x => F.MaxPool2d(x[0], 2), () => [R(2, 2, 4, 4)]),
        ["max_pool2d_pad_ceil"] = Of(x => F.MaxPool2d(x[0], 3, stride: 2, padding: 1, ceilMode: true), () => [R(1, 2, 6, 5)]),
        ["max_pool2d_dilation"] = Of(x => F.MaxPool2d(x[0], 2, stride: 1, dilation: 2), () => [R(1, 1, 5, 5)]),
        ["avg_pool2d"] = Of(x => F.AvgPool2d(x[0], 2), () => [R(1, 2, 4, 6)]),
        ["avg_pool2d_pad_exclude"] = Of(x => F.AvgPool2d(x[0], 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false),
            () => [R(1, 2, 6, 5)]),
        ["avg_pool2d_divisor"] = Of(x => F.AvgPool2d(x[0], (2, 3), divisorOverride: 4), () => [R(2, 1, 4, 6)]),
        ["layer_norm"] = Of(x => F.LayerNorm(x[0], [5], x[1], x[2]), () => [R(3, 5), R(5), R(5)]),
        ["layer_norm_2d_noaffine"] = Of(x => F.LayerNorm(x[0], [3, 4]), () => [R(2, 3, 4)]),
        ["batch_norm_nc"] = Of(x => F.BatchNorm(x[0], null, null, x[1], x[2], training: true), () => [R(6, 3), R(3), R(3)]),
        ["batch_norm_ncl"] = Of(x => F.BatchNorm(x[0], null, null, x[1], x[2], training: true), () => [R(3, 2, 5), R(2), R(2)]),
        ["batch_norm_nchw"] = Of(x => F.BatchNorm(x[0], null, null, x[1], x[2], training: true, eps: 1e-3), () => [R(2, 3, 2, 3), R(3), R(3)]),
        ["batch_norm_noaffine"] = Of(x => F.BatchNorm(x[0], null, null, training: true), () => [R(4, 2, 3)]),
        ["batch_norm_eval"] = Of(x => F.BatchNorm(x[0], x[1], x[2], x[3], x[4], training: false), () => [R(3, 4, 2), W(4), W(4), R(4), R(4)]),
        ["index_select_repeats"] = Of(x => x[0].IndexSelect(0, Tensor.FromArray(new long[] { 2, 0, 2, 2 })), () => [R(3, 4)]),
        ["index_select_dim1"] = Of(x => x[0].IndexSelect(-2, Tensor.FromArray(new long[] { 4, 1, 1 })), () => [R(2, 5, 3)]),
        ["dropout"] = Of(x => F.Dropout(x[0], 0.3, training: true, generator: new Generator(7)), () => [R(4, 5)]),
        ["mlp2_cross_entropy"] = Of(x => F.CrossEntropy(F.Linear(F.Linear(x[0], x[1], x[2]).Tanh(), x[3], x[4]), x[5]),
            () => [R(8, 5), R(7, 5), R(7), R(3, 7), R(3), Labels(3, 0, 1, 2, 0, 1, 2, 2, 1)]),
    };

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in All.Keys) data.Add(name);
        return data;
    }
}
