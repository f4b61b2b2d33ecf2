using System.Text;

namespace Descent.Optim;

/// <summary>
/// Saves an <see cref="OptimizerStateDict"/> to a small binary file and reads it back exactly (every number and tensor
/// element bit for bit). The file is written to a temporary name beside the target, flushed to disk and renamed over
/// the target, so a crash never leaves a half-written state behind.
/// </summary>
/// <remarks>
/// Layout (little-endian): the magic <c>DESCOPT1</c>; the group count, then per group its parameter indices and its
/// hyperparameters (name, type tag, value); the state count, then per parameter its index, step, numbers (name, value)
/// and tensors (name, dtype, shape, raw elements). Strings are length-prefixed UTF-8.
/// </remarks>
public static class OptimizerStateFile
{
    private static readonly byte[] Magic = "DESCOPT1"u8.ToArray();

    private enum Tag : byte { Double = 1, Bool = 2, String = 3, Pair = 4, Long = 5 }

    /// <summary>Writes <paramref name="stateDict"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(OptimizerStateDict stateDict, string path)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Descent.IO.AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            WriteBody(w, stateDict);
        });
    }

    /// <summary>Reads a state dict written by <see cref="Write"/>.</summary>
    public static OptimizerStateDict Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            return ReadBody(r);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path} ends early: it is not a complete optimizer state file", e);
        }
    }

    private static void WriteBody(BinaryWriter w, OptimizerStateDict dict)
    {
        w.Write(Magic);
        w.Write(dict.ParamGroups.Count);
        foreach (var g in dict.ParamGroups)
        {
            w.Write(g.Params.Count);
            foreach (int i in g.Params) w.Write(i);
            w.Write(g.Hyperparameters.Count);
            foreach (var (name, value) in g.Hyperparameters)
            {
                w.Write(name);
                WriteValue(w, name, value);
            }
        }
        w.Write(dict.State.Count);
        foreach (var (index, s) in dict.State)
        {
            w.Write(index);
            w.Write(s.Step);
            w.Write(s.Numbers.Count);
            foreach (var (name, v) in s.Numbers)
            {
                w.Write(name);
                w.Write(v);
            }
            w.Write(s.Tensors.Count);
            foreach (var (name, t) in s.Tensors)
            {
                w.Write(name);
                WriteTensor(w, t);
            }
        }
    }

    private static void WriteValue(BinaryWriter w, string name, object value)
    {
        switch (value)
        {
            case double d: w.Write((byte)Tag.Double); w.Write(d); break;
            case float f: w.Write((byte)Tag.Double); w.Write((double)f); break;
            case bool b: w.Write((byte)Tag.Bool); w.Write(b); break;
            case int i: w.Write((byte)Tag.Long); w.Write((long)i); break;
            case long l: w.Write((byte)Tag.Long); w.Write(l); break;
            case string s: w.Write((byte)Tag.String); w.Write(s); break;
            case double[] { Length: 2 } a: w.Write((byte)Tag.Pair); w.Write(a[0]); w.Write(a[1]); break;
            case ValueTuple<double, double> t: w.Write((byte)Tag.Pair); w.Write(t.Item1); w.Write(t.Item2); break;
            default: throw new ArgumentException($"hyperparameter {name} has a value of type {value?.GetType().Name ?? "null"} that the state file cannot hold", nameof(value));
        }
    }

    private static void WriteTensor(BinaryWriter w, Tensor t)
    {
        w.Write((byte)t.DType);
        w.Write(t.Rank);
        foreach (int d in t.ShapeArray) w.Write(d);
        var c = t.Detach().Contiguous();
        switch (t.DType)
        {
            case DType.Float32: w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(c.AsSpan<float>())); break;
            case DType.Float64: w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(c.AsSpan<double>())); break;
            default: w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(c.AsSpan<long>())); break;
        }
    }

    private static OptimizerStateDict ReadBody(BinaryReader r)
    {
        if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
            throw new InvalidDataException("not an optimizer state file (wrong magic bytes)");
        var dict = new OptimizerStateDict();
        int groups = Count(r);
        for (int gi = 0; gi < groups; gi++)
        {
            var g = new ParamGroupState();
            int n = Count(r);
            for (int i = 0; i < n; i++) g.Params.Add(r.ReadInt32());
            int h = Count(r);
            for (int i = 0; i < h; i++)
            {
                string name = r.ReadString();
                g.Hyperparameters[name] = (Tag)r.ReadByte() switch
                {
                    Tag.Double => r.ReadDouble(),
                    Tag.Bool => r.ReadBoolean(),
                    Tag.Long => r.ReadInt64(),
                    Tag.String => r.ReadString(),
                    Tag.Pair => new[] { r.ReadDouble(), r.ReadDouble() },
                    var tag => throw new InvalidDataException($"hyperparameter {name} has an unknown type tag {(byte)tag}"),
                };
            }
            dict.ParamGroups.Add(g);
        }
        int states = Count(r);
        for (int si = 0; si < states; si++)
        {
            int index = r.ReadInt32();
            var s = new ParamState { Step = r.ReadInt64() };
            int numbers = Count(r);
            for (int i = 0; i < numbers; i++) s.Numbers[r.ReadString()] = r.ReadDouble();
            int tensors = Count(r);
            for (int i = 0; i < tensors; i++) s.Tensors[r.ReadString()] = ReadTensor(r);
            dict.State[index] = s;
        }
        return dict;
    }

    private static int Count(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n < 0) throw new InvalidDataException($"negative count {n} in the state file");
        return n;
    }

    private static Tensor ReadTensor(BinaryReader r)
    {
        var dtype = (DType)r.ReadByte();
        if (dtype is not (DType.Float32 or DType.Float64 or DType.Int64)) throw new InvalidDataException($"unknown dtype tag {(byte)dtype}");
        int rank = Count(r);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++) shape[i] = Count(r);
        var t = Tensor.Zeros(shape, dtype);
        Span<byte> bytes = dtype switch
        {
            DType.Float32 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.AsSpan<float>()),
            DType.Float64 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.AsSpan<double>()),
            _ => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.AsSpan<long>()),
        };
        while (bytes.Length > 0)
        {
            int read = r.Read(bytes);
            if (read == 0) throw new EndOfStreamException();
            bytes = bytes[read..];
        }
        return t;
    }
}
