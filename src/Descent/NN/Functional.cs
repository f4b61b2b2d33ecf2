namespace Descent.NN;

/// <summary>
/// Neural-network functions with PyTorch's semantics and defaults, as <c>torch.nn.functional</c>; import it as
/// <c>using F = Descent.NN.Functional;</c> and write <c>F.CrossEntropy(logits, target)</c>. Every function is
/// differentiable in its floating-point tensor arguments unless its documentation says otherwise.
/// </summary>
public static class Functional
{
    /// <summary>Softmax along <paramref name="dim"/>: exp(xᵢ) / Σⱼ exp(xⱼ), computed stably.</summary>
    public static Tensor Softmax(Tensor input, int dim) => NotNull(input).Softmax(dim);

    /// <summary>log(softmax(x)) along <paramref name="dim"/>, computed stably as x − max − log Σ exp(x − max).</summary>
    public static Tensor LogSoftmax(Tensor input, int dim) => NotNull(input).LogSoftmax(dim);

    /// <summary>The affine map y = x·wᵀ + b with <paramref name="weight"/> of shape [out, in] and x of shape [*, in].</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) =>
        LinearOps.Linear(NotNull(input), NotNull(weight), bias);

    /// <summary>
    /// The rows of <paramref name="weight"/> [numEmbeddings, dim] picked by the int64 <paramref name="input"/> (any
    /// shape): output input.shape + [dim], as <c>torch.nn.functional.embedding</c>. The row <paramref name="paddingIdx"/>
    /// (negative: from the end) gets no gradient. With <paramref name="sparse"/>, a leaf weight's gradient is row-sparse
    /// (<see cref="Tensor.SparseGrad"/>): only the rows looked up, repeated lookups summed.
    /// </summary>
    public static Tensor Embedding(Tensor input, Tensor weight, long? paddingIdx = null, bool sparse = false) =>
        EmbeddingOps.Embedding(NotNull(input), NotNull(weight), paddingIdx, sparse);

    /// <summary>Mean squared error (input − target)², reduced as <paramref name="reduction"/> says.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        LossOps.Mse(input, target, reduction);

    /// <summary>Mean absolute error |input − target|, reduced as <paramref name="reduction"/> says.</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        LossOps.L1(input, target, reduction);

