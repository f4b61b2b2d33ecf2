using System.Buffers.Binary;
using System.IO.Compression;
using Descent.Data;
using Descent.Tests.IO;

namespace Descent.Tests.Data;

public class MnistTests
{
    private static long[] Counts(Tensor labels) =>
        Enumerable.Range(0, 10).Select(d => (long)labels.ToArray<long>().Count(l => l == d)).ToArray();

    [Fact]
    public void LoadsTheRealTrainingSet()
    {
        var train = Mnist.Load(train: true);
        Assert.Equal([60000, 1, 28, 28], train.Features.Shape);
        Assert.Equal(DType.Float32, train.Features.DType);
        Assert.Equal([60000], train.Labels.Shape);
        Assert.Equal(DType.Int64, train.Labels.DType);
        Assert.Equal(new long[] { 5, 0, 4, 1, 9, 2, 1, 3, 1, 4 }, train.Labels.ToArray<long>()[..10]);
        Assert.Equal(new long[] { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 }, Counts(train.Labels));
        Assert.Equal(10, train.NumClasses);
        var pixels = train.Features.ToArray<float>();
        Assert.Equal(0f, pixels.Min());
        Assert.Equal(1f, pixels.Max());
        Assert.Equal(27525 / 255.0, pixels[..784].Sum(p => (double)p), 3);
        Assert.Equal(240 / 255f, pixels[14 * 28 + 14]);
    }

    [Fact]
    public void LoadsTheRealTestSetFlattened()
    {
        var test = Mnist.Load(train: false, flatten: true);
        Assert.Equal([10000, 784], test.Features.Shape);
        Assert.Equal(new long[] { 7, 2, 1, 0, 4, 1, 4, 9, 5, 9 }, test.Labels.ToArray<long>()[..10]);
        Assert.Equal(new long[] { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 }, Counts(test.Labels));
        Assert.Equal(18454 / 255.0, test.Features.ToArray<float>()[..784].Sum(p => (double)p), 3);
    }

