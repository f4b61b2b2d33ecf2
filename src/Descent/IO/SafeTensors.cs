using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Descent.IO;

/// <summary>The tensors and the string metadata read from a safetensors file.</summary>
/// <param name="Tensors">The tensors by name, in name order; each is a new contiguous tensor that owns its data.</param>
/// <param name="Metadata">The <c>__metadata__</c> map (empty when the file has none).</param>
public sealed record SafeTensorsContent(IReadOnlyDictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Reads and writes the safetensors format of Hugging Face (<c>safetensors</c> in Python, PyTorch's usual weight
/// format): an 8-byte little-endian header length N, N bytes of JSON
/// (<c>{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, …, "__metadata__": {…}}</c>, padded
/// with spaces to a multiple of 8), then the tensors' raw little-endian data, contiguous and without gaps. Files are
/// written byte for byte as the reference writer writes them (data ordered by dtype alignment, then name), and files
/// are validated as the reference reader validates them. Descent reads and writes F32, F64 and I64.
/// </summary>
public static class SafeTensors
{
    /// <summary>
    /// Saves tensors (and optional string metadata) to <paramref name="path"/> atomically: the file is written to a
    /// temporary file in the same folder, flushed to disk and renamed over the target, so a failure or a crash during
    /// the save leaves any previous file intact. The temporary file is hidden and names the writing process
    /// (<c>.NAME.PID.RANDOM.tmp</c>); one left by a crash is deleted by the next successful save of the same path, once
    /// no process with that id runs.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="tensors">The tensors by name; any strides (non-contiguous tensors are written in row-major order).</param>
    /// <param name="metadata">Free-form string pairs stored under <c>__metadata__</c>; omitted when null or empty.</param>
    /// <exception cref="ArgumentException">A name is <c>__metadata__</c>, a tensor or metadata value is null, a name or
    /// metadata string has a lone surrogate, a shape's running product overflows 64 bits (as the reference reader
    /// computes it), or the header would exceed the format's 100 MB; nothing is written then.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, tensors, metadata, wrap: null);

    /// <summary>As the public overload; <paramref name="wrap"/> lets tests interpose on the file stream.</summary>
    internal static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata, Func<Stream, Stream>? wrap)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var prepared = Prepare(tensors, metadata); // validate before touching the disk
        AtomicFile.Write(path, s => Write(s, prepared), wrap);
    }

    /// <summary>Writes tensors (and optional metadata) in the safetensors format to a stream.</summary>
    /// <param name="stream">A writable stream; it is not closed.</param>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="metadata">Free-form string pairs stored under <c>__metadata__</c>; omitted when null or empty.</param>
    /// <exception cref="ArgumentException">As for saving to a path; nothing is written then.</exception>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Write(stream, Prepare(tensors, metadata));
    }

    /// <summary>The bytes of a safetensors file holding the tensors (and optional metadata).</summary>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="metadata">Free-form string pairs stored under <c>__metadata__</c>; omitted when null or empty.</param>
    /// <exception cref="ArgumentException">As for saving to a path: what it writes, <see cref="Load(byte[])"/> reads.</exception>
    public static byte[] Serialize(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var prepared = Prepare(tensors, metadata);
        var ms = new MemoryStream((int)Math.Min(int.MaxValue, 8 + prepared.Header.Length + prepared.DataLength));
        Write(ms, prepared);
        return ms.ToArray();
    }

    /// <summary>Loads a safetensors file. Nothing is returned unless the whole file is valid.</summary>
    /// <param name="path">The file to read.</param>
    /// <exception cref="InvalidDataException">The file breaks the format; the message names the file, the tensor and the numbers.</exception>
    public static SafeTensorsContent Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            return Read(file, file.Length);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Loads safetensors content from a stream, read from its current position to its end.</summary>
    /// <param name="stream">A readable stream; it is not closed.</param>
    /// <exception cref="InvalidDataException">The content breaks the format.</exception>
    public static SafeTensorsContent Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.CanSeek) return Read(stream, stream.Length - stream.Position);
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return Read(copy, copy.Length);
    }

    /// <summary>Loads safetensors content from the bytes of a file.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <exception cref="InvalidDataException">The content breaks the format.</exception>
    public static SafeTensorsContent Load(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var ms = new MemoryStream(bytes, writable: false);
        return Read(ms, bytes.Length);
    }

    private sealed record Prepared(byte[] Header, List<(SafeTensorsEntry Entry, Tensor Tensor)> Items, long DataLength);

    private static Prepared Prepare(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var named = new List<(string Name, DType DType)>(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            if (name is null) throw new ArgumentException("tensor names must not be null", nameof(tensors));
            if (name == "__metadata__") throw new ArgumentException("a tensor cannot be named \"__metadata__\" (reserved by the format)", nameof(tensors));
            if (tensor is null) throw new ArgumentException($"tensor '{name}' is null", nameof(tensors));
            if (LoneSurrogate(name) is int at and >= 0)
                throw new ArgumentException($"tensor name '{name}' has a lone surrogate at index {at}, which UTF-8 cannot encode", nameof(tensors));
            // A Descent tensor has at most Array.MaxLength elements, but the reference reader also rejects a shape whose
            // running product overflows 64 bits before a 0 ends it; such a file would load nowhere.
            if (SafeTensorsHeader.ElementCount(tensor.ShapeArray) is null)
                throw new ArgumentException($"tensor '{name}' of shape {Shapes.Format(tensor.ShapeArray)} cannot be saved: the product of its sizes, taken from left to right, overflows 64 bits, and safetensors readers reject such a shape", nameof(tensors));
            named.Add((name, tensor.DType));
        }
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                if (value is null) throw new ArgumentException($"metadata value of '{key}' is null", nameof(metadata));
                if (LoneSurrogate(key) is int k and >= 0)
                    throw new ArgumentException($"metadata key '{key}' has a lone surrogate at index {k}, which UTF-8 cannot encode", nameof(metadata));
                if (LoneSurrogate(value) is int v and >= 0)
                    throw new ArgumentException($"metadata value of '{key}' has a lone surrogate at index {v}, which UTF-8 cannot encode", nameof(metadata));
            }
        }
        named.Sort(SafeTensorsHeader.CompareForWriting);
        var items = new List<(SafeTensorsEntry, Tensor)>(named.Count);
        long offset = 0;
        foreach (var (name, dtype) in named)
        {
            // (An empty tensor has no bytes; skipping it also avoids Contiguous() on shapes like [2, 0, 3].)
            var t = tensors[name].NumEl == 0 ? tensors[name] : tensors[name].Detach().Contiguous();
            long n = (long)t.NumEl * dtype.ElementSize();
            items.Add((new SafeTensorsEntry(name, dtype, t.Shape, offset, offset + n), t));
            offset += n;
        }
        var header = SafeTensorsHeader.Build(items.Select(i => i.Item1).ToList(), metadata);
        return new Prepared(header, items, offset);
    }

    /// <summary>
    /// The index of the first lone surrogate of <paramref name="s"/>, or −1. UTF-8 cannot hold one: it would be saved as
    /// U+FFFD, and two names that differ only there would become one, a file that no reader accepts.
    /// </summary>
    private static int LoneSurrogate(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            else if (char.IsSurrogate(s[i])) return i;
        }
        return -1;
    }

    private static void Write(Stream stream, Prepared p)
    {
        Span<byte> n = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(n, (ulong)p.Header.Length);
        stream.Write(n);
        stream.Write(p.Header);
        foreach (var (_, t) in p.Items) stream.Write(LittleEndianBytes(t));
    }

    private static SafeTensorsContent Read(Stream stream, long length)
    {
        if (length < 8) throw SafeTensorsHeader.Bad($"{length} bytes is too short: the file starts with an 8-byte header length");
        Span<byte> nBytes = stackalloc byte[8];
        stream.ReadExactly(nBytes);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(nBytes);
        if (n > SafeTensorsHeader.MaxHeaderBytes)
            throw SafeTensorsHeader.Bad($"header length {n} is more than the limit of {SafeTensorsHeader.MaxHeaderBytes} bytes");
        if ((long)n > length - 8)
            throw SafeTensorsHeader.Bad($"header length {n} is more than the {length - 8} bytes that follow the length field");
        var header = new byte[n];
        stream.ReadExactly(header);
        long dataLength = length - 8 - (long)n;
        var (entries, metadata) = SafeTensorsHeader.Parse(header, dataLength);

        // The entries tile the data region in offset order, so the data is read in one forward pass.
        var result = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        var tensors = new Tensor[entries.Count];
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var t = Tensor.Zeros(e.Shape, e.DType);
            FillFromLittleEndian(stream, t);
            tensors[i] = t;
        }
        var order = Enumerable.Range(0, entries.Count).ToList();
        order.Sort((a, b) => SafeTensorsHeader.CompareNames(entries[a].Name, entries[b].Name));
        foreach (int i in order) result.Add(entries[i].Name, tensors[i]);
        return new SafeTensorsContent(result, metadata);
    }

    private static ReadOnlySpan<byte> LittleEndianBytes(Tensor t)
    {
        if (t.NumEl == 0) return [];
        ReadOnlySpan<byte> bytes = t.DType switch
        {
            DType.Float32 => MemoryMarshal.AsBytes(t.AsSpan<float>()),
            DType.Float64 => MemoryMarshal.AsBytes(t.AsSpan<double>()),
            _ => MemoryMarshal.AsBytes(t.AsSpan<long>()),
        };
        if (BitConverter.IsLittleEndian) return bytes;
        var copy = bytes.ToArray();
        SwapEndianness(copy, t.DType.ElementSize());
        return copy;
    }

    private static void FillFromLittleEndian(Stream stream, Tensor t)
    {
        if (t.NumEl == 0) return;
        Span<byte> bytes = t.DType switch
        {
            DType.Float32 => MemoryMarshal.AsBytes(t.AsSpan<float>()),
            DType.Float64 => MemoryMarshal.AsBytes(t.AsSpan<double>()),
            _ => MemoryMarshal.AsBytes(t.AsSpan<long>()),
        };
        stream.ReadExactly(bytes);
        if (!BitConverter.IsLittleEndian) SwapEndianness(bytes, t.DType.ElementSize());
    }

    private static void SwapEndianness(Span<byte> bytes, int elementSize)
    {
        if (elementSize == 4) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(bytes), MemoryMarshal.Cast<byte, uint>(bytes));
        else BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(bytes), MemoryMarshal.Cast<byte, ulong>(bytes));
    }
}
