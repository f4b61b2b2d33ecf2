using System.Buffers.Binary;

namespace Descent.Data;

/// <summary>
/// The MNIST handwritten digits from the original IDX files (gzipped or not): 60,000 training and 10,000 test images
/// of 28×28 grey pixels, with labels 0–9. IDX: a big-endian int32 magic number (0x00000803 for images, 0x00000801
/// for labels), the dimension sizes as big-endian int32, then one unsigned byte per pixel or label.
/// </summary>
public static class Mnist
{
    private const int ImagesMagic = 0x00000803;
    private const int LabelsMagic = 0x00000801;

    /// <summary>
    /// Loads the training or test set from the repository's <c>data/mnist</c> folder (found from the current directory
    /// or the application's folder, or from the <c>DESCENT_DATA</c> environment variable).
    /// </summary>
    /// <param name="train">True for the 60,000 training images, false for the 10,000 test images.</param>
    /// <param name="flatten">True for features [N, 784], false for images [N, 1, 28, 28].</param>
    public static LabeledData Load(bool train, bool flatten = false) => Load(DataFiles.Find("mnist"), train, flatten);

    /// <summary>
    /// Loads the training (<c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>) or test (<c>t10k-…</c>)
    /// set from a folder; each file may be gzipped (<c>.gz</c>). Pixels are scaled to [0, 1] as float32.
    /// </summary>
    /// <param name="folder">The folder holding the IDX files.</param>
    /// <param name="train">True for the training files, false for the test files.</param>
    /// <param name="flatten">True for features [N, rows·cols], false for images [N, 1, rows, cols].</param>
    /// <exception cref="FileNotFoundException">A file is missing; the message names the file names tried.</exception>
    /// <exception cref="InvalidDataException">A file has a wrong magic number, is truncated or corrupt, has dimensions too
    /// large for a tensor or a label that is not 0–9, or the counts disagree; the message names the file.</exception>
    public static LabeledData Load(string folder, bool train, bool flatten = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string prefix = train ? "train" : "t10k";
        var images = ReadImages(FindFile(folder, prefix + "-images-idx3-ubyte"), flatten);
        string labelsPath = FindFile(folder, prefix + "-labels-idx1-ubyte");
        var labels = ReadLabels(labelsPath);
        if (labels.NumEl != images.Size(0))
            throw new InvalidDataException($"{labelsPath}: {labels.NumEl} labels for {images.Size(0)} images");
        return new LabeledData(images, labels, Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>Reads an IDX image file (magic 0x00000803) as float32 [N, 1, rows, cols] (or [N, rows·cols]) in [0, 1].</summary>
    /// <param name="path">The file, gzipped or not.</param>
    /// <param name="flatten">True for [N, rows·cols].</param>
    /// <exception cref="InvalidDataException">Wrong magic number, truncated or corrupt file, or dimensions too large for a
    /// tensor; the message names the file and the sizes.</exception>
    public static Tensor ReadImages(string path, bool flatten = false)
    {
        var (dims, bytes) = ReadIdx(path, ImagesMagic, "images");
        int n = dims[0], rows = dims[1], cols = dims[2];
        var t = Tensor.Zeros(flatten ? [n, rows * cols] : [n, 1, rows, cols]);
        var span = t.AsSpan<float>();
        for (int i = 0; i < bytes.Length; i++) span[i] = bytes[i] / 255f;
        return t;
    }

    /// <summary>Reads an IDX label file (magic 0x00000801) of digits 0–9 as int64 [N].</summary>
    /// <param name="path">The file, gzipped or not.</param>
    /// <exception cref="InvalidDataException">Wrong magic number, truncated or corrupt file, or a label that is not a digit
    /// 0–9; the message names the file and the sizes, or the first bad label's index and value.</exception>
    public static Tensor ReadLabels(string path)
    {
        var (dims, bytes) = ReadIdx(path, LabelsMagic, "labels");
        int bad = bytes.AsSpan().IndexOfAnyExceptInRange((byte)0, (byte)9);
        if (bad >= 0) throw new InvalidDataException($"{path}: label {bytes[bad]} at index {bad} is not a digit 0–9");
        var t = Tensor.Zeros([dims[0]], DType.Int64);
        var span = t.AsSpan<long>();
        for (int i = 0; i < bytes.Length; i++) span[i] = bytes[i];
        return t;
    }

    private static string FindFile(string folder, string name)
    {
        foreach (string candidate in new[] { name + ".gz", name })
        {
            string path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"MNIST file {name}(.gz) not found in {Path.GetFullPath(folder)}", Path.Combine(folder, name));
    }

    // Reads a whole unsigned-byte IDX file of the expected kind; the magic's low byte is the number of dimensions.
    // The data's buffer grows only with bytes that exist, whatever the header claims (see ReadData).
    private static (int[] Dims, byte[] Data) ReadIdx(string path, int magic, string kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = DataFiles.OpenMaybeGzip(path);
        int rank = magic & 0xff;
        int headerBytes = 4 + 4 * rank;
        var header = new byte[headerBytes];
        int got = stream.ReadAtLeast(header, headerBytes, throwOnEndOfStream: false);
        if (got >= 4 && BinaryPrimitives.ReadInt32BigEndian(header) is int actual && actual != magic)
            throw new InvalidDataException($"{path}: wrong magic number 0x{actual:x8}, expected 0x{magic:x8} (IDX {kind}: unsigned bytes, {rank} dimension(s))");
        if (got < headerBytes)
            throw new InvalidDataException($"{path}: truncated IDX header: {got} bytes, expected {headerBytes}");
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 + 4 * i));
            if (dims[i] < 0) throw new InvalidDataException($"{path}: dimension {i} has negative size {dims[i]}");
        }
        string shape = $"[{string.Join(", ", dims)}]";
        // Every trailing product (a row's size, an image's, the whole) must fit a tensor, even when a leading size is 0.
        // Each step multiplies two numbers below 2^31, so the 64-bit product cannot overflow.
        long expected = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            expected *= dims[i];
            if (expected > Array.MaxLength)
                throw new InvalidDataException($"{path}: dimensions {shape} hold more than {Array.MaxLength} values, too many for a tensor");
        }
        var data = ReadData(stream, expected, out long read)
            ?? throw new InvalidDataException($"{path}: truncated: {read} bytes of {kind} data after the header, expected {expected} ({shape})");
        if (stream.ReadByte() >= 0)
            throw new InvalidDataException($"{path}: more than the {expected} bytes of {kind} data that the header's dimensions {shape} announce");
        return (dims, data);
    }

    // Reads `count` bytes, or returns null with the number of bytes there were. A plain file's length says up front
    // whether they are there. A gzip stream's size is known only by decompressing it, so the bytes go into chunks that
    // double from 64 KiB as they arrive, and into one array at the end: a stream that stops early has cost at most
    // about twice what it held, whatever its header claimed.
    private static byte[]? ReadData(Stream stream, long count, out long read)
    {
        if (stream.CanSeek)
        {
            read = Math.Min(count, stream.Length - stream.Position);
            if (read < count) return null;
            var data = new byte[count];
            read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            return read == count ? data : null;
        }
        var chunks = new List<byte[]>();
        read = 0;
        for (long size = 1 << 16; read < count; size = Math.Min(2 * size, Array.MaxLength))
        {
            var chunk = new byte[Math.Min(size, count - read)];
            int got = stream.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false);
            read += got;
            if (got < chunk.Length) return null;
            chunks.Add(chunk);
        }
        if (chunks.Count == 1) return chunks[0];
        var all = new byte[count];
        long offset = 0;
        foreach (var chunk in chunks)
        {
            chunk.CopyTo(all, offset);
            offset += chunk.Length;
        }
        return all;
    }
}
