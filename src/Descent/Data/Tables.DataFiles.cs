namespace Descent.Data;

/// <summary>
/// Finds the repository's <c>data/</c> folder: the <c>DESCENT_DATA</c> environment variable if set, else the first
/// <c>data/</c> holding the wanted file in the current directory or one of its parents, else in the application's
/// base directory or one of its parents.
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

    /// <summary>Opens a file for reading, decompressing it when it starts with the gzip magic bytes 1f 8b.</summary>
    public static Stream OpenMaybeGzip(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        int read = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            return new BufferedStream(new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress), 1 << 16);
        return file;
    }
}
