using Descent.IO;

namespace Descent.Tests.IO;

/// <summary>
/// A real crash: a child process (this test assembly, started with a .NET startup hook) saves over an existing file,
/// stops in the middle of writing, and is killed. The previous file must still load, unchanged, and the next save
/// removes the temporary file the dead writer left.
/// </summary>
public class SafeTensorsKillTests
{
    internal const string TargetVariable = "DESCENT_TEST_KILL_SAVE_TARGET";
    private const int FreezeAtByte = 1000;

    private static Dictionary<string, Tensor> Weights(float value) => new()
    {
        ["layer.weight"] = Tensor.Full([64, 32], value),
        ["layer.bias"] = Tensor.Full([64], value),
    };

    private static string MarkerPath(string target) => target + ".frozen";

    /// <summary>Runs in the child process: saves new weights but freezes after some bytes, until killed.</summary>
    internal static void ChildSave(string target)
    {
        SafeTensors.Save(target, Weights(2), null, s => new FreezingStream(s, FreezeAtByte, MarkerPath(target)));
    }

    [Fact]
    public async Task KilledDuringSaveLeavesThePreviousFileLoadable()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "model.safetensors");
        SafeTensors.Save(path, Weights(1));
        var before = File.ReadAllBytes(path);
        Assert.True(FreezeAtByte < before.Length);

        using var child = ChildProcess.Start(new Dictionary<string, string> { [TargetVariable] = path });
        try
        {
            // Wait (generously; the machine may be busy) until the child is frozen mid-write.
            bool frozen = await child.WaitUntilAsync(() => File.Exists(MarkerPath(path)));
            Assert.True(frozen, $"the child did not reach the freeze point; {await child.DescribeAsync()}");
        }
        finally
        {
            await child.KillAsync();
        }

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(1f, SafeTensors.Load(path).Tensors["layer.weight"].ToArray<float>()[0]);
        // The killed writer had written its bytes to a hidden temporary file, which a crash leaves behind.
        var temps = Directory.GetFiles(dir.Path, ".model.safetensors.*.tmp");
        Assert.Single(temps);
        Assert.Equal(FreezeAtByte, new FileInfo(temps[0]).Length);
        Assert.StartsWith($".model.safetensors.{child.Id}.", Path.GetFileName(temps[0]), StringComparison.Ordinal);
        // A later save works, replaces the file and removes the dead writer's temporary file.
        SafeTensors.Save(path, Weights(3));
        Assert.Equal(3f, SafeTensors.Load(path).Tensors["layer.bias"].ToArray<float>()[0]);
        ChildProcess.AssertTemporariesRemoved(Directory.GetFiles(dir.Path, ".model.safetensors.*.tmp"), child.Id, "model.safetensors");
    }

    /// <summary>Writes through until <c>limit</c> bytes, flushes them to the file, leaves a marker and waits forever.</summary>
    private sealed class FreezingStream(Stream inner, int limit, string marker) : Stream
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
            File.WriteAllText(marker, "frozen");
            Thread.Sleep(Timeout.Infinite);
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
