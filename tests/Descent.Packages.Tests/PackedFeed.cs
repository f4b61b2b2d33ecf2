using System.Text.RegularExpressions;
using Descent.Tests;

namespace Descent.Packages.Tests;

/// <summary>
/// The repository's packages, packed once for all the tests of the collection into a temporary feed, as a user would
/// make them (<c>dotnet pack -c Release -o feed</c>), and a temporary world to use them in: a <c>nuget.config</c> that
/// adds the feed to the machine's own sources, and an empty NuGet packages folder (<c>NUGET_PACKAGES</c>) for every
/// command that consumes them, so that a package of the same version cached earlier is never the one tested.
/// <para>
/// The pack writes its bin/ and obj/ under the temporary folder (<c>--artifacts-path</c>), not the repository's, so it
/// never races a build of the same projects by another test project running at the same time.
/// </para>
/// </summary>
public sealed partial class PackedFeed : IDisposable
{
    /// <summary>The projects packed: the library the README's examples reference, and the tool (which packs its pointer and platform packages).</summary>
    private static readonly string[] PackedProjects = ["src/Descent/Descent.csproj", "src/Descent.Cli/Descent.Cli.csproj"];

    private readonly Lazy<string> _toolPath;

    /// <summary>Packs the packages and prepares the temporary folder.</summary>
    /// <exception cref="InvalidOperationException">A pack failed; the message holds its output.</exception>
    public PackedFeed()
    {
        Root = Path.Combine(Path.GetTempPath(), $"descent-packages-{Guid.NewGuid():N}");
        Feed = Path.Combine(Root, "feed");
        PackagesFolder = Path.Combine(Root, "nuget-packages");
        Directory.CreateDirectory(PackagesFolder);
        foreach (string project in PackedProjects)
        {
            var pack = Command.Run(Command.Dotnet,
                ["pack", RepositoryFiles.PathOf(project), "-c", "Release", "-o", Feed, "--artifacts-path", Path.Combine(Root, "artifacts"),
                 "--disable-build-servers", "-nologo"],
                RepositoryFiles.Root);
            if (pack.ExitCode != 0) throw new InvalidOperationException($"dotnet pack failed:\n{pack.Describe()}");
        }
        Version = FindVersion(Feed);
        // The feed first, then the machine's own sources (nuget.org's mirror): no <clear />, so those stay.
        File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="descent-test-feed" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
        _toolPath = new Lazy<string>(InstallTool);
    }

    /// <summary>The temporary folder that holds the feed, the packages folder, the installed tool and the tests' work.</summary>
    public string Root { get; }

    /// <summary>The folder the packages were packed into.</summary>
    public string Feed { get; }

    /// <summary>The empty NuGet packages folder the consuming commands restore into.</summary>
    public string PackagesFolder { get; }

    /// <summary>The packages' version (one for all, from src/Directory.Build.props).</summary>
    public string Version { get; }

    /// <summary>The environment of a command that consumes the packages: the isolated packages folder, and no data folder named.</summary>
    public IReadOnlyDictionary<string, string?> ConsumerEnvironment => new Dictionary<string, string?>
    {
        ["NUGET_PACKAGES"] = PackagesFolder,
        ["DESCENT_DATA"] = null,
    };

    /// <summary>The installed <c>descent</c> command (installed on first use, from the feed, into a tool path under <see cref="Root"/>).</summary>
    public string Descent => _toolPath.Value;

    /// <summary>Every package in the feed with its size in bytes, by name.</summary>
    public IReadOnlyList<(string Name, long Bytes)> PackageSizes() =>
        [.. Directory.EnumerateFiles(Feed).Select(f => (Path.GetFileName(f), new FileInfo(f).Length)).OrderBy(p => p.Item1, StringComparer.Ordinal)];

    /// <summary>A new empty folder under <see cref="Root"/>.</summary>
    public string NewFolder(string name)
    {
        string path = Path.Combine(Root, "work", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>The project <c>dotnet new console</c> makes, with a reference to the packed Descent package.</summary>
    public string ConsoleProject() => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Descent" Version="{Version}" />
          </ItemGroup>
        </Project>
        """;

    private string InstallTool()
    {
        string toolPath = Path.Combine(Root, "tools");
        var install = Command.Run(Command.Dotnet,
            ["tool", "install", "--tool-path", toolPath, "--add-source", Feed, "Descent.Cli", "--version", Version],
            Root, ConsumerEnvironment);
        if (install.ExitCode != 0) throw new InvalidOperationException($"dotnet tool install failed:\n{install.Describe()}");
        return Path.Combine(toolPath, OperatingSystem.IsWindows() ? "descent.exe" : "descent");
    }

    /// <summary>The version of the Descent package in <paramref name="feed"/> (Descent.VERSION.nupkg).</summary>
    private static string FindVersion(string feed)
    {
        foreach (string file in Directory.EnumerateFiles(feed, "Descent.*.nupkg"))
        {
            var match = LibraryPackage().Match(Path.GetFileName(file));
            if (match.Success) return match.Groups["version"].Value;
        }
        throw new InvalidOperationException($"no Descent.VERSION.nupkg in {feed}: {string.Join(", ", Directory.EnumerateFiles(feed).Select(Path.GetFileName))}");
    }

    [GeneratedRegex(@"^Descent\.(?<version>\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?)\.nupkg$")]
    private static partial Regex LibraryPackage();

    /// <summary>Removes the temporary folder (the tool, the packages folder, the feed).</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open (an antivirus, a lingering process): the folder is in the temporary directory.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>The tests that share one <see cref="PackedFeed"/>; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PackedFeedCollection : ICollectionFixture<PackedFeed>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Packed feed";
}
