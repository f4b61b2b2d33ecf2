namespace Descent.NN;

/// <summary>
/// 2-D convolution (cross-correlation, as PyTorch) over [N, C, H, W] inputs with a weight [out, in, kH, kW] and a bias
/// [out], initialised as PyTorch does (Kaiming-uniform with a = √5; bias U(−1/√fan_in, 1/√fan_in)).
/// </summary>
public sealed class Conv2d : Module
{
    private readonly Size2 _stride;
    private readonly Size2 _padding;
    private readonly bool _hasBias;

    /// <summary>Creates the layer.</summary>
    public Conv2d(int inChannels, int outChannels, Size2 kernelSize, Size2? stride = null, Size2? padding = null, bool bias = true,
        DType dtype = DType.Float32, Generator? generator = null)
    {
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, $"inChannels must be >= 1, got {inChannels}");
        if (outChannels < 1) throw new ArgumentOutOfRangeException(nameof(outChannels), outChannels, $"outChannels must be >= 1, got {outChannels}");
        if (kernelSize.H < 1 || kernelSize.W < 1) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, $"kernelSize must be >= 1, got {kernelSize}");
        _stride = stride ?? 1;
        _padding = padding ?? 0;
        var w = RegisterParameter("weight", Tensor.Zeros([outChannels, inChannels, kernelSize.H, kernelSize.W], dtype));
        Init.KaimingUniform_(w, a: Math.Sqrt(5), generator: generator);
        _hasBias = bias;
        if (bias)
        {
            double bound = 1 / Math.Sqrt(inChannels * kernelSize.H * kernelSize.W);
            Init.Uniform_(RegisterParameter("bias", Tensor.Zeros([outChannels], dtype)), -bound, bound, generator);
        }
    }

    /// <summary>The step of the kernel along height and width.</summary>
    internal Size2 Stride => _stride;

    /// <summary>The zeros added on each side along height and width.</summary>
    internal Size2 Padding => _padding;

    /// <summary>The weight, [out, in, kH, kW].</summary>
    public Tensor Weight => GetParameter("weight");

    /// <summary>The bias, [out], or null.</summary>
    public Tensor? Bias => _hasBias ? GetParameter("bias") : null;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.Conv2d(input, Weight, Bias, _stride, _padding);
}

/// <summary>Max pooling over windows of [N, C, H, W] inputs (stride defaults to the kernel size).</summary>
public sealed class MaxPool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null) : Module
{
    /// <summary>The window's height and width.</summary>
    internal Size2 KernelSize => kernelSize;

    /// <summary>The step between windows (the kernel size unless given).</summary>
    internal Size2 Stride => stride ?? kernelSize;

    /// <summary>The padding on each side.</summary>
    internal Size2 Padding => padding ?? 0;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.MaxPool2d(input, kernelSize, stride, padding);
}

/// <summary>Average pooling over windows of [N, C, H, W] inputs (stride defaults to the kernel size).</summary>
public sealed class AvgPool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null) : Module
{
    /// <summary>The window's height and width.</summary>
    internal Size2 KernelSize => kernelSize;

    /// <summary>The step between windows (the kernel size unless given).</summary>
    internal Size2 Stride => stride ?? kernelSize;

    /// <summary>The padding on each side.</summary>
    internal Size2 Padding => padding ?? 0;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.AvgPool2d(input, kernelSize, stride, padding);
}

/// <summary>Zeroes each element with probability p in training mode and scales the rest by 1/(1 − p); identity in evaluation mode.</summary>
public sealed class Dropout : Module
{
    private readonly double _p;
    private readonly Generator? _generator;

    /// <summary>Creates the layer.</summary>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, $"p must be in [0, 1], got {p}");
        _p = p;
        _generator = generator;
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.Dropout(input, _p, IsTraining, _generator);
}

/// <summary>Softmax along a dimension.</summary>
public sealed class Softmax(int dim) : Module
{
    /// <summary>The dimension normalised over.</summary>
    internal int Dim => dim;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.Softmax(input, dim);
}

