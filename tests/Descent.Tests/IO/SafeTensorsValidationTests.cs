using System.Buffers.Binary;
using Descent.IO;
using static Descent.Tests.IO.SafeTensorsFormatTests;

namespace Descent.Tests.IO;

/// <summary>Every way a file can break the format gives a clear InvalidDataException naming the tensor and the numbers.</summary>
public class SafeTensorsValidationTests
{
    private static string Entry(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    private static InvalidDataException Fails(byte[] file) => Assert.Throws<InvalidDataException>(() => SafeTensors.Load(file));

    private static InvalidDataException Fails(string json, int dataBytes) => Fails(FileBytes(json, new byte[dataBytes]));

    [Fact]
    public void FileShorterThanTheLengthField()
    {
        var e = Fails(new byte[5]);
        Assert.Contains("5 bytes", e.Message);
    }

    [Fact]
    public void HeaderLengthAboveTheLimit()
    {
        var file = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(file, 100_000_001);
        Assert.Contains("100000001", Fails(file).Message);
        BinaryPrimitives.WriteUInt64LittleEndian(file, ulong.MaxValue);
        Assert.Contains(ulong.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), Fails(file).Message);
    }

    [Fact]
    public void HeaderLengthBeyondTheFile()
    {
        var file = FileBytes("{}", []);
        BinaryPrimitives.WriteUInt64LittleEndian(file, 3);
        var e = Fails(file);
        Assert.Contains("header length 3", e.Message);
        Assert.Contains("2 bytes", e.Message);
    }

    [Theory]
    [InlineData("[]", "start with '{'")]
    [InlineData(" {}", "start with '{'")]
    [InlineData("{\"a\":", "not valid JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",}}", "not valid JSON")]
    [InlineData("{\"a\":[]}", "tensor 'a': entry must be an object")]
    [InlineData("{\"a\":{\"shape\":[],\"data_offsets\":[0,4]}}", "tensor 'a': missing or non-string \"dtype\"")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "tensor 'a': missing or non-array \"shape\"")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[]}}", "tensor 'a': \"data_offsets\" must be")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4,8]}}", "tensor 'a': \"data_offsets\" must be")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "tensor 'a': shape entries must be non-negative integers, got -1")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", "got 1.5")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", "tensor 'a': data offsets must be non-negative integers, got -4")]
    [InlineData("{\"a\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}", "tensor 'a': unknown dtype \"Q7\"")]
    [InlineData("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", "tensor 'a': dtype F16 is valid safetensors but Descent reads only")]
    [InlineData("{\"__metadata__\":{\"k\":1}}", "value of 'k' must be a string")]
    [InlineData("{\"__metadata__\":[]}", "__metadata__ must be an object")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "names 'a' twice")]
    public void MalformedHeaders(string json, string expected)
    {
        Assert.Contains(expected, Fails(json, 4).Message);
    }

    [Fact]
    public void HeaderThatIsNotUtf8()
    {
        var file = FileBytes("{\"a\":1}", []);
        file[10] = 0xff;
        Assert.Contains("not valid UTF-8", Fails(file).Message);
    }

    [Fact]
    public void OffsetsPastTheEndOfTheData()
    {
        var e = Fails("{" + Entry("w", "F32", "[4]", 0, 16) + "}", 12);
        Assert.Contains("tensor 'w': data_offsets [0, 16] go past the end of the data region (12 bytes)", e.Message);
    }

    [Fact]
    public void OffsetsThatEndBeforeTheyBegin()
    {
        var e = Fails("{" + Entry("w", "F32", "[1]", 8, 4) + "}", 8);
        Assert.Contains("tensor 'w': data_offsets [8, 4] end before they begin", e.Message);
    }

    [Fact]
    public void OverlappingTensors()
    {
        var e = Fails("{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("b", "F32", "[2]", 4, 12) + "}", 12);
        Assert.Contains("tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]", e.Message);
    }

    [Fact]
    public void HoleBetweenTensors()
    {
        var e = Fails("{" + Entry("a", "F32", "[1]", 0, 4) + "," + Entry("b", "F32", "[1]", 8, 12) + "}", 12);
        Assert.Contains("tensor 'b': data_offsets [8, 12] leave bytes [4, 8) of the data region unused", e.Message);
    }

    [Fact]
    public void TrailingBytesAfterTheLastTensor()
    {
        var e = Fails("{" + Entry("a", "F32", "[1]", 0, 4) + "}", 7);
        Assert.Contains("cover 4 bytes but the data region has 7", e.Message);
    }

    [Fact]
    public void DtypeTimesShapeDisagreesWithTheByteLength()
    {
        var e = Fails("{" + Entry("w", "F64", "[2, 3]", 0, 24) + "}", 24);
        Assert.Contains("tensor 'w': dtype F64 × shape [2, 3] = 48 bytes, but data_offsets [0, 24] hold 24", e.Message);
    }

    [Fact]
    public void ShapeTooLargeForATensor()
    {
        var e = Fails("{" + Entry("w", "F32", "[65536, 65536]", 0, 4) + "}", 4);
        Assert.Contains("tensor 'w': shape [65536, 65536] has more than", e.Message);
    }

    [Fact]
    public void LoadingAFileNamesTheFileAndLeavesItUnchanged()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "bad.safetensors");
        var bytes = FileBytes("{" + Entry("w", "F32", "[3]", 0, 8) + "}", new byte[8]);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains("tensor 'w'", e.Message);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }
}