    // A small IDX file: magic, big-endian sizes, bytes.
    internal static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(bytes);
        return ms.ToArray();
    }

    private static void WriteSet(string folder, string prefix, byte[] images, byte[] labels, bool gzip)
    {
        File.WriteAllBytes(Path.Combine(folder, prefix + "-images-idx3-ubyte" + (gzip ? ".gz" : "")), gzip ? Gzip(images) : images);
        File.WriteAllBytes(Path.Combine(folder, prefix + "-labels-idx1-ubyte" + (gzip ? ".gz" : "")), gzip ? Gzip(labels) : labels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsSmallIdxFilesGzippedOrNot(bool gzip)
    {
        using var dir = new TempFolder();
        var pixels = new byte[] { 0, 255, 51, 102, 0, 0, 0, 0, 0, 0, 0, 255 }; // 2 images of 2×3
        WriteSet(dir.Path, "t10k", Idx(0x803, [2, 2, 3], pixels), Idx(0x801, [2], [3, 8]), gzip);
        var data = Mnist.Load(dir.Path, train: false);
        Assert.Equal([2, 1, 2, 3], data.Features.Shape);
        Assert.Equal(pixels.Select(p => p / 255f).ToArray(), data.Features.ToArray<float>());
        Assert.Equal(new long[] { 3, 8 }, data.Labels.ToArray<long>());
        Assert.Equal([2, 6], Mnist.Load(dir.Path, train: false, flatten: true).Features.Shape);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WrongMagicNumberNamesTheFileAndBothNumbers(bool gzip)
    {
        using var dir = new TempFolder();
        // Labels where images belong: a classic mix-up.
        WriteSet(dir.Path, "train", Idx(0x801, [2], [1, 2]), Idx(0x801, [2], [1, 2]), gzip);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(dir.Path, train: true));
        Assert.Contains("train-images-idx3-ubyte", e.Message);
        Assert.Contains("wrong magic number 0x00000801, expected 0x00000803", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedDataNamesTheFileAndTheSizes(bool gzip)
    {
        using var dir = new TempFolder();
        WriteSet(dir.Path, "train", Idx(0x803, [3, 2, 2], new byte[10]), Idx(0x801, [3], [1, 2, 3]), gzip);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.Load(dir.Path, train: true));
        Assert.Contains("train-images-idx3-ubyte", e.Message);
        Assert.Contains("truncated: 10 bytes of images data after the header, expected 12 ([3, 2, 2])", e.Message);
    }

    [Fact]
    public void TruncatedHeader()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "x-labels-idx1-ubyte");
        File.WriteAllBytes(path, Idx(0x801, [], [0, 0]));
        var e = Assert.Throws<InvalidDataException>(() => Mnist.ReadLabels(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated IDX header: 6 bytes, expected 8", e.Message);
    }

    [Fact]
    public void TruncatedGzipStream()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "x-images-idx3-ubyte.gz");
        var full = Gzip(Idx(0x803, [50, 28, 28], Enumerable.Range(0, 50 * 784).Select(i => (byte)(i * 7919 % 251)).ToArray()));
        File.WriteAllBytes(path, full[..(full.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.ReadImages(path));
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void EveryCutOfAGzipFileIsAnErrorNamingTheFile()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "x-labels-idx1-ubyte.gz");
        var full = Gzip(Idx(0x801, [300], Enumerable.Range(0, 300).Select(i => (byte)(i * 7 % 10)).ToArray()));
        for (int cut = 0; cut < full.Length; cut++)
        {
            File.WriteAllBytes(path, full[..cut]);
            var e = Assert.Throws<InvalidDataException>(() => Mnist.ReadLabels(path));
            Assert.StartsWith(path, e.Message);
        }
        File.WriteAllBytes(path, full);
        Assert.Equal(300, Mnist.ReadLabels(path).NumEl);
    }

    // Allocated bytes on this thread while `read` runs, and the exception it must throw.
    private static (InvalidDataException Error, long Allocated) Allocation(Func<object> read)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(read);
        return (e, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // A 16-byte (or 8-byte) file whose header claims a huge or overflowing size: the error names the file and the
    // dimensions, and nothing near the claimed size is allocated.
    [Theory]
    [InlineData(false, 0x803, new[] { 32767, 256, 256 }, "truncated: 0 bytes of images data after the header, expected 2147418112")] // 2 GiB
    [InlineData(true, 0x803, new[] { 32767, 256, 256 }, "truncated: 0 bytes of images data after the header, expected 2147418112")]
    [InlineData(false, 0x803, new[] { 16384, 256, 256 }, "truncated: 0 bytes")] // 1 GiB
    [InlineData(true, 0x803, new[] { 16384, 256, 256 }, "truncated: 0 bytes")]
    [InlineData(false, 0x801, new[] { int.MaxValue - 64 }, "truncated: 0 bytes of labels data")]
    [InlineData(true, 0x801, new[] { int.MaxValue - 64 }, "truncated: 0 bytes of labels data")]
    [InlineData(false, 0x803, new[] { 4194304, 2097152, 2097152 }, "too many for a tensor")] // the product wraps to 0 in 64 bits
    [InlineData(true, 0x803, new[] { 4194304, 2097152, 2097152 }, "too many for a tensor")]
    [InlineData(false, 0x803, new[] { 65536, 65536, 65536 }, "too many for a tensor")]
    [InlineData(true, 0x803, new[] { 0, 65536, 65536 }, "too many for a tensor")] // no values, but an image of 2^32 pixels
    [InlineData(false, 0x801, new[] { int.MaxValue }, "too many for a tensor")]
    public void AHostileHeaderIsRejectedWithoutAllocatingWhatItClaims(bool gzip, int magic, int[] dims, string expected)
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, (magic == 0x803 ? "x-images-idx3-ubyte" : "x-labels-idx1-ubyte") + (gzip ? ".gz" : ""));
        var bytes = Idx(magic, dims, []);
        File.WriteAllBytes(path, gzip ? Gzip(bytes) : bytes);
        var (e, allocated) = Allocation(() => magic == 0x803 ? Mnist.ReadImages(path) : Mnist.ReadLabels(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains($"[{string.Join(", ", dims)}]", e.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes for a {bytes.Length}-byte file");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ATruncatedFileWithALargeCountAllocatesAboutTwiceWhatItHolds(bool gzip)
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "x-images-idx3-ubyte" + (gzip ? ".gz" : ""));
        const int real = 3 << 20; // 3 MiB of pixels of a header that claims 1.9 GB
        var bytes = Idx(0x803, [30000, 256, 256], Enumerable.Range(0, real).Select(i => (byte)(i * 7919 % 251)).ToArray());
        File.WriteAllBytes(path, gzip ? Gzip(bytes) : bytes);
        var (e, allocated) = Allocation(() => Mnist.ReadImages(path));
        Assert.Contains($"truncated: {real} bytes of images data after the header, expected 1966080000 ([30000, 256, 256])", e.Message);
        Assert.True(allocated < (gzip ? 2L * real : 0) + (1 << 20), $"allocated {allocated} bytes for {real} bytes of data");
    }

    [Theory]
    [InlineData(10)]
    [InlineData(255)]
    public void ALabelThatIsNotADigitIsRejectedWithItsIndex(byte bad)
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "x-labels-idx1-ubyte");
        File.WriteAllBytes(path, Idx(0x801, [5], [0, 9, bad, 3, 200]));
        var e = Assert.Throws<InvalidDataException>(() => Mnist.ReadLabels(path));
        Assert.Equal($"{path}: label {bad} at index 2 is not a digit 0–9", e.Message);
    }

    [Fact]
    public void TrailingBytesAndCountMismatchAreErrors()
    {
        using var dir = new TempFolder();
        WriteSet(dir.Path, "train", Idx(0x803, [1, 1, 1], [9, 9]), Idx(0x801, [1], [1]), gzip: false);
        Assert.Contains("more than the 1 bytes", Assert.Throws<InvalidDataException>(() => Mnist.Load(dir.Path, train: true)).Message);
        WriteSet(dir.Path, "train", Idx(0x803, [1, 1, 1], [9]), Idx(0x801, [2], [1, 2]), gzip: false);
        Assert.Contains("2 labels for 1 images", Assert.Throws<InvalidDataException>(() => Mnist.Load(dir.Path, train: true)).Message);
    }

    [Fact]
    public void MissingFilesNameWhatWasLookedFor()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<FileNotFoundException>(() => Mnist.Load(dir.Path, train: true));
        Assert.Contains("train-images-idx3-ubyte(.gz)", e.Message);
    }
}