/// <summary>Log-softmax along a dimension.</summary>
public sealed class LogSoftmax(int dim) : Module
{
    /// <summary>The dimension normalised over.</summary>
    internal int Dim => dim;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.LogSoftmax(input, dim);
}

/// <summary>Layer normalisation over the trailing <c>normalizedShape</c> dims, with a learnable scale (ones) and shift (zeros).</summary>
public sealed class LayerNorm : Module
{
    private readonly int[] _shape;
    private readonly double _eps;

    /// <summary>Creates the layer.</summary>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(s => s < 1))
            throw new ArgumentException($"normalizedShape must be non-empty with sizes >= 1, got {Shapes.Format(normalizedShape)}", nameof(normalizedShape));
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, $"eps must be > 0, got {eps}");
        _shape = (int[])normalizedShape.Clone();
        _eps = eps;
        RegisterParameter("weight", Tensor.Ones(_shape, dtype));
        RegisterParameter("bias", Tensor.Zeros(_shape, dtype));
    }

    /// <summary>The trailing dimensions normalised over.</summary>
    internal IReadOnlyList<int> NormalizedShape => _shape;

    /// <summary>The value added to the variance before its square root.</summary>
    internal double Eps => _eps;

    /// <summary>The scale, of the normalized shape.</summary>
    internal Tensor Weight => GetParameter("weight");

    /// <summary>The shift, of the normalized shape.</summary>
    internal Tensor Bias => GetParameter("bias");

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.LayerNorm(input, _shape, GetParameter("weight"), GetParameter("bias"), _eps);
}

/// <summary>
/// A lookup table: int64 indices [*] → rows of a weight [numEmbeddings, embeddingDim] (initialised N(0, 1)), as
/// <c>torch.nn.Embedding</c>. The padding row, if any, starts at zero and gets no gradient. A sparse embedding gives its
/// weight a row-sparse gradient (<see cref="Tensor.SparseGrad"/>, for <c>SparseAdam</c>): a step then costs the rows a
/// batch looked up, not the whole table.
/// </summary>
public sealed class Embedding : Module
{
    /// <summary>Creates the table.</summary>
    /// <param name="numEmbeddings">The number of rows.</param>
    /// <param name="embeddingDim">The length of each row.</param>
    /// <param name="dtype">The weight's dtype.</param>
    /// <param name="generator">The random numbers of the initialisation (the default generator when null).</param>
    /// <param name="paddingIdx">A row that stays zero-initialised and gets no gradient; negative counts from the end.</param>
    /// <param name="sparse">Give the weight a row-sparse gradient instead of a dense one.</param>
    public Embedding(int numEmbeddings, int embeddingDim, DType dtype = DType.Float32, Generator? generator = null,
        long? paddingIdx = null, bool sparse = false)
    {
        if (numEmbeddings < 1) throw new ArgumentOutOfRangeException(nameof(numEmbeddings), numEmbeddings, $"numEmbeddings must be >= 1, got {numEmbeddings}");
        if (embeddingDim < 1) throw new ArgumentOutOfRangeException(nameof(embeddingDim), embeddingDim, $"embeddingDim must be >= 1, got {embeddingDim}");
        long padding = EmbeddingOps.NormalizePadding(paddingIdx, numEmbeddings);
        var weight = Init.Normal_(RegisterParameter("weight", Tensor.Zeros([numEmbeddings, embeddingDim], dtype)), 0, 1, generator);
        if (padding >= 0) weight.Detach().Select(0, (int)padding).Fill_(0);
        PaddingIdx = padding >= 0 ? padding : null;
        Sparse = sparse;
    }

    /// <summary>The table, [numEmbeddings, embeddingDim].</summary>
    public Tensor Weight => GetParameter("weight");

    /// <summary>The padding row (in [0, numEmbeddings)), or null.</summary>
    public long? PaddingIdx { get; }

    /// <summary>Whether the weight's gradient is row-sparse.</summary>
    public bool Sparse { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.Embedding(input, Weight, PaddingIdx, Sparse);
}
