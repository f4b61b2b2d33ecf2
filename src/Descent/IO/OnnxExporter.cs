using Descent.NN;

namespace Descent.IO;

/// <summary>
/// Traces a model into an ONNX graph: it runs the model's layers on the example input one by one (in evaluation mode,
/// without gradients) and writes each as ONNX operators, so every rule sees the shape its layer was given.
/// </summary>
internal sealed class OnnxExporter
{
    private const string InputName = "input";
    private const string OutputName = "output";
    private const string BatchSymbol = "batch";

    /// <summary>What the error messages list as exportable.</summary>
    internal const string Supported = "Linear, Conv2d, ReLU, LeakyReLU, Tanh, Sigmoid, GELU, SiLU, MaxPool2d, AvgPool2d, Flatten, Unflatten, "
        + "Dropout, LayerNorm, BatchNorm1d, BatchNorm2d (with running statistics), Softmax, LogSoftmax, Sequential, and modules whose "
        + "Forward applies their children in registration order";

    /// <summary>The layers with a rule of their own (the leaves of an exportable model).</summary>
    private static readonly Type[] Layers =
    [
        typeof(Linear), typeof(Conv2d), typeof(ReLU), typeof(LeakyReLU), typeof(Tanh), typeof(Sigmoid), typeof(GELU), typeof(SiLU),
        typeof(MaxPool2d), typeof(AvgPool2d), typeof(Flatten), typeof(Unflatten), typeof(Dropout), typeof(LayerNorm),
        typeof(BatchNorm1d), typeof(BatchNorm2d), typeof(Softmax), typeof(LogSoftmax), typeof(Sequential),
    ];

