using System.Text.RegularExpressions;
using PublicApiGenerator;

namespace Descent.Tests.PublicApi;

/// <summary>
/// The public surface of the Descent assembly is reviewed: PublicApiGenerator writes it as C# declarations, and this test
/// compares that text with the committed <c>tests/Descent.Tests/PublicApi/Descent.approved.txt</c>, failing with a diff
/// of the two when they differ. A change to the public API is made on purpose, by regenerating the file:
/// <code>DESCENT_APPROVE_API=1 dotnet test tests/Descent.Tests -c Release --filter FullyQualifiedName~PublicApiTests</code>
/// then reviewing its diff and committing it with the change (see docs/CONTRIBUTING.md). CI (CI=true) never approves.
/// </summary>
public partial class PublicApiTests
{
    /// <summary>The approved API, relative to the repository's root.</summary>
    internal const string ApprovedFile = "tests/Descent.Tests/PublicApi/Descent.approved.txt";

    /// <summary>Set to 1 to write the generated API over the approved file instead of comparing.</summary>
    internal const string ApproveVariable = "DESCENT_APPROVE_API";

    /// <summary>
    /// The public API as text, with '\n' line ends. Assembly attributes are left out: they say how the assembly was built
    /// (its version, the commit it came from), not what it offers. So is the source line the compiler writes into each
    /// <c>[Hyperparameter]</c> (<see cref="Optim.HyperparameterAttribute.Line"/>): it moves with every edit above it.
    /// </summary>
    internal static string Generate() => DeclarationLine().Replace(
        typeof(Tensor).Assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false }).ReplaceLineEndings("\n"),
        "$1");

    [GeneratedRegex(@"(\[Descent\.Optim\.Hyperparameter\(""[^""]*""), \d+")]
    private static partial Regex DeclarationLine();

    [Fact]
    public void The_public_API_is_the_approved_one()
    {
        string generated = Generate();
        string path = RepositoryFiles.PathOf(ApprovedFile);
        if (Environment.GetEnvironmentVariable(ApproveVariable) == "1")
        {
            // CI compares; a run there that approves whatever it built would review nothing.
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", $"{ApproveVariable}=1 is for a developer's machine, not CI");
            File.WriteAllText(path, generated);
            return;
        }
        string how = $"if the change is intended, regenerate the file with {ApproveVariable}=1 dotnet test tests/Descent.Tests -c Release --filter FullyQualifiedName~PublicApiTests, review its diff and commit it";
        Assert.True(File.Exists(path), $"{ApprovedFile} is missing; {how}");
        string approved = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (approved == generated) return;
        string received = Path.Combine(AppContext.BaseDirectory, "Descent.received.txt");
        File.WriteAllText(received, generated);
        Assert.Fail($"the public API differs from {ApprovedFile} ('-' approved, '+' now; the whole of it is in {received}); {how}:\n{LineDiff.Format(approved, generated)}");
    }

    [Fact]
    public void The_generated_API_is_the_library_s_public_surface()
    {
        // Guards the generator's configuration: a surface written from the wrong assembly, or empty, would approve anything.
        string api = Generate();
        Assert.Contains("public sealed class Tensor", api, StringComparison.Ordinal);
        Assert.Contains("namespace Descent.NN", api, StringComparison.Ordinal);
        Assert.DoesNotContain("class Node", api, StringComparison.Ordinal); // internal
    }
}
