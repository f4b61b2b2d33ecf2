namespace Descent.Onnx.Tests;

/// <summary>Files of the repository the tests run from, found by walking up from the test's base directory.</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The full path of <paramref name="relative"/> (with '/' separators) under the repository's root.</summary>
    public static string PathOf(string relative) => Path.Combine([s_root.Value, .. relative.Split('/')]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Descent.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no directory holding Descent.sln above {AppContext.BaseDirectory}");
    }
}
