using System.Buffers.Binary;

namespace Descent.IO;

// The ONNX messages the export writes, with the field numbers of onnx/onnx.proto (proto2, IR version 8):
//   ModelProto:         ir_version = 1, producer_name = 2, producer_version = 3, graph = 7, opset_import = 8
//   OperatorSetIdProto: domain = 1, version = 2
//   GraphProto:         node = 1, name = 2, initializer = 5, input = 11, output = 12
//   NodeProto:          input = 1, output = 2, name = 3, op_type = 4, attribute = 5
//   AttributeProto:     name = 1, f = 2, i = 3, ints = 8, type = 20 (AttributeType FLOAT = 1, INT = 2, INTS = 7)
//   TensorProto:        dims = 1, data_type = 2 (DataType FLOAT = 1, INT64 = 7), name = 8, raw_data = 9
//   ValueInfoProto:     name = 1, type = 2
//   TypeProto:          tensor_type = 1;  TypeProto.Tensor: elem_type = 1, shape = 2
//   TensorShapeProto:   dim = 1;  TensorShapeProto.Dimension: dim_value = 1, dim_param = 2

/// <summary>The element types of TensorProto.DataType that the export writes.</summary>
internal enum OnnxElementType
{
    /// <summary>32-bit float.</summary>
    Float = 1,

    /// <summary>64-bit signed integer (shapes).</summary>
    Int64 = 7,
}

/// <summary>A node attribute: an int, a float or a list of ints.</summary>
internal sealed class OnnxAttribute
{
    private const int FloatType = 1, IntType = 2, IntsType = 7;

    private readonly int _type;
    private readonly long _int;
    private readonly float _float;
    private readonly long[] _ints = [];

    private OnnxAttribute(string name, int type, long i = 0, float f = 0, long[]? ints = null)
    {
        Name = name;
        _type = type;
        _int = i;
        _float = f;
        _ints = ints ?? [];
    }

    /// <summary>The attribute's name (e.g. <c>transB</c>).</summary>
    public string Name { get; }

    /// <summary>An INT attribute.</summary>
    public static OnnxAttribute Int(string name, long value) => new(name, IntType, i: value);

    /// <summary>A FLOAT attribute.</summary>
    public static OnnxAttribute Float(string name, double value) => new(name, FloatType, f: (float)value);

    /// <summary>An INTS attribute.</summary>
    public static OnnxAttribute Ints(string name, params long[] values) => new(name, IntsType, ints: values);

    /// <summary>Writes the AttributeProto.</summary>
    public void WriteTo(ProtoWriter w)
    {
        w.String(1, Name);
        switch (_type)
        {
            case FloatType: w.Float(2, _float); break;
            case IntType: w.Int64(3, _int); break;
            default: w.PackedInt64(8, _ints); break;
        }
        w.Int64(20, _type);
    }
}

/// <summary>One operator application: inputs and outputs by value name.</summary>
internal sealed class OnnxNode(string opType, string name, string[] inputs, string[] outputs, OnnxAttribute[] attributes)
{
    /// <summary>The operator (e.g. <c>Gemm</c>), in the default domain.</summary>
    public string OpType { get; } = opType;

    /// <summary>The input value names (an empty name skips an optional input).</summary>
    public string[] Inputs { get; } = inputs;

    /// <summary>The output value names.</summary>
    public string[] Outputs { get; } = outputs;

    /// <summary>Writes the NodeProto.</summary>
    public void WriteTo(ProtoWriter w)
    {
        foreach (var input in Inputs) w.String(1, input);
        foreach (var output in Outputs) w.String(2, output);
        w.String(3, name);
        w.String(4, OpType);
        foreach (var attribute in attributes) w.Message(5, attribute.WriteTo);
    }
}

/// <summary>A constant tensor of the graph (a weight, a shape), its elements little-endian in raw_data.</summary>
internal sealed class OnnxTensor(string name, OnnxElementType type, long[] dims, byte[] rawData)
{
    /// <summary>The value name the nodes use.</summary>
    public string Name { get; } = name;