    private readonly List<OnnxNode> _nodes = [];
    private readonly List<OnnxTensor> _initializers = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal) { InputName, OutputName };
    private readonly int _batch;

    private OnnxExporter(int batch) => _batch = batch;

    /// <summary>A value of the graph: its name and what Descent computed for it on the example input.</summary>
    private readonly record struct Value(string Name, Tensor Tensor);

    /// <summary>
    /// The graph of <paramref name="module"/> on inputs shaped as <paramref name="exampleInput"/> (any batch size). The
    /// module's training flags (its own and each descendant's) are restored afterwards, even when the export fails.
    /// </summary>
    public static OnnxGraph Trace(Module module, Tensor exampleInput)
    {
        RejectLayersWithoutRule(module, "");
        CheckFloat32(module, exampleInput);
        if (exampleInput.Rank < 2)
            throw new ArgumentException($"exampleInput must be a batch, its first dimension the batch and at least one more, got shape {Shapes.Format(exampleInput.ShapeArray)}", nameof(exampleInput));
        var flags = TrainingFlags(module);
        try
        {
            module.Eval();
            using (Autograd.NoGrad())
            {
                RunExample(module, exampleInput);
                var exporter = new OnnxExporter(exampleInput.ShapeArray[0]);
                var output = exporter.Emit(module, "", new Value(InputName, exampleInput));
                return exporter.Finish(module, exampleInput, output);
            }
        }
        finally
        {
            // Parents first: Train(flag) sets a module's whole subtree, which its descendants' own flags then correct.
            foreach (var (m, training) in flags) m.Train(training);
        }
    }

    private static List<(Module Module, bool Training)> TrainingFlags(Module module)
    {
        var flags = new List<(Module, bool)> { (module, module.IsTraining) };
        foreach (var (_, child) in module.NamedChildren()) flags.AddRange(TrainingFlags(child));
        return flags;
    }

    /// <summary>Fails on the first layer (a module without children) that has no rule, before anything runs.</summary>
    private static void RejectLayersWithoutRule(Module module, string path)
    {
        var children = module.NamedChildren().ToList();
        if (children.Count == 0 && !Layers.Contains(module.GetType()))
            throw new NotSupportedException($"{Describe(path, module)} has no ONNX form; ONNX export supports {Supported}");
        foreach (var (name, child) in children) RejectLayersWithoutRule(child, Join(path, name));
    }

    private static void CheckFloat32(Module module, Tensor exampleInput)
    {
        foreach (var (name, tensor) in module.NamedParameters().Concat(module.NamedBuffers()))
            if (tensor.DType.IsFloatingPoint() && tensor.DType != DType.Float32)
                throw new ArgumentException($"ONNX export writes float32 models, and '{name}' is {tensor.DType.Name()}: convert the model with module.To(DType.Float32)", nameof(module));
        if (exampleInput.DType != DType.Float32)
            throw new ArgumentException($"exampleInput must be float32 (ONNX export writes float32 models), got {exampleInput.DType.Name()}", nameof(exampleInput));
    }

    /// <summary>Runs the model on the example, turning a shape the model refuses into an error about exampleInput.</summary>
    private static void RunExample(Module module, Tensor exampleInput)
    {
        try
        {
            module.Forward(exampleInput);
        }
        catch (ArgumentException e)
        {
            string reason = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            throw new ArgumentException($"exampleInput of shape {Shapes.Format(exampleInput.ShapeArray)} does not fit the model: {reason}", nameof(exampleInput), e);
        }
    }

    private OnnxGraph Finish(Module module, Tensor exampleInput, Value output)
    {
        var y = output.Tensor;
        if (y.Rank == 0 || y.ShapeArray[0] != _batch)
            throw new NotSupportedException($"the model's output has shape {Shapes.Format(y.ShapeArray)} for an example batch of {_batch}: ONNX export needs the batch to stay the first dimension");
        if (output.Name == InputName) _nodes.Add(new OnnxNode("Identity", "/Identity", [InputName], [OutputName], []));
        else
            foreach (var node in _nodes)
            {
                Rename(node.Inputs, output.Name);
                Rename(node.Outputs, output.Name);
            }
        return new OnnxGraph(module.GetType().Name, _nodes, _initializers, [ValueInfo(InputName, exampleInput)], [ValueInfo(OutputName, y)]);
    }

    private static void Rename(string[] names, string from)
    {
        for (int i = 0; i < names.Length; i++)
            if (names[i] == from) names[i] = OutputName;
    }

    /// <summary>A float32 value whose first dimension is the symbolic batch.</summary>
    private static OnnxValueInfo ValueInfo(string name, Tensor example) =>
        new(name, OnnxElementType.Float, [(null, BatchSymbol), .. example.ShapeArray[1..].Select(d => ((long?)d, (string?)null))]);

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static string Describe(string path, Module module) =>
        path.Length == 0 ? $"the model ({module.GetType().Name})" : $"module '{path}' ({module.GetType().Name})";

    /// <summary>The graph of one module applied to <paramref name="x"/>; returns its output.</summary>
    private Value Emit(Module module, string path, Value x) => module switch
    {
        Sequential sequential => EmitChildren(sequential, path, x),
        Linear linear => EmitLinear(linear, path, x),
        Conv2d conv => EmitConv(conv, path, x),
        ReLU => Unary("Relu", module, path, x),
        LeakyReLU leaky => Unary("LeakyRelu", module, path, x, OnnxAttribute.Float("alpha", leaky.NegativeSlope)),
        Tanh => Unary("Tanh", module, path, x),
        Sigmoid => Unary("Sigmoid", module, path, x),
        GELU gelu => EmitGelu(gelu, path, x),
        SiLU => EmitSilu(module, path, x),
        MaxPool2d pool => EmitPool("MaxPool", pool, path, x, pool.KernelSize, pool.Stride, pool.Padding),
        AvgPool2d pool => EmitPool("AveragePool", pool, path, x, pool.KernelSize, pool.Stride, pool.Padding,
            // Descent divides by the whole window, padding included (count_include_pad), and rounds the output size down.
            OnnxAttribute.Int("count_include_pad", 1)),
        Flatten flatten => EmitFlatten(flatten, path, x),
        Unflatten unflatten => EmitUnflatten(unflatten, path, x),
        Dropout => Unary("Identity", module, path, x),
        LayerNorm norm => EmitLayerNorm(norm, path, x),
        BatchNorm norm when Layers.Contains(norm.GetType()) => EmitBatchNorm(norm, path, x),
        Softmax softmax => Unary("Softmax", module, path, x, OnnxAttribute.Int("axis", softmax.Dim)),
        LogSoftmax logSoftmax => Unary("LogSoftmax", module, path, x, OnnxAttribute.Int("axis", logSoftmax.Dim)),
        _ when module.NamedChildren().Any() => EmitChain(module, path, x),
        _ => throw new NotSupportedException($"{Describe(path, module)} has no ONNX form; ONNX export supports {Supported}"),
    };

    private Value EmitChildren(Module module, string path, Value x)
    {
        foreach (var (name, child) in module.NamedChildren()) x = Emit(child, Join(path, name), x);
        return x;
    }

    /// <summary>
    /// A module of another kind exports as its children in registration order, but only when that chain computes
    /// exactly what its Forward does on this input (its Forward may skip a child, add a residual, or use its own weights).
    /// </summary>
    private Value EmitChain(Module module, string path, Value x)
    {
        var expected = module.Forward(x.Tensor);
        Tensor? chained = x.Tensor;
        try
        {
            foreach (var (_, child) in module.NamedChildren()) chained = child.Forward(chained);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            chained = null; // the children do not even fit one after another
        }
        if (chained is null || !Identical(chained, expected))
        {
            string children = string.Join(", ", module.NamedChildren().Select(c => $"{c.Key} ({c.Value.GetType().Name})"));
            throw new NotSupportedException($"{Describe(path, module)}: its Forward is not its children applied in order ({children}); ONNX export supports {Supported}");
        }
        return EmitChildren(module, path, x);
    }

    private static bool Identical(Tensor a, Tensor b) =>
        a.DType == b.DType && Shapes.SameShape(a.ShapeArray, b.ShapeArray)
        && (a.DType != DType.Float32 || a.Contiguous().AsSpan<float>().SequenceEqual(b.Contiguous().AsSpan<float>()));

    private Value EmitLinear(Linear linear, string path, Value x)
    {
        var y = linear.Forward(x.Tensor);
        if (x.Tensor.Rank == 2)
        {
            string[] inputs = linear.Bias is { } b
                ? [x.Name, Weight(path, "weight", linear.Weight), Weight(path, "bias", b)]
                : [x.Name, Weight(path, "weight", linear.Weight)];
            return Node("Gemm", path, inputs, y, OnnxAttribute.Int("transB", 1));
        }
        // Gemm takes matrices only: a higher-rank input multiplies by the transposed weight and adds the bias (broadcast).
        var product = Node("MatMul", path, [x.Name, Weight(path, "weight_transposed", linear.Weight.T())], y);
        return linear.Bias is { } bias ? Node("Add", path, [product.Name, Weight(path, "bias", bias)], y) : product;
    }

    private Value EmitConv(Conv2d conv, string path, Value x)
    {
        RequireImages(conv, path, x);
        var y = conv.Forward(x.Tensor);
        int[] kernel = conv.Weight.Shape;
        string[] inputs = conv.Bias is { } b
            ? [x.Name, Weight(path, "weight", conv.Weight), Weight(path, "bias", b)]
            : [x.Name, Weight(path, "weight", conv.Weight)];
        return Node("Conv", path, inputs, y,
            OnnxAttribute.Ints("kernel_shape", kernel[2], kernel[3]),
            OnnxAttribute.Ints("strides", conv.Stride.H, conv.Stride.W),
            OnnxAttribute.Ints("pads", conv.Padding.H, conv.Padding.W, conv.Padding.H, conv.Padding.W),
            OnnxAttribute.Ints("dilations", 1, 1),
            OnnxAttribute.Int("group", 1));
    }

    private Value EmitPool(string op, Module pool, string path, Value x, Size2 kernel, Size2 stride, Size2 padding, params OnnxAttribute[] extra)
    {
        RequireImages(pool, path, x);
        var y = pool.Forward(x.Tensor);
        return Node(op, path, [x.Name], y,
        [
            OnnxAttribute.Ints("kernel_shape", kernel.H, kernel.W),
            OnnxAttribute.Ints("strides", stride.H, stride.W),
            OnnxAttribute.Ints("pads", padding.H, padding.W, padding.H, padding.W),
            .. extra,
        ]);
    }

    /// <summary>Descent's 2-D layers also take one unbatched image [C, H, W]; ONNX's need the batch.</summary>
    private static void RequireImages(Module module, string path, Value x)
    {
        if (x.Tensor.Rank != 4)
            throw new NotSupportedException($"{Describe(path, module)} gets an input of shape {Shapes.Format(x.Tensor.ShapeArray)}; ONNX export needs batches of images [N, C, H, W]");
    }

    /// <summary>Exact: x·½(1 + erf(x/√2)); tanh: ½x·(1 + tanh(√(2/π)·(x + 0.044715x³))). Opset 17 has no Gelu operator (it came in 20).</summary>
    private Value EmitGelu(GELU gelu, string path, Value x)
    {
        var y = gelu.Forward(x.Tensor);
        string half = Constant(path, "half", 0.5f), one = Constant(path, "one", 1f);
        Value inner;
        if (gelu.Approximate == "tanh")
        {
            var square = Node("Mul", path, [x.Name, x.Name], y);
            var cube = Node("Mul", path, [square.Name, x.Name], y);
            var scaledCube = Node("Mul", path, [cube.Name, Constant(path, "cubic", 0.044715f)], y);
            var sum = Node("Add", path, [x.Name, scaledCube.Name], y);
            var scaled = Node("Mul", path, [sum.Name, Constant(path, "sqrt_2_over_pi", (float)Math.Sqrt(2 / Math.PI))], y);
            inner = Node("Tanh", path, [scaled.Name], y);
        }
        else
        {
            var scaled = Node("Mul", path, [x.Name, Constant(path, "inv_sqrt2", (float)(1 / Math.Sqrt(2)))], y);
            inner = Node("Erf", path, [scaled.Name], y);
        }
        var onePlus = Node("Add", path, [inner.Name, one], y);
        var times = Node("Mul", path, [x.Name, onePlus.Name], y);
        return Node("Mul", path, [times.Name, half], y);
    }

    private Value EmitSilu(Module silu, string path, Value x)
    {
        var y = silu.Forward(x.Tensor);
        var sigmoid = Node("Sigmoid", path, [x.Name], y);
        return Node("Mul", path, [x.Name, sigmoid.Name], y);
    }

    /// <summary>ONNX's Flatten makes matrices [d0·…·d(axis−1), rest]: from dim 1 to the last it is exactly Flatten(); else a Reshape keeping the batch.</summary>
    private Value EmitFlatten(Flatten flatten, string path, Value x)
    {
        var y = flatten.Forward(x.Tensor);
        int rank = x.Tensor.Rank;
        int start = Shapes.NormalizeDim(flatten.StartDim, rank), end = Shapes.NormalizeDim(flatten.EndDim, rank);
        if (start == 0)
            throw new NotSupportedException($"{Describe(path, flatten)} flattens the batch dimension (startDim {flatten.StartDim}); ONNX export keeps the batch first");
        if (start == 1 && end == rank - 1) return Node("Flatten", path, [x.Name], y, OnnxAttribute.Int("axis", 1));
        return Reshape(path, x, y);
    }

    private Value EmitUnflatten(Unflatten unflatten, string path, Value x)
    {
        var y = unflatten.Forward(x.Tensor);
        if (Shapes.NormalizeDim(unflatten.Dim, x.Tensor.Rank) == 0)
            throw new NotSupportedException($"{Describe(path, unflatten)} unflattens the batch dimension (dim {unflatten.Dim}); ONNX export keeps the batch first");
        return Reshape(path, x, y);
    }

    /// <summary>A Reshape to the shape of <paramref name="y"/>, its first size 0 (ONNX: the input's own, here the batch).</summary>
    private Value Reshape(string path, Value x, Tensor y)
    {
        long[] shape = [0, .. y.ShapeArray[1..].Select(d => (long)d)];
        string name = Unique(Join(path, "shape"));
        _initializers.Add(OnnxTensor.Int64Vector(name, shape));
        return Node("Reshape", path, [x.Name, name], y);
    }

    private Value EmitLayerNorm(LayerNorm norm, string path, Value x)
    {
        var y = norm.Forward(x.Tensor);
        return Node("LayerNormalization", path, [x.Name, Weight(path, "weight", norm.Weight), Weight(path, "bias", norm.Bias)], y,
            OnnxAttribute.Int("axis", -norm.NormalizedShape.Count), OnnxAttribute.Float("epsilon", norm.Eps));
    }

    /// <summary>
    /// BatchNormalization in inference mode, with the running statistics. Without them Descent normalises with each
    /// batch's own statistics even in evaluation, which inference-mode BatchNormalization cannot express.
    /// </summary>
    private Value EmitBatchNorm(BatchNorm norm, string path, Value x)
    {
        if (!norm.TrackRunningStats)
            throw new NotSupportedException($"{Describe(path, norm)} keeps no running statistics (trackRunningStats: false), so it normalises with each batch's own statistics even in evaluation; ONNX export writes BatchNormalization in inference mode, which needs running statistics");
        var y = norm.Forward(x.Tensor);
        // Without affine, the scale is ones and the shift zeros.
        string scale = Weight(path, "weight", norm.Weight ?? Tensor.Ones([norm.NumFeatures]));
        string shift = Weight(path, "bias", norm.Bias ?? Tensor.Zeros([norm.NumFeatures]));
        return Node("BatchNormalization", path,
            [x.Name, scale, shift, Weight(path, "running_mean", norm.RunningMean!), Weight(path, "running_var", norm.RunningVar!)], y,
            OnnxAttribute.Float("epsilon", norm.Eps));
    }

    private Value Unary(string op, Module module, string path, Value x, params OnnxAttribute[] attributes) =>
        Node(op, path, [x.Name], module.Forward(x.Tensor), attributes);

    /// <summary>Adds a node with one output, named after the module's path and the operator; <paramref name="y"/> is what Descent computed.</summary>
    private Value Node(string op, string path, string[] inputs, Tensor y, params OnnxAttribute[] attributes)
    {
        string prefix = "/" + (path.Length == 0 ? "" : path.Replace('.', '/') + "/") + op;
        string output = Unique(prefix + "_output");
        _nodes.Add(new OnnxNode(op, Unique(prefix), inputs, [output], attributes));
        return new Value(output, y);
    }

    /// <summary>A weight as an initializer named as in the state dict (<c>layers.0.weight</c>).</summary>
    private string Weight(string path, string name, Tensor tensor)
    {
        string full = Unique(Join(path, name));
        _initializers.Add(OnnxTensor.FromFloat32(full, tensor));
        return full;
    }

    private string Constant(string path, string name, float value)
    {
        string full = Unique(Join(path, name));
        _initializers.Add(OnnxTensor.Scalar(full, value));
        return full;
    }

    /// <summary><paramref name="name"/>, or with a suffix _1, _2… when a value or node already has it.</summary>
    private string Unique(string name)
    {
        string candidate = name;
        for (int i = 1; !_names.Add(candidate); i++) candidate = name + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return candidate;
    }
}
