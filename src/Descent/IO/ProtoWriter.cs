using System.Buffers.Binary;
using System.Text;

namespace Descent.IO;

/// <summary>
/// Writes the protocol buffers wire format (https://protobuf.dev/programming-guides/encoding/) by hand, for the few
/// messages the ONNX export needs: varints, tags, length-delimited fields (strings, bytes, nested messages), packed
/// repeated int64s and floats, and fixed 32-bit floats. A nested message is written to its own writer first, so that
/// its length is known before its bytes.
/// </summary>
internal sealed class ProtoWriter
{
    /// <summary>The wire types this writer emits.</summary>
    private enum WireType
    {
        Varint = 0,
        LengthDelimited = 2,
        Fixed32 = 5,
    }

    private readonly MemoryStream _bytes = new();

    /// <summary>The number of bytes written so far.</summary>
    public long Length => _bytes.Length;

    /// <summary>Copies what was written to <paramref name="destination"/>.</summary>
    public void CopyTo(Stream destination) => _bytes.WriteTo(destination);

    /// <summary>The bytes written so far.</summary>
    public byte[] ToArray() => _bytes.ToArray();

    /// <summary>An int64 (or int32, or enum) field as a varint; a negative value takes ten bytes, as protobuf's int64 does.</summary>
    public ProtoWriter Int64(int field, long value)
    {
        Tag(field, WireType.Varint);
        Varint(unchecked((ulong)value));
        return this;
    }

    /// <summary>A float field (fixed 32 bits, little-endian).</summary>
    public ProtoWriter Float(int field, float value)
    {
        Tag(field, WireType.Fixed32);
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
        _bytes.Write(buffer);
        return this;
    }

    /// <summary>A string field, UTF-8.</summary>
    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A bytes field.</summary>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireType.LengthDelimited);
        Varint((ulong)value.Length);
        _bytes.Write(value);
        return this;
    }

    /// <summary>A nested message field: <paramref name="write"/> fills a writer of its own, whose bytes are then written length-delimited.</summary>
    public ProtoWriter Message(int field, Action<ProtoWriter> write)
    {
        var inner = new ProtoWriter();
        write(inner);
        Tag(field, WireType.LengthDelimited);
        Varint((ulong)inner.Length);
        inner.CopyTo(_bytes);
        return this;
    }

    /// <summary>A repeated int64 field, packed (one length-delimited run of varints; proto2 parsers accept it too).</summary>
    public ProtoWriter PackedInt64(int field, IEnumerable<long> values) => Message(field, inner =>
    {
        foreach (long v in values) inner.Varint(unchecked((ulong)v));
    });

    private void Tag(int field, WireType type) => Varint(((ulong)field << 3) | (ulong)type);

    /// <summary>Seven bits a byte, least significant first, the high bit set on every byte but the last.</summary>
    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _bytes.WriteByte((byte)value);
    }
}
