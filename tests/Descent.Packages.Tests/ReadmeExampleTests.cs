using Descent.Tests;

namespace Descent.Packages.Tests;

/// <summary>
/// Every <c>```csharp</c> block of README.md, built and run as a user would: a new console app (what
/// <c>dotnet new console</c> writes, by hand so no template is needed) that references the packed Descent package, its
/// <c>Program.cs</c> the block as <see cref="Readme.ProgramOf"/> makes it (a whole program as written, or the block
/// continuing the last whole program above it), warnings counting as errors. One case per block, named by the line of
/// its opening fence; the compiler's messages point at README.md's lines.
/// </summary>
[Collection(PackedFeedCollection.Name)]
[Trait("Category", "Packages")]
public sealed class ReadmeExampleTests(PackedFeed feed)
{
    public static TheoryData<int> Blocks() => new(Readme.Blocks.Select(b => b.FenceLine));

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Block_builds_against_the_package_and_runs(int line)
    {
        string app = feed.NewFolder($"readme-L{line}");
        File.WriteAllText(Path.Combine(app, "ReadmeExample.csproj"), feed.ConsoleProject());
        File.WriteAllText(Path.Combine(app, "Program.cs"), Readme.ProgramOf(Readme.Blocks, line));

        var build = Command.Run(Command.Dotnet,
            ["build", "-c", "Release", "-p:TreatWarningsAsErrors=true", "--disable-build-servers", "-nologo"], app, feed.ConsumerEnvironment);
        Assert.True(build.ExitCode == 0, $"README.md's block at line {line} does not build against the Descent package:\n{build.Describe()}");

        string assembly = Path.Combine(app, "bin", "Release", "net10.0", "ReadmeExample.dll");
        var run = Command.Run(Command.Dotnet, [assembly], app, feed.ConsumerEnvironment);
        Assert.True(run.ExitCode == 0, $"README.md's block at line {line} fails when run:\n{run.Describe()}");
    }
}
