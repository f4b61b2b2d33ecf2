using System.Buffers.Binary;
using System.Text;
using Descent.IO;

namespace Descent.Tests.IO;

/// <summary>Round trips, and the bytes checked against the format's rules (built by hand from the specification).</summary>
public class SafeTensorsFormatTests
{
    internal static byte[] FileBytes(string json, byte[] data)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    private static byte[] Le(params float[] v) => v.SelectMany(x => { var b = new byte[4]; BinaryPrimitives.WriteSingleLittleEndian(b, x); return b; }).ToArray();
    private static byte[] Le(params double[] v) => v.SelectMany(x => { var b = new byte[8]; BinaryPrimitives.WriteDoubleLittleEndian(b, x); return b; }).ToArray();
    private static byte[] Le(params long[] v) => v.SelectMany(x => { var b = new byte[8]; BinaryPrimitives.WriteInt64LittleEndian(b, x); return b; }).ToArray();

    private static string Padded(string json) => json + new string(' ', (8 - Encoding.UTF8.GetByteCount(json) % 8) % 8);

    [Fact]
    public void WritesTheReferenceWritersBytesForOneTensor()
    {
        // The reference implementation's own serialization example: "attn.0", F32, shape [1, 2, 3], values 0..5.
        var t = Tensor.FromArray(new float[] { 0, 1, 2, 3, 4, 5 }, [1, 2, 3]);
        var bytes = SafeTensors.Serialize(new Dictionary<string, Tensor> { ["attn.0"] = t });
        var expected = FileBytes("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", Le(0f, 1, 2, 3, 4, 5));
        Assert.Equal(64, BinaryPrimitives.ReadInt64LittleEndian(bytes));
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void WritesEmptyFilesAsTheReferenceDoes()
    {
        Assert.Equal(FileBytes("{}      ", []), SafeTensors.Serialize(new Dictionary<string, Tensor>()));
        var withMeta = SafeTensors.Serialize(new Dictionary<string, Tensor>(), new Dictionary<string, string> { ["framework"] = "pt" });
        Assert.Equal(FileBytes("{\"__metadata__\":{\"framework\":\"pt\"}}     ", []), withMeta);
        Assert.Equal(40, BinaryPrimitives.ReadInt64LittleEndian(withMeta));
    }

    [Fact]
    public void OrdersDataByDescendingDtypeThenNameAndPadsTheHeader()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["w"] = Tensor.FromArray(new float[] { 1.5f, -2f }),
            ["b"] = Tensor.FromArray(new float[] { 3f }),
            ["step"] = Tensor.Scalar(7, DType.Int64),
            ["a"] = Tensor.FromArray(new long[] { -1, 2 }),
            ["d"] = Tensor.Zeros([1, 0], DType.Float64),
            ["e"] = Tensor.FromArray(new double[] { 0.25 }),
        };
        var meta = new Dictionary<string, string> { ["z"] = "last", ["format"] = "pt", ["q\"\n"] = "ü\\" };
        string json = "{\"__metadata__\":{\"format\":\"pt\",\"q\\\"\\n\":\"ü\\\\\",\"z\":\"last\"},"
            + "\"a\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
            + "\"step\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[16,24]},"
            + "\"d\":{\"dtype\":\"F64\",\"shape\":[1,0],\"data_offsets\":[24,24]},"
            + "\"e\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[24,32]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[32,36]},"
            + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[36,44]}}";
        byte[] data = [.. Le(-1L, 2L), .. Le(7L), .. Le(0.25), .. Le(3f), .. Le(1.5f, -2f)];
        var expected = FileBytes(Padded(json), data);
        Assert.Equal(0, (expected.Length - data.Length) % 8);
        Assert.Equal(expected, SafeTensors.Serialize(tensors, meta));
    }

    [Fact]
    public void FileStreamAndBytesOverloadsWriteTheSameBytes()
    {
        var tensors = new Dictionary<string, Tensor> { ["x"] = Tensor.Arange(6).Reshape([2, 3]).T() };
        var bytes = SafeTensors.Serialize(tensors);
        var ms = new MemoryStream();
        SafeTensors.Save(ms, tensors);
        Assert.Equal(bytes, ms.ToArray());
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "x.safetensors");
        SafeTensors.Save(path, tensors);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        // The transposed (non-contiguous) tensor is written in row-major order of its shape.
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, SafeTensors.Load(bytes).Tensors["x"].ToArray<float>());
    }

    [Fact]
    public void RoundTripsEveryDtypeScalarsEmptyTensorsAndMetadata()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = Tensor.FromArray(new[] { 1f, float.NaN, float.NegativeInfinity, float.Epsilon, -0f, 3.25f }, [2, 3]),
            ["f64"] = Tensor.FromArray(new[] { Math.PI, double.MaxValue, -1e-300 }),
            ["i64"] = Tensor.FromArray(new[] { long.MinValue, 0, long.MaxValue }, [3, 1]),
            ["scalar"] = Tensor.Scalar(2.5, DType.Float64),
            ["empty"] = Tensor.Zeros([0]),
            ["empty3"] = Tensor.Zeros([2, 0, 3], DType.Int64),
            ["layer.0.weight"] = Tensor.Randn([4, 5], generator: new Generator(1)),
        };
        var meta = new Dictionary<string, string> { ["epoch"] = "3", ["note"] = "ünïcödé \"quoted\"\t<tab>" };
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "m.safetensors");
        SafeTensors.Save(path, tensors, meta);
        var (loaded, loadedMeta) = SafeTensors.Load(path);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), loaded.Keys);
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.DType, loaded[name].DType);
            Assert.Equal(t.Shape, loaded[name].Shape);
            Assert.Equal(Bits(t), Bits(loaded[name]));
        }
        Assert.Equal(meta, loadedMeta);
    }

    private static long[] Bits(Tensor t) => t.NumEl == 0 ? [] : t.DType switch
    {
        DType.Float32 => t.ToArray<float>().Select(v => (long)BitConverter.SingleToInt32Bits(v)).ToArray(),
        DType.Float64 => t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits).ToArray(),
        _ => t.ToArray<long>(),
    };

    [Fact]
    public void ReadsHandBuiltFilesInAnyKeyOrderWithWhitespace()
    {
        string json = "{\n  \"b\": {\"shape\": [2], \"data_offsets\": [8, 16], \"dtype\": \"F32\"},\n"
            + "  \"__metadata__\": {\"k\": \"v\"},\n"
            + "  \"a\": {\"data_offsets\": [0, 8], \"dtype\": \"F64\", \"shape\": [1, 1], \"extra\": 1}\n}   ";
        byte[] data = [.. Le(-0.5), .. Le(1f, 2f)];
        var (tensors, meta) = SafeTensors.Load(FileBytes(json, data));
        Assert.Equal(["a", "b"], tensors.Keys);
        Assert.Equal([1, 1], tensors["a"].Shape);
        Assert.Equal(-0.5, tensors["a"].Item<double>());
        Assert.Equal(new[] { 1f, 2f }, tensors["b"].ToArray<float>());
        Assert.Equal("v", meta["k"]);
    }

    [Fact]
    public void ReadsDataLaidOutInNameOrderAndNullMetadata()
    {
        // An older writer's layout: F32 before I64 (not alignment-sorted) is still a valid file.
        string json = "{\"__metadata__\":null,\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[4,12]}}";
        var (tensors, meta) = SafeTensors.Load(new NonSeekableStream(FileBytes(json, [.. Le(9f), .. Le(42L)])));
        Assert.Equal(9f, tensors["a"].Item<float>());
        Assert.Equal(42L, tensors["b"].Item<long>());
        Assert.Empty(meta);
    }

    [Fact]
    public void SaveRejectsReservedNamesAndNulls()
    {
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Serialize(new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Zeros([1]) }));
        Assert.Contains("__metadata__", e.Message);
        e = Assert.Throws<ArgumentException>(() => SafeTensors.Serialize(new Dictionary<string, Tensor> { ["w"] = null! }));
        Assert.Contains("'w'", e.Message);
        e = Assert.Throws<ArgumentException>(() => SafeTensors.Serialize(new Dictionary<string, Tensor>(), new Dictionary<string, string> { ["k"] = null! }));
        Assert.Contains("'k'", e.Message);
    }

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}

/// <summary>A fresh folder under the temp directory, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("descent-test-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
