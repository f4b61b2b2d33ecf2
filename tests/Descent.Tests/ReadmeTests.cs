using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.Loader;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Descent.Tests;

/// <summary>
/// Every <c>```csharp</c> block of the repository's README compiles and runs, as Sep's ReadMeTest checks its README: one
/// test case per block, named by the line of its opening fence. Each is compiled in-process with Roslyn against the
/// Descent assembly, as a new console app would compile it (its implicit usings, nullable on, warnings are failures),
/// and its entry point is run. Errors point at README.md's own lines.
/// <para>
/// The first block is a whole program and is compiled alone, verbatim, as pasted into <c>Program.cs</c>. A later block
/// continues it, as the README reads: it is compiled after the first block's using directives and statements (its types
/// go last, as top-level statements require), preceded by <see cref="Prelude"/>, which declares what the README leaves
/// to the reader.
/// </para>
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

    /// <summary>Names a later block uses that the README's text leaves to the reader: the number of steps of a loop.</summary>
    private const string Prelude = "int steps = 3;";

    private static readonly CSharpParseOptions ParseOptions = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);

    public static TheoryData<int> Blocks() => new(Readme.Blocks.Select(b => b.FenceLine));

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Block_compiles_and_runs(int line)
    {
        var blocks = Readme.Blocks;
        var block = blocks.Single(b => b.FenceLine == line);
        string source = block == blocks[0] ? $"#line {line + 1} \"README.md\"\n{block.Code}" : Program([blocks[0], block], Prelude);
        var assembly = Compile($"Readme_L{line}", source);
        Run(assembly);
    }

    /// <summary>
    /// One compilation unit from the blocks (the first block, then a later one) in order: their using directives, the prelude, their statements, then their
    /// type declarations, each under a <c>#line</c> directive naming its line in README.md.
    /// </summary>
    private static string Program(Readme.Block[] blocks, string? prelude = null)
    {
        var usings = new StringBuilder();
        var statements = new StringBuilder();
        var types = new StringBuilder();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // The prelude declares what any later block may use; one that does not use it is not warned about it.
        if (prelude is not null)
            statements.Append("#line hidden\n#pragma warning disable CS0219\n").Append(prelude).Append("\n#pragma warning restore CS0219\n");
        foreach (var b in blocks)
        {
            var unit = CSharpSyntaxTree.ParseText(b.Code, ParseOptions).GetCompilationUnitRoot();
            foreach (var u in unit.Usings)
                if (seen.Add(u.ToString())) Append(usings, b, u);
            foreach (var m in unit.Members)
                Append(m is GlobalStatementSyntax ? statements : types, b, m);
        }
        return $"{usings}{statements}{types}";
    }

    private static void Append(StringBuilder sb, Readme.Block block, SyntaxNode node)
    {
        int line = block.FenceLine + 1 + node.GetLocation().GetLineSpan().StartLinePosition.Line;
        sb.Append($"#line {line} \"README.md\"\n").Append(node.ToString()).Append('\n');
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

/// <summary>The <c>```csharp</c> blocks of the repository's README.md.</summary>
internal static class Readme
{
    /// <summary>One block: the 1-based line of its opening fence and its code.</summary>
    internal sealed record Block(int FenceLine, string Code);

    /// <summary>The README's blocks in order.</summary>
    public static IReadOnlyList<Block> Blocks => s_blocks.Value;

    private static readonly Lazy<Block[]> s_blocks = new(() => Parse(File.ReadAllLines(FindPath())));

    /// <summary>README.md at the repository's root.</summary>
    public static string FindPath() => RepositoryFiles.PathOf("README.md");

    internal static Block[] Parse(string[] lines)
    {
        var blocks = new List<Block>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp") continue;
            int start = i;
            var code = new StringBuilder();
            for (i++; i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal); i++)
                code.Append(lines[i]).Append('\n');
            if (i == lines.Length) throw new FormatException($"README.md: the csharp block opened on line {start + 1} is not closed");
            blocks.Add(new Block(start + 1, code.ToString()));
        }
        return [.. blocks];
    }
}
