using System.Buffers.Binary;
using System.IO.Compression;

namespace Descent.Data;

/// <summary>
/// Finds the repository's <c>data/</c> folder: the <c>DESCENT_DATA</c> environment variable if set, else the first
/// <c>data/</c> holding the wanted file in the current directory or one of its parents, else in the application's
/// base directory or one of its parents. Opens data files, gzipped or not (<see cref="OpenMaybeGzip"/>).
/// </summary>
internal static class DataFiles
{
    /// <summary>The environment variable that names a data folder explicitly.</summary>
    public const string EnvironmentVariable = "DESCENT_DATA";

    /// <summary>The full path of <paramref name="relative"/> (e.g. <c>uci/iris.csv</c>) inside the data folder.</summary>
    /// <exception cref="FileNotFoundException">No data folder holds the file; the message lists where it looked.</exception>
    public static string Find(string relative)
    {
        var tried = new List<string>();
        foreach (string dataFolder in Candidates())
        {
            string path = Path.Combine(dataFolder, relative);
            if (File.Exists(path) || Directory.Exists(path)) return path;
            tried.Add(dataFolder);
        }
        throw new FileNotFoundException(
            $"could not find data/{relative.Replace('\\', '/')}; looked in {string.Join(", ", tried.Distinct())}. " +
            $"Run from inside the repository, set {EnvironmentVariable} to the data folder, or pass an explicit path.", relative);
    }

    private static IEnumerable<string> Candidates()
    {
        string? env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(env)) yield return Path.GetFullPath(env);
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                yield return Path.Combine(dir.FullName, "data");
        }
    }

    /// <summary>
    /// Opens a file for reading, decompressing it when it starts with the gzip magic bytes 1f 8b. A plain file is a
    /// seekable <see cref="FileStream"/>; a gzip stream is not seekable and is checked when it is read to its end:
    /// corrupt compressed data, and data that stops before the gzip trailer (CRC-32 and length) that matches it, as a
    /// truncated file does, are <see cref="InvalidDataException"/>s that name the file. (<see cref="GZipStream"/>
    /// alone reads a truncated stream as a shorter one.) Concatenated gzip members are read as one stream.
    /// </summary>
    public static Stream OpenMaybeGzip(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        int read = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            return new BufferedStream(new CheckedGzipStream(file, path), 1 << 16);
        return file;
    }

    /// <summary>
    /// Decompresses a gzip file and, at its end, checks that the file ends with the trailer of the data read: the
    /// CRC-32 and the length (mod 2³²) of the last member's data, little-endian. zlib checks every member whose trailer
    /// it reaches; this check finds the stream that stops before one.
    /// </summary>
    private sealed class CheckedGzipStream(FileStream file, string path) : Stream
    {
        private readonly GZipStream _gzip = new(file, CompressionMode.Decompress);
        private uint _crc = Crc32.Start;
        private long _length;
        private bool _ended;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_ended || buffer.IsEmpty) return 0;
            int n;
            try
            {
                n = _gzip.Read(buffer);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{path}: corrupt gzip data ({e.Message})", e);
            }
            if (n > 0)
            {
                _crc = Crc32.Append(_crc, buffer[..n]);
                _length += n;
                return n;
            }
            CheckTrailer();
            _ended = true;
            return 0;
        }

        private void CheckTrailer()
        {
            const int headerBytes = 10, trailerBytes = 8;
            long size = file.Length;
            if (size >= headerBytes + trailerBytes)
            {
                Span<byte> trailer = stackalloc byte[trailerBytes];
                file.Position = size - trailerBytes;
                file.ReadExactly(trailer);
                uint crc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
                uint length = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
                if (crc == Crc32.Finish(_crc) && length == (uint)_length) return; // one member: it covers all the data
                if (length <= _length && crc == CrcOfLast(length)) return; // concatenated members: it covers the last one
            }
            throw new InvalidDataException(
                $"{path}: truncated or corrupt gzip data: the stream ends after {_length} decompressed bytes without the gzip trailer (CRC-32 and length) that matches them");
        }

        // The CRC-32 of the last `count` decompressed bytes, from a second pass over the file. Small buffers, unbuffered
        // file: this pass runs for any file whose trailer does not match the whole stream, so it must not double what
        // reading the file costs.
        private uint CrcOfLast(long count)
        {
            using var again = new GZipStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0), CompressionMode.Decompress);
            var buffer = new byte[1 << 12];
            long skip = _length - count;
            uint crc = Crc32.Start;
            for (int n; (n = again.Read(buffer)) > 0; skip -= n)
                if (skip < n) crc = Crc32.Append(crc, buffer.AsSpan((int)Math.Max(skip, 0), n - (int)Math.Max(skip, 0)));
            return Crc32.Finish(crc);
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) _gzip.Dispose(); // and the file
            base.Dispose(disposing);
        }
    }

    /// <summary>The CRC-32 of gzip and zip (reflected polynomial 0xEDB88320), eight bytes at a time ("slicing-by-8").</summary>
    internal static class Crc32
    {
        public const uint Start = 0xFFFFFFFF;

        // Table[k·256 + b]: the CRC register after byte b followed by k zero bytes.
        private static readonly uint[] Table = MakeTable();

        public static uint Finish(uint crc) => ~crc;

        public static uint Append(uint crc, ReadOnlySpan<byte> data)
        {
            var t = Table;
            for (; data.Length >= 8; data = data[8..])
            {
                uint lo = crc ^ BinaryPrimitives.ReadUInt32LittleEndian(data), hi = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
                crc = t[7 * 256 + (lo & 0xff)] ^ t[6 * 256 + ((lo >> 8) & 0xff)] ^ t[5 * 256 + ((lo >> 16) & 0xff)] ^ t[4 * 256 + (lo >> 24)]
                    ^ t[3 * 256 + (hi & 0xff)] ^ t[2 * 256 + ((hi >> 8) & 0xff)] ^ t[256 + ((hi >> 16) & 0xff)] ^ t[hi >> 24];
            }
            foreach (byte b in data) crc = (crc >> 8) ^ t[(crc ^ b) & 0xff];
            return crc;
        }

        private static uint[] MakeTable()
        {
            var t = new uint[8 * 256];
            for (uint b = 0; b < 256; b++)
            {
                uint c = b;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
                t[b] = c;
            }
            for (int i = 256; i < t.Length; i++) t[i] = (t[i - 256] >> 8) ^ t[t[i - 256] & 0xff];
            return t;
        }
    }
}
