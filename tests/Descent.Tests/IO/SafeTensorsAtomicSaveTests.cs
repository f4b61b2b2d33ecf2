using Descent.IO;

namespace Descent.Tests.IO;

/// <summary>
/// Saving is atomic: a save that fails or is cut off mid-write leaves the previous file loadable and unchanged.
/// </summary>
public class SafeTensorsAtomicSaveTests
{
    private static Dictionary<string, Tensor> Weights(float value) => new()
    {
        ["layer.weight"] = Tensor.Full([16, 8], value),
        ["layer.bias"] = Tensor.Full([16], -value),
        ["step"] = Tensor.Scalar(value, DType.Int64),
    };

    private static string[] TempFiles(string path) =>
        Directory.GetFiles(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".*.tmp");

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(100)]
    [InlineData(700)]
    public void FailureMidWriteLeavesThePreviousFileAndNoTempFile(int failAfterBytes)
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "model.safetensors");
        SafeTensors.Save(path, Weights(1));
        var before = File.ReadAllBytes(path);
        Assert.True(failAfterBytes < before.Length);

        Assert.Throws<IOException>(() => SafeTensors.Save(path, Weights(2), null, s => new FailingStream(s, failAfterBytes)));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(1f, SafeTensors.Load(path).Tensors["layer.weight"].ToArray<float>()[0]);
        Assert.Empty(TempFiles(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(300)]
    [InlineData(780)]
    public void ProcessFrozenMidWriteHasNotTouchedThePreviousFile(int freezeAt)
    {
        // The state on disk while the writer is stopped at a byte is what a kill at that point leaves behind.
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "model.safetensors");
        SafeTensors.Save(path, Weights(1));
        var before = File.ReadAllBytes(path);
        Assert.True(freezeAt < before.Length);
        using var reached = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var save = Task.Run(() => SafeTensors.Save(path, Weights(2), null, s => new FailingStream(s, freezeAt, reached, release)));

        Assert.True(reached.Wait(TimeSpan.FromMinutes(1)));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(1f, SafeTensors.Load(path).Tensors["layer.bias"].ToArray<float>()[0] * -1);
        Assert.Single(TempFiles(path)); // the new bytes go to a temporary file

        release.Set();
        Assert.ThrowsAny<IOException>(() => save.GetAwaiter().GetResult());
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Empty(TempFiles(path));
    }

    [Fact]
    public void SuccessfulSaveReplacesTheFileAndLeavesNoTempFile()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "model.safetensors");
        SafeTensors.Save(path, Weights(1));
        SafeTensors.Save(path, Weights(3));
        Assert.Equal(3L, SafeTensors.Load(path).Tensors["step"].Item<long>());
        Assert.Empty(TempFiles(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void InvalidArgumentsTouchNothing()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "model.safetensors");
        SafeTensors.Save(path, Weights(1));
        var before = File.ReadAllBytes(path);
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Zeros([1]) }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(dir.Path));
        Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Save(Path.Combine(dir.Path, "missing", "m.safetensors"), Weights(1)));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    /// <summary>Passes writes through until <c>limit</c> bytes, then (optionally after pausing) throws.</summary>
    private sealed class FailingStream(Stream inner, int limit, ManualResetEventSlim? reached = null, ManualResetEventSlim? release = null) : Stream
    {
        private long _written;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            long room = limit - _written;
            if (buffer.Length <= room)
            {
                inner.Write(buffer);
                _written += buffer.Length;
                return;
            }
            inner.Write(buffer[..(int)room]);
            inner.Flush();
            _written = limit;
            reached?.Set();
            release?.Wait(TimeSpan.FromMinutes(1));
            throw new IOException($"simulated failure after {limit} bytes");
        }

        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
