namespace Descent.NN;

/// <summary>
/// Weight initialisers, as <c>torch.nn.init</c>. Each fills a tensor in place (outside the graph) from a seedable
/// <see cref="Generator"/> (the default generator when none is given) and returns it.
/// </summary>
public static class Init
{
    /// <summary>fan_in and fan_out of a weight: [out, in] for linear layers, [out, in, k...] for convolutions.</summary>
    /// <exception cref="ArgumentException">The tensor has rank below 2, or (possible only without elements, as for
    /// [0, 65536, 65536]) a fan does not fit an int.</exception>
    public static (int FanIn, int FanOut) Fans(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Rank < 2) throw new ArgumentException($"fan in and fan out need a tensor of rank >= 2, got shape {Shapes.Format(tensor.ShapeArray)}", nameof(tensor));
        // Within a tensor that has elements these products fit an int; an empty one may have fans that do not.
        int[] shape = tensor.ShapeArray;
        long fanIn = Shapes.Product(shape.AsSpan(1)), fanOut = Shapes.Product([shape[0], .. shape.AsSpan(2)]);
        if (fanIn > int.MaxValue || fanOut > int.MaxValue)
            throw new ArgumentException($"the fans of a tensor of shape {Shapes.Format(tensor.ShapeArray)} do not fit an int", nameof(tensor));
        return ((int)fanIn, (int)fanOut);
    }

    /// <summary>The recommended gain for a nonlinearity ("linear", "sigmoid", "tanh", "relu", "leaky_relu").</summary>
    public static double CalculateGain(string nonlinearity, double param = 0.01) => nonlinearity switch
    {
        "linear" or "conv1d" or "conv2d" or "sigmoid" => 1.0,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2.0),
        "leaky_relu" => Math.Sqrt(2.0 / (1 + param * param)),
        "selu" => 3.0 / 4,
        _ => throw new ArgumentException($"unknown nonlinearity '{nonlinearity}'", nameof(nonlinearity)),
    };

    /// <summary>Fills with U(low, high).</summary>
    public static Tensor Uniform_(Tensor tensor, double low = 0, double high = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return Fill(tensor, Tensor.Uniform(tensor.ShapeArray, low, high, tensor.DType, generator));
    }

    /// <summary>Fills with N(mean, std²).</summary>
    public static Tensor Normal_(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return Fill(tensor, Tensor.Normal(tensor.ShapeArray, mean, std, tensor.DType, generator));
    }

    /// <summary>Fills with a constant.</summary>
    public static Tensor Constant_(Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using (Autograd.NoGrad()) return tensor.Fill_(value);
    }

    /// <summary>Fills with zeros.</summary>
    public static Tensor Zeros_(Tensor tensor) => Constant_(tensor, 0);

    /// <summary>Xavier/Glorot uniform: U(−a, a) with a = gain·√(6/(fan_in + fan_out)).</summary>
    public static Tensor XavierUniform_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans(tensor);
        double a = gain * Math.Sqrt(6.0 / ((double)fanIn + fanOut));
        return Uniform_(tensor, -a, a, generator);
    }

    /// <summary>Xavier/Glorot normal: N(0, std²) with std = gain·√(2/(fan_in + fan_out)).</summary>
    public static Tensor XavierNormal_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = Fans(tensor);
        return Normal_(tensor, 0, gain * Math.Sqrt(2.0 / ((double)fanIn + fanOut)), generator);
    }

    /// <summary>Kaiming/He uniform: U(−b, b) with b = gain·√(3/fan), gain from <paramref name="nonlinearity"/> and <paramref name="a"/>.</summary>
    public static Tensor KaimingUniform_(Tensor tensor, double a = 0, bool fanIn = true, string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        double bound = CalculateGain(nonlinearity, a) * Math.Sqrt(3.0 / Fan(tensor, fanIn));
        return Uniform_(tensor, -bound, bound, generator);
    }

    /// <summary>Kaiming/He normal: N(0, std²) with std = gain/√fan.</summary>
    public static Tensor KaimingNormal_(Tensor tensor, double a = 0, bool fanIn = true, string nonlinearity = "leaky_relu", Generator? generator = null) =>
        Normal_(tensor, 0, CalculateGain(nonlinearity, a) / Math.Sqrt(Fan(tensor, fanIn)), generator);

    private static int Fan(Tensor tensor, bool fanIn)
    {
        var (i, o) = Fans(tensor);
        int fan = fanIn ? i : o;
        if (fan == 0) throw new ArgumentException($"cannot initialise a tensor with zero fan (shape {Shapes.Format(tensor.ShapeArray)})", nameof(tensor));
        return fan;
    }

    private static Tensor Fill(Tensor tensor, Tensor values)
    {
        using (Autograd.NoGrad()) return tensor.CopyFrom_(values);
    }
}
