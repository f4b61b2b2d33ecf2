using Descent.IO;

namespace Descent.Tests.IO;

/// <summary>The hand-written protobuf encoder of the ONNX export, against bytes worked out from the wire format's rules.</summary>
public class ProtoWriterTests
{
    [Fact]
    public void Varints_take_seven_bits_a_byte_and_a_negative_int64_ten_bytes()
    {
        Assert.Equal(new byte[] { 0x08, 0x08 }, new ProtoWriter().Int64(1, 8).ToArray());
        Assert.Equal(new byte[] { 0x10, 0xAC, 0x02 }, new ProtoWriter().Int64(2, 300).ToArray());
        Assert.Equal(new byte[] { 0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, new ProtoWriter().Int64(3, -1).ToArray());
        // Field 20 needs a two-byte tag: (20 << 3) | 0 = 160.
        Assert.Equal(new byte[] { 0xA0, 0x01, 0x07 }, new ProtoWriter().Int64(20, 7).ToArray());
    }

    [Fact]
    public void Strings_floats_and_packed_ints_have_their_wire_types()
    {
        Assert.Equal(new byte[] { 0x12, 0x03, (byte)'a', (byte)'b', (byte)'c' }, new ProtoWriter().String(2, "abc").ToArray());
        Assert.Equal(new byte[] { 0x15, 0x00, 0x00, 0x80, 0x3F }, new ProtoWriter().Float(2, 1f).ToArray());
        Assert.Equal(new byte[] { 0x0A, 0x04, 0x03, 0x8E, 0x02, 0x00 }, new ProtoWriter().PackedInt64(1, [3, 270, 0]).ToArray());
    }

    [Fact]
    public void A_nested_message_is_length_delimited()
    {
        var bytes = new ProtoWriter().Message(8, opset => opset.String(1, "").Int64(2, 17)).ToArray();
        Assert.Equal(new byte[] { 0x42, 0x04, 0x0A, 0x00, 0x10, 0x11 }, bytes);
    }
}
