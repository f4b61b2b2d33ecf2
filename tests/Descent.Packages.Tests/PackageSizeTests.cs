using Xunit.Abstractions;

namespace Descent.Packages.Tests;

/// <summary>The packages' sizes, printed (README.md's "Packages" table records them), and the metadata every library package carries.</summary>
[Collection(PackedFeedCollection.Name)]
[Trait("Category", "Packages")]
public sealed class PackageSizeTests(PackedFeed feed, ITestOutputHelper output)
{
    [Fact]
    public void Every_package_is_packed_with_its_symbols()
    {
        foreach (var (name, bytes) in feed.PackageSizes())
            output.WriteLine($"{name,-45} {bytes,12:N0} bytes  {bytes / 1e6,8:F2} MB");
        string[] expected =
        [
            $"Descent.{feed.Version}.nupkg", $"Descent.{feed.Version}.snupkg",
            $"Descent.Cli.{feed.Version}.nupkg",
            .. new[] { "linux-x64", "win-x64", "osx-arm64" }.SelectMany(rid =>
                new[] { $"Descent.Cli.{rid}.{feed.Version}.nupkg", $"Descent.Cli.{rid}.{feed.Version}.snupkg" }),
        ];
        var names = feed.PackageSizes().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        Assert.All(expected, name => Assert.Contains(name, names));
    }

    [Fact]
    public void The_library_package_has_licence_readme_url_tags_and_release_notes()
    {
        string package = Path.Combine(feed.Feed, $"Descent.{feed.Version}.nupkg");
        using var zip = System.IO.Compression.ZipFile.OpenRead(package);
        using var reader = new StreamReader(zip.GetEntry("Descent.nuspec")!.Open());
        string nuspec = reader.ReadToEnd();
        Assert.Contains("<license type=\"expression\">MIT</license>", nuspec, StringComparison.Ordinal);
        Assert.Contains("<readme>README.md</readme>", nuspec, StringComparison.Ordinal);
        Assert.Contains("<projectUrl>https://github.com/", nuspec, StringComparison.Ordinal);
        Assert.Contains("<tags>", nuspec, StringComparison.Ordinal);
        Assert.Contains("<releaseNotes>", nuspec, StringComparison.Ordinal);
        Assert.NotNull(zip.GetEntry("README.md"));
        Assert.NotNull(zip.GetEntry("lib/net10.0/Descent.dll"));
        Assert.NotNull(zip.GetEntry("lib/net10.0/Descent.xml"));
    }
}
