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
    /// <exception cref="InvalidDataException">A file has a wrong magic number, is truncated, or the counts disagree.</exception>
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
    /// <exception cref="InvalidDataException">Wrong magic number or truncated file; the message names the file and sizes.</exception>
    public static Tensor ReadImages(string path, bool flatten = false)
    {
        var (dims, bytes) = ReadIdx(path, ImagesMagic, "images");
        int n = dims[0], rows = dims[1], cols = dims[2];
        var t = Tensor.Zeros(flatten ? [n, rows * cols] : [n, 1, rows, cols]);
        var span = t.AsSpan<float>();
        for (int i = 0; i < bytes.Length; i++) span[i] = bytes[i] / 255f;
        return t;
    }

    /// <summary>Reads an IDX label file (magic 0x00000801) as int64 [N].</summary>
    /// <param name="path">The file, gzipped or not.</param>
    /// <exception cref="InvalidDataException">Wrong magic number or truncated file; the message names the file and sizes.</exception>
    public static Tensor ReadLabels(string path)
    {
        var (dims, bytes) = ReadIdx(path, LabelsMagic, "labels");
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
    private static (int[] Dims, byte[] Data) ReadIdx(string path, int magic, string kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = DataFiles.OpenMaybeGzip(path);
        try
        {
            int rank = magic & 0xff;
            int headerBytes = 4 + 4 * rank;
            var header = new byte[headerBytes];
            int got = stream.ReadAtLeast(header, headerBytes, throwOnEndOfStream: false);
            if (got >= 4 && BinaryPrimitives.ReadInt32BigEndian(header) is int actual && actual != magic)
                throw new InvalidDataException($"{path}: wrong magic number 0x{actual:x8}, expected 0x{magic:x8} (IDX {kind}: unsigned bytes, {rank} dimension(s))");
            if (got < headerBytes)
                throw new InvalidDataException($"{path}: truncated IDX header: {got} bytes, expected {headerBytes}");
            var dims = new int[rank];
            long expected = 1;
            for (int i = 0; i < rank; i++)
            {
                dims[i] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 + 4 * i));
                if (dims[i] < 0) throw new InvalidDataException($"{path}: dimension {i} has negative size {dims[i]}");
                expected *= dims[i];
            }
            if (expected > Array.MaxLength) throw new InvalidDataException($"{path}: dimensions [{string.Join(", ", dims)}] give {expected} bytes, too many");
            var data = new byte[expected];
            int read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            if (read < expected)
                throw new InvalidDataException($"{path}: truncated: {read} bytes of {kind} data after the header, expected {expected} ([{string.Join(", ", dims)}])");
            if (stream.ReadByte() >= 0)
                throw new InvalidDataException($"{path}: more than the {expected} bytes of {kind} data that the header's dimensions [{string.Join(", ", dims)}] announce");
            return (dims, data);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: corrupt gzip data ({e.Message})", e); // from GZipStream
        }
    }
}
