namespace Descent.NN;

/// <summary>
/// y = x·Wᵀ + b, with W of shape [outFeatures, inFeatures]. Initialised as PyTorch does: W from Kaiming-uniform with
/// a = √5 (that is U(−1/√in, 1/√in)), b from U(−1/√in, 1/√in).
/// </summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer.</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (inFeatures < 1) throw new ArgumentOutOfRangeException(nameof(inFeatures), inFeatures, $"inFeatures must be >= 1, got {inFeatures}");
        if (outFeatures < 1) throw new ArgumentOutOfRangeException(nameof(outFeatures), outFeatures, $"outFeatures must be >= 1, got {outFeatures}");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        var w = RegisterParameter("weight", Tensor.Zeros([outFeatures, inFeatures], dtype));
        Init.KaimingUniform_(w, a: Math.Sqrt(5), generator: generator);
        if (bias)
        {
            double bound = 1 / Math.Sqrt(inFeatures);
            Init.Uniform_(RegisterParameter("bias", Tensor.Zeros([outFeatures], dtype)), -bound, bound, generator);
        }
        HasBias = bias;
    }

    /// <summary>The number of input features.</summary>
    public int InFeatures { get; }

    /// <summary>The number of output features.</summary>
    public int OutFeatures { get; }

    private bool HasBias { get; }

    /// <summary>The weight, [outFeatures, inFeatures].</summary>
    public Tensor Weight => GetParameter("weight");

    /// <summary>The bias, [outFeatures], or null.</summary>
    public Tensor? Bias => HasBias ? GetParameter("bias") : null;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank == 0 || input.ShapeArray[^1] != InFeatures)
            throw new ArgumentException($"Linear({InFeatures}, {OutFeatures}) expects inputs with {InFeatures} features in the last dimension, got shape {Shapes.Format(input.ShapeArray)}", nameof(input));
        return Functional.Linear(input, Weight, Bias);
    }
}

/// <summary>Runs modules one after another; children are named 0, 1, 2…</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _modules = [];

    /// <summary>Creates the chain.</summary>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var m in modules) Add(m);
    }

    /// <summary>Appends a module.</summary>
    public Sequential Add(Module module)
    {
        _modules.Add(RegisterModule(_modules.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module));
        return this;
    }

    /// <summary>The number of modules.</summary>
    public int Count => _modules.Count;

    /// <summary>The module at <paramref name="index"/>.</summary>
    public Module this[int index] => _modules[index];

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        foreach (var m in _modules) input = m.Forward(input);
        return input;
    }
}

/// <summary>max(x, 0).</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Relu();
}

/// <summary>x for x &gt; 0, else negativeSlope·x.</summary>
public sealed class LeakyReLU(double negativeSlope = 0.01) : Module
{
    /// <summary>The slope for negative inputs.</summary>
    internal double NegativeSlope => negativeSlope;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.LeakyRelu(negativeSlope);
}

/// <summary>Hyperbolic tangent.</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Tanh();
}

/// <summary>Logistic sigmoid.</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}

/// <summary>
/// GELU: the exact x·Φ(x) (<c>approximate</c> "none"), or the tanh approximation ½x·(1 + tanh(√(2/π)·(x + 0.044715x³)))
/// ("tanh"), as PyTorch's <c>nn.GELU(approximate)</c>.
/// </summary>
public sealed class GELU : Module
{
    private readonly string _approximate;

    /// <summary>Creates the activation; <paramref name="approximate"/> is "none" or "tanh".</summary>
    public GELU(string approximate = "none")
    {
        if (approximate is not ("none" or "tanh"))
            throw new ArgumentException($"approximate must be \"none\" or \"tanh\", got \"{approximate}\"", nameof(approximate));
        _approximate = approximate;
    }

    /// <summary>"none" (exact) or "tanh".</summary>
    internal string Approximate => _approximate;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Gelu(_approximate);
}

/// <summary>SiLU (swish), x·σ(x).</summary>
public sealed class SiLU : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Silu();
}

/// <summary>Flattens dimensions startDim..endDim (by default all but the batch dimension).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>The first dimension flattened (negative counts from the end).</summary>
    internal int StartDim => startDim;

    /// <summary>The last dimension flattened (negative counts from the end).</summary>
    internal int EndDim => endDim;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Flatten(startDim, endDim);
}

/// <summary>
/// Unflattens dimension <c>dim</c> of its input into <c>sizes</c>, as PyTorch's <c>nn.Unflatten</c>: with dim 1 and
/// sizes (1, 28, 28), rows [N, 784] become images [N, 1, 28, 28]. One size may be −1, inferred from the others.
/// </summary>
public sealed class Unflatten : Module
{
    private readonly int _dim;
    private readonly int[] _sizes;

    /// <summary>Creates the layer.</summary>
    /// <param name="dim">The dimension to unflatten (negative counts from the end).</param>
    /// <param name="sizes">The sizes it becomes, each ≥ 1 except at most one −1; their product must be its size.</param>
    public Unflatten(int dim, params int[] sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Length == 0 || sizes.Any(s => s < 1 && s != -1) || sizes.Count(s => s == -1) > 1)
            throw new ArgumentException($"sizes must be non-empty, each >= 1 except at most one -1, got {Shapes.Format(sizes)}", nameof(sizes));
        _dim = dim;
        _sizes = (int[])sizes.Clone();
    }

    /// <summary>The dimension unflattened (negative counts from the end).</summary>
    internal int Dim => _dim;

    /// <summary>The sizes it becomes (one may be −1).</summary>
    internal IReadOnlyList<int> Sizes => _sizes;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int d = Shapes.NormalizeDim(_dim, input.Rank, "dim");
        int size = input.ShapeArray[d];
        long known = 1;
        foreach (int s in _sizes) if (s != -1) known *= s;
        bool infers = _sizes.Contains(-1);
        if (infers ? known == 0 || size % known != 0 : known != size)
            throw new ArgumentException($"Unflatten({_dim}, {Shapes.Format(_sizes)}) cannot unflatten dimension {d} of size {size} (input shape {Shapes.Format(input.ShapeArray)})", nameof(input));
        int[] sizes = [.. _sizes.Select(s => s == -1 ? (int)(size / known) : s)];
        return input.Reshape([.. input.ShapeArray[..d], .. sizes, .. input.ShapeArray[(d + 1)..]]);
    }
}
