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
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Flatten(startDim, endDim);
}
