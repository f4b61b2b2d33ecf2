using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Descent.Tests;

/// <summary>
/// Every <c>```csharp</c> block of the repository's README compiles and runs, as Sep's ReadMeTest checks its README: one
/// test case per block, named by the line of its opening fence. Each is compiled in-process with Roslyn against the
/// Descent assembly, as a new console app would compile it (its implicit usings, nullable on, warnings are failures),
/// and its entry point is run. Errors point at README.md's own lines. Which blocks are whole programs and how the others
/// continue one is <see cref="Readme"/>'s rule; Descent.Packages.Tests builds the same programs against the packed
/// package.
/// </summary>
public class ReadmeTests
{
    /// <summary>What <c>dotnet new console</c> brings without writing it: the implicit usings.</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static readonly CSharpParseOptions ParseOptions = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);

    public static TheoryData<int> Blocks() => new(Readme.Blocks.Select(b => b.FenceLine));

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Block_compiles_and_runs(int line)
    {
        var assembly = Compile($"Readme_L{line}", Readme.ProgramOf(Readme.Blocks, line));
        Run(assembly);
    }

    private static Assembly Compile(string name, string source)
    {
        var trees = new[]
        {
            CSharpSyntaxTree.ParseText(ImplicitUsings, ParseOptions, path: "ImplicitUsings.cs"),
            CSharpSyntaxTree.ParseText(source, ParseOptions, path: "README.md"),
        };
        var compilation = CSharpCompilation.Create(name, trees, References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        var problems = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToArray();
        Assert.True(result.Success && problems.Length == 0,
            $"the README's block does not compile cleanly:\n{string.Join('\n', problems.Select(d => d.ToString()))}\n\nas compiled:\n{source}");
        image.Position = 0;
        // Descent itself resolves to the copy this test process has loaded (the default context).
        return new AssemblyLoadContext(name, isCollectible: true).LoadFromStream(image);
    }

    private static void Run(Assembly assembly)
    {
        var main = assembly.EntryPoint ?? throw new InvalidOperationException("the compiled block has no entry point");
        try
        {
            main.Invoke(null, main.GetParameters().Length == 0 ? null : [Array.Empty<string>()]);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
        }
        finally
        {
            AssemblyLoadContext.GetLoadContext(assembly)!.Unload();
        }
    }

    /// <summary>The shared framework's reference assemblies and Descent's: what a console app referencing Descent sees.</summary>
    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return Directory.EnumerateFiles(framework, "*.dll")
            .Append(typeof(Tensor).Assembly.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray();
    });
}
