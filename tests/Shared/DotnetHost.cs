namespace Descent.Tests;

/// <summary>The dotnet host that runs the tests, for starting child processes with the same SDK.</summary>
internal static class DotnetHost
{
    /// <summary>DOTNET_HOST_PATH (set by dotnet test), else this process when it is dotnet, else "dotnet" from PATH.</summary>
    public static string Path { get; } = Find();

    private static string Find()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        string? process = Environment.ProcessPath;
        if (process is not null && System.IO.Path.GetFileNameWithoutExtension(process) == "dotnet") return process;
        return "dotnet";
    }
}