    /// <summary>A float32 tensor with the elements and shape of <paramref name="tensor"/>.</summary>
    public static OnnxTensor FromFloat32(string name, Tensor tensor)
    {
        var elements = tensor.Contiguous().AsSpan<float>();
        var bytes = new byte[elements.Length * sizeof(float)];
        for (int i = 0; i < elements.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), elements[i]);
        return new OnnxTensor(name, OnnxElementType.Float, [.. tensor.Shape.Select(d => (long)d)], bytes);
    }

    /// <summary>A float32 scalar (rank 0).</summary>
    public static OnnxTensor Scalar(string name, float value)
    {
        var bytes = new byte[sizeof(float)];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        return new OnnxTensor(name, OnnxElementType.Float, [], bytes);
    }

    /// <summary>A 1-D int64 tensor (e.g. the target shape of a Reshape).</summary>
    public static OnnxTensor Int64Vector(string name, long[] values)
    {
        var bytes = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        return new OnnxTensor(name, OnnxElementType.Int64, [values.Length], bytes);
    }

    /// <summary>Writes the TensorProto.</summary>
    public void WriteTo(ProtoWriter w)
    {
        if (dims.Length > 0) w.PackedInt64(1, dims);
        w.Int64(2, (long)type);
        w.String(8, Name);
        w.Bytes(9, rawData);
    }
}

/// <summary>A graph input or output: its name, element type and shape, each dimension a size or a symbolic name.</summary>
internal sealed class OnnxValueInfo(string name, OnnxElementType type, (long? Size, string? Symbol)[] dims)
{
    /// <summary>Writes the ValueInfoProto.</summary>
    public void WriteTo(ProtoWriter w)
    {
        w.String(1, name);
        w.Message(2, typeProto => typeProto.Message(1, tensorType =>
        {
            tensorType.Int64(1, (long)type);
            tensorType.Message(2, shape =>
            {
                foreach (var (size, symbol) in dims)
                    shape.Message(1, dim =>
                    {
                        if (symbol is not null) dim.String(2, symbol);
                        else dim.Int64(1, size!.Value);
                    });
            });
        }));
    }
}

/// <summary>The computation: nodes in execution order, the constants, and the inputs and outputs.</summary>
internal sealed class OnnxGraph(string name, IReadOnlyList<OnnxNode> nodes, IReadOnlyList<OnnxTensor> initializers,
    IReadOnlyList<OnnxValueInfo> inputs, IReadOnlyList<OnnxValueInfo> outputs)
{
    /// <summary>The nodes, in execution order.</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; } = nodes;

    /// <summary>Writes the GraphProto.</summary>
    public void WriteTo(ProtoWriter w)
    {
        foreach (var node in Nodes) w.Message(1, node.WriteTo);
        w.String(2, name);
        foreach (var initializer in initializers) w.Message(5, initializer.WriteTo);
        foreach (var input in inputs) w.Message(11, input.WriteTo);
        foreach (var output in outputs) w.Message(12, output.WriteTo);
    }
}

/// <summary>A whole ONNX file: the IR version, the operator set, who produced it, and the graph.</summary>
internal sealed class OnnxModel(OnnxGraph graph, string producerVersion)
{
    /// <summary>The IR version of ONNX 1.12 to 1.13, which goes with opset 17.</summary>
    public const long IrVersion = 8;

    /// <summary>The version of the default operator set (ai.onnx) the nodes use.</summary>
    public const long Opset = 17;

    /// <summary>The graph.</summary>
    public OnnxGraph Graph { get; } = graph;

    /// <summary>Writes the ModelProto to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        var w = new ProtoWriter();
        w.Int64(1, IrVersion);
        w.String(2, "Descent");
        w.String(3, producerVersion);
        w.Message(7, Graph.WriteTo);
        w.Message(8, opset => opset.String(1, "").Int64(2, Opset));
        w.CopyTo(stream);
    }
}