    /// <summary>
    /// Huber loss of d = input − target: ½d² where |d| &lt; <paramref name="delta"/>, else delta·(|d| − ½delta).
    /// </summary>
    public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0) =>
        LossOps.Huber(input, target, reduction, delta);

    /// <summary>
    /// Cross entropy of unnormalised scores <paramref name="input"/> ([N, C], [C] or [N, C, d₁, …]) against int64 class
    /// indices (the input's shape without the class dimension) or class probabilities (the input's shape):
    /// nll_loss(log_softmax(input, 1), target). <paramref name="weight"/> [C] rescales each class (the mean is then the
    /// weighted mean), targets equal to <paramref name="ignoreIndex"/> contribute nothing, and
    /// <paramref name="labelSmoothing"/> ε mixes the target with the uniform distribution: (1 − ε)·target + ε/C.
    /// </summary>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
        Reduction reduction = Reduction.Mean, double labelSmoothing = 0.0) =>
        LossOps.CrossEntropy(input, target, weight, ignoreIndex, reduction, labelSmoothing);

    /// <summary>
    /// Negative log-likelihood of log-probabilities <paramref name="input"/> ([N, C], [C] or [N, C, d₁, …]) at int64
    /// class indices: −weight[t]·input[t]; the mean divides by the total weight of the samples not ignored.
    /// </summary>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
        Reduction reduction = Reduction.Mean) =>
        LossOps.Nll(input, target, weight, ignoreIndex, reduction);

    /// <summary>
    /// Binary cross entropy of logits against targets in [0, 1], computed stably without forming the sigmoid:
    /// −weight·[pos_weight·t·log σ(x) + (1 − t)·log(1 − σ(x))]. <paramref name="posWeight"/> (broadcast over the last
    /// dimension, one per class) weighs the positive examples.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null,
        Reduction reduction = Reduction.Mean, Tensor? posWeight = null) =>
        LossOps.BceWithLogits(input, target, weight, reduction, posWeight);

    /// <summary>
    /// 2-D cross-correlation (PyTorch's convolution) of input [N, C, H, W] (or [C, H, W]) with weight
    /// [O, C/groups, kH, kW], plus bias [O]: output size ⌊(H + 2·padding − dilation·(kH − 1) − 1)/stride⌋ + 1.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, Size2? stride = null, Size2? padding = null,
        Size2? dilation = null, int groups = 1)
    {
        var p = padding ?? 0;
        return ConvOps.Conv2d(NotNull(input), NotNull(weight), bias, (stride ?? 1).Tuple, (p.H, p.H, p.W, p.W), (dilation ?? 1).Tuple, groups);
    }

    /// <summary>
    /// 2-D convolution with PyTorch's string padding: "valid" (none) or "same" (the output keeps the input's size; stride
    /// must be 1; an even total padding is split with the extra row/column at the bottom/right).
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, string padding, Size2? stride = null,
        Size2? dilation = null, int groups = 1)
    {
        NotNull(weight);
        var s = stride ?? 1;
        var d = dilation ?? 1;
        switch (padding)
        {
            case "valid":
                return ConvOps.Conv2d(NotNull(input), weight, bias, s.Tuple, (0, 0, 0, 0), d.Tuple, groups);
            case "same":
                if (s != new Size2(1, 1)) throw new ArgumentException($"padding=\"same\" needs stride 1, got ({s.H}, {s.W})", nameof(stride));
                if (weight.Rank != 4) throw new ArgumentException($"conv2d: weight must be [O, C/groups, kH, kW], got shape {Shapes.Format(weight.ShapeArray)}", nameof(weight));
                long th = (long)d.H * (weight.ShapeArray[2] - 1), tw = (long)d.W * (weight.ShapeArray[3] - 1);
                if (th > int.MaxValue || tw > int.MaxValue)
                    throw new ArgumentException($"padding=\"same\" with dilation ({d.H}, {d.W}) and weight of shape {Shapes.Format(weight.ShapeArray)} needs a padding of {th}x{tw}, more than {int.MaxValue}", nameof(dilation));
                return ConvOps.Conv2d(NotNull(input), weight, bias, s.Tuple, ((int)(th / 2), (int)(th - th / 2), (int)(tw / 2), (int)(tw - tw / 2)), d.Tuple, groups);
            default:
                throw new ArgumentException($"padding must be \"valid\" or \"same\", got \"{padding}\"", nameof(padding));
        }
    }

    /// <summary>
    /// 2-D max pooling over input [N, C, H, W] (or [C, H, W]); <paramref name="stride"/> defaults to the kernel size, padding
    /// counts as −∞, and the gradient flows to the first maximum of each window.
    /// </summary>
    public static Tensor MaxPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2? padding = null,
        Size2? dilation = null, bool ceilMode = false) =>
        PoolOps.MaxPool2d(NotNull(input), kernelSize.Tuple, (stride ?? kernelSize).Tuple, (padding ?? 0).Tuple, (dilation ?? 1).Tuple, ceilMode);

    /// <summary>
    /// 2-D average pooling over input [N, C, H, W] (or [C, H, W]); <paramref name="stride"/> defaults to the kernel size.
    /// Each window is divided by <paramref name="divisorOverride"/> when given, else by its size counting the zero padding
    /// (<paramref name="countIncludePad"/>) or not.
    /// </summary>
    public static Tensor AvgPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2? padding = null,
        bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null) =>
        PoolOps.AvgPool2d(NotNull(input), kernelSize.Tuple, (stride ?? kernelSize).Tuple, (padding ?? 0).Tuple, ceilMode, countIncludePad, divisorOverride);

    /// <summary>
    /// Layer normalisation over the trailing <paramref name="normalizedShape"/> dimensions:
    /// (x − mean)/√(var + eps)·weight + bias with the biased variance.
    /// </summary>
    public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        NormOps.LayerNorm(NotNull(input), normalizedShape, weight, bias, eps);

    /// <summary>
    /// Batch normalisation of input [N, C, *] per channel (dim 1): (x − mean)/√(var + eps)·weight + bias. In training mode
    /// mean and the biased var are the batch's, over N and the spatial dims, and <paramref name="runningMean"/> and
    /// <paramref name="runningVar"/>, when given, are updated in place: running ← (1 − momentum)·running + momentum·batch,
    /// with the unbiased variance for the running variance. Otherwise the running statistics normalise.
    /// </summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5) =>
        BatchNormOps.BatchNorm(NotNull(input), runningMean, runningVar, weight, bias, training, momentum, eps);

    /// <summary>
    /// When <paramref name="training"/>, zeroes each element with probability <paramref name="p"/> (drawn from
    /// <paramref name="generator"/>, or the default one) and scales the others by 1/(1 − p); otherwise returns the input.
    /// </summary>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null) =>
        DropoutOps.Dropout(NotNull(input), p, training, generator);

    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor input) => NotNull(input).Relu();

    /// <summary>x for x &gt; 0, else <paramref name="negativeSlope"/>·x.</summary>
    public static Tensor LeakyRelu(Tensor input, double negativeSlope = 0.01) => NotNull(input).LeakyRelu(negativeSlope);

    /// <summary>x for x &gt; 0, else <paramref name="alpha"/>·(eˣ − 1).</summary>
    public static Tensor Elu(Tensor input, double alpha = 1.0) => NotNull(input).Elu(alpha);

    /// <summary>
    /// GELU: x·Φ(x) with the exact normal CDF (<paramref name="approximate"/> "none"), or PyTorch's tanh approximation
    /// ½x·(1 + tanh(√(2/π)·(x + 0.044715x³))) ("tanh").
    /// </summary>
    public static Tensor Gelu(Tensor input, string approximate = "none") => NotNull(input).Gelu(approximate);

    /// <summary>SiLU (swish): x·σ(x).</summary>
    public static Tensor Silu(Tensor input) => NotNull(input).Silu();

    /// <summary>log(1 + e^(βx))/β, linear where βx &gt; <paramref name="threshold"/>.</summary>
    public static Tensor Softplus(Tensor input, double beta = 1.0, double threshold = 20.0) => NotNull(input).Softplus(beta, threshold);

    /// <summary>The logistic sigmoid 1/(1 + e⁻ˣ).</summary>
    public static Tensor Sigmoid(Tensor input) => NotNull(input).Sigmoid();

    /// <summary>The hyperbolic tangent.</summary>
    public static Tensor Tanh(Tensor input) => NotNull(input).Tanh();

    private static Tensor NotNull(Tensor input, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(input))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(input, name);
        return input;
    }
}
