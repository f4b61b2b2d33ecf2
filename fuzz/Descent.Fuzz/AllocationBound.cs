using System.IO.Compression;

namespace Descent.Fuzz;

/// <summary>
/// The allocation rule every reader keeps: reading a file allocates at most <see cref="ConstantBytes"/> plus
/// <see cref="Multiple"/> times the bytes it was given (for a gzip file, its length plus the bytes it decompresses to).
/// A header that claims more than the file holds must be refused before the claim is allocated. Measured with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> around one reader call, never with timing. The fuzzing harness
/// and the corpus replay test both use this class, so the rule lives here only (docs/reliability.md explains it).
/// </summary>
internal static class AllocationBound
{
    /// <summary>
    /// What any read may allocate besides its input: the file's 64 KiB read buffer, a gzip reader's buffers (64 KiB
    /// buffered, 8 KiB inflater), a text reader's buffers, the exception and its message, the JSON documents of a
    /// header, dictionaries and a small model's copies. A seed file costs at most 220 KiB (docs/reliability.md).
    /// </summary>
    public const long ConstantBytes = 256 * 1024;

    /// <summary>Decompressed bytes are counted up to this many; beyond it the bound is large enough for any claim to fail.</summary>
    public const long MaxCountedBytes = 256L << 20;

    /// <summary>
    /// The multiple of the input allowed for <paramref name="target"/>'s reader, about 1.5–2 times the worst valid file
    /// measured (docs/reliability.md). IDX keeps a pixel as a float beside the byte that held it and a label as an int64
    /// (measured 7.7). Safetensors and checkpoints keep each header entry as a name, a shape, an entry and an empty or
    /// tiny tensor: about 30 times its 50 bytes of JSON when a file holds thousands of empty tensors; a checkpoint's
    /// metadata is parsed a second time as JSON. CSV keeps each line as a string (2 bytes a character), its fields as
    /// strings and a double per field, 70 times the input for a column of one-digit numbers ("0\n").
    /// </summary>
    public static long Multiple(string target) => target switch
    {
        "idx-images" or "idx-labels" or "idx-gzip" => 16,
        "safetensors" => 48,
        "checkpoint" or "optimizer-state" => 64,
        "csv" => 128,
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, "unknown fuzz target"),
    };

    /// <summary>The most <paramref name="target"/>'s reader may allocate for a file of <paramref name="inputBytes"/> bytes.</summary>
    public static long For(string target, long inputBytes) => ConstantBytes + Multiple(target) * inputBytes;

    /// <summary>
    /// The bytes a reader is given by <paramref name="file"/>: its length, plus, when the reader decompresses gzip
    /// (<paramref name="gunzips"/>) and the file starts with the gzip magic, the bytes it decompresses to, counted by
    /// streaming it (up to <see cref="MaxCountedBytes"/>; a corrupt or truncated stream counts up to the damage).
    /// </summary>
    public static long InputBytes(byte[] file, bool gunzips)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!gunzips || file.Length < 2 || file[0] != 0x1f || file[1] != 0x8b) return file.Length;
        long decompressed = 0;
        var buffer = new byte[1 << 16];
        try
        {
            using var gzip = new GZipStream(new MemoryStream(file, writable: false), CompressionMode.Decompress);
            for (int n; decompressed < MaxCountedBytes && (n = gzip.Read(buffer)) > 0;) decompressed += n;
        }
        catch (InvalidDataException)
        {
            // Counted up to the corruption: the reader cannot legitimately use more.
        }
        return file.Length + Math.Min(decompressed, MaxCountedBytes);
    }
}
