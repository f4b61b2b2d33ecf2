using System.Text;
using Descent.IO;
using static Descent.Tests.IO.SafeTensorsFormatTests;

namespace Descent.Tests.IO;

/// <summary>
/// Shapes at the edges of the format: the reader accepts what the reference reader accepts (its element count is the
/// running product of the sizes in 64 bits, checked at each step), and whatever Save writes, Load reads back.
/// </summary>
public class SafeTensorsShapeTests
{
    private const int Max = int.MaxValue;

    private static byte[] OneTensor(string shape, long bytes) =>
        FileBytes($"{{\"t\":{{\"dtype\":\"F32\",\"shape\":{shape},\"data_offsets\":[0,{bytes}]}}}}", new byte[bytes]);

    [Fact]
    public void AnEmptyTensorWithLargeOtherSizesLoadsAsTheReferenceReaderLoadsIt()
    {
        // The reference's running product (2³¹−1)² fits 64 bits, and the 0 then makes it 0 elements and 0 bytes.
        var t = SafeTensors.Load(OneTensor("[2147483647,2147483647,0]", 0)).Tensors["t"];
        Assert.Equal(new[] { Max, Max, 0 }, t.Shape);
        Assert.Equal(0, t.NumEl);
        Assert.Equal(new[] { 0, Max, Max }, SafeTensors.Load(OneTensor("[0,2147483647,2147483647]", 0)).Tensors["t"].Shape);
    }

    [Fact]
    public void AShapeWhoseRunningProductOverflowsIsRejectedAsTheReferenceRejectsIt()
    {
        // (2³¹−1)³ overflows 64 bits before the 0 is reached.
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(OneTensor("[2147483647,2147483647,2147483647,0]", 0)));
        Assert.Contains("tensor 't'", e.Message);
        Assert.Contains("[2147483647, 2147483647, 2147483647, 0]", e.Message);
        Assert.Contains("overflows 64 bits", e.Message);
        // 65536⁴ = 2⁶⁴: a product that wraps to 0 in 64 bits is an overflow, not an empty tensor.
        Assert.Contains("overflows 64 bits", Assert.Throws<InvalidDataException>(() => SafeTensors.Load(OneTensor("[65536,65536,65536,65536]", 0))).Message);
    }

    [Fact]
    public void ACountAboveDescentsLimitIsRejectedBeforeAnyAllocation()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(OneTensor($"[{Array.MaxLength + 1}]", 8)));
        Assert.Contains($"more than {Array.MaxLength} elements", e.Message);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 1 << 20);
    }

    public static TheoryData<int[]> EdgeShapes() => new()
    {
        Array.Empty<int>(), new[] { 0 }, new[] { 1 }, new[] { 1, 1, 1, 5 }, new[] { 3, 0, 4 }, new[] { Max, Max, 0 }, new[] { 0, Max, Max },
        new[] { Max, 0, Max }, new[] { Max, 0 }, new[] { 65536, 65536, 65536, 0 }, new[] { 1 << 16, 1 << 5 }, new[] { 7, 1, 3 },
    };

    [Theory]
    [MemberData(nameof(EdgeShapes))]
    public void WhatSerializeWritesLoadReadsBack(int[] shape)
    {
        var t = Tensor.Randn(shape, generator: new Generator(shape.Length));
        var i = Tensor.Arange(Math.Min(t.NumEl, 10), DType.Int64);
        var bytes = SafeTensors.Serialize(new Dictionary<string, Tensor> { ["t"] = t, ["i"] = i });
        var back = SafeTensors.Load(bytes).Tensors;
        Assert.Equal(shape, back["t"].Shape);
        Assert.Equal(t.ToArray<float>(), back["t"].ToArray<float>());
        Assert.Equal(i.ToArray<long>(), back["i"].ToArray<long>());
    }

    [Fact]
    public void SerializeRefusesAShapeThatNoReaderAccepts()
    {
        // A Descent tensor may have this shape (no elements), but its running product overflows 64 bits.
        var t = Tensor.Zeros([Max, Max, Max, 0]);
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Serialize(new Dictionary<string, Tensor> { ["t"] = t }));
        Assert.Contains("tensor 't'", e.Message);
        Assert.Contains("[2147483647, 2147483647, 2147483647, 0]", e.Message);
        using var stream = new MemoryStream();
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(stream, new Dictionary<string, Tensor> { ["t"] = t }));
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void SerializeRefusesNamesThatUtf8WouldMerge()
    {
        // Both lone surrogates would be written as U+FFFD: one name twice, which readers reject.
        var tensors = new Dictionary<string, Tensor> { ["w\uD800"] = Tensor.Zeros([1]), ["w\uDC00"] = Tensor.Zeros([1]) };
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Serialize(tensors));
        Assert.Contains("lone surrogate", e.Message);
        Assert.Throws<ArgumentException>(() => SafeTensors.Serialize(new Dictionary<string, Tensor> { ["w"] = Tensor.Zeros([1]) },
            new Dictionary<string, string> { ["note"] = "a\uDFFFb" }));
        // A surrogate pair is an ordinary character.
        var ok = SafeTensors.Load(SafeTensors.Serialize(new Dictionary<string, Tensor> { ["w\uD83D\uDE00"] = Tensor.Zeros([1]) }));
        Assert.Equal("w\uD83D\uDE00", Assert.Single(ok.Tensors.Keys));
    }

    [Fact]
    public void SerializeRefusesAHeaderLargerThanReadersAccept()
    {
        // 33,333,334 three-byte characters: a header just over the 100,000,000 bytes the reference reader accepts.
        string note = new('€', 33_333_334);
        var tensors = new Dictionary<string, Tensor> { ["w"] = Tensor.Zeros([1]) };
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Serialize(tensors, new Dictionary<string, string> { ["note"] = note }));
        Assert.Contains("100000000", e.Message);
        Assert.True(Encoding.UTF8.GetByteCount(note) > 100_000_000 - 100);
    }
}
