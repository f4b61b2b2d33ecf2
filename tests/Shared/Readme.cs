using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Descent.Tests;

/// <summary>
/// The <c>```csharp</c> blocks of the repository's README.md and the rule that turns each into a program, shared by the
/// in-process <c>ReadmeTests</c> (Descent.Tests) and the test that builds them against the packed Descent package
/// (Descent.Packages.Tests).
/// <para>
/// The rule, as README.md's "Contributing" section states it: a block whose first line is <c>using Descent;</c> is a
/// whole program, compiled verbatim as the whole <c>Program.cs</c> of a new console app. Any other block continues the
/// last whole program above it: its using directives join that program's, its statements run after that program's
/// statements, and the program's type declarations (and the block's own) go last, as top-level statements require.
/// Each such block is compiled with that program alone, not with the blocks between them.
/// </para>
/// </summary>
internal static class Readme
{
    /// <summary>The line that starts a whole program.</summary>
    public const string WholeProgramStart = "using Descent;";

    /// <summary>One block: the 1-based line of its opening fence and its code.</summary>
    internal sealed record Block(int FenceLine, string Code)
    {
        /// <summary>Whether the block is a whole program (its first line is <see cref="WholeProgramStart"/>).</summary>
        public bool IsWholeProgram => Code.Split('\n', 2)[0].Trim() == WholeProgramStart;
    }

    private static readonly CSharpParseOptions ParseOptions = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);

    /// <summary>The README's blocks in order.</summary>
    public static IReadOnlyList<Block> Blocks => s_blocks.Value;

    private static readonly Lazy<Block[]> s_blocks = new(() => Parse(File.ReadAllLines(FindPath())));

    /// <summary>README.md at the repository's root.</summary>
    public static string FindPath() => RepositoryFiles.PathOf("README.md");

    /// <summary>The blocks of a Markdown file's lines.</summary>
    /// <exception cref="FormatException">A block is not closed.</exception>
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

    /// <summary>
    /// The program the block at <paramref name="fenceLine"/> makes under the rule above, with <c>#line</c> directives
    /// that point the compiler's messages at README.md's own lines.
    /// </summary>
    /// <exception cref="InvalidOperationException">The block continues a program, but no whole program comes before it.</exception>
    public static string ProgramOf(IReadOnlyList<Block> blocks, int fenceLine)
    {
        int index = blocks.Select((b, i) => (b, i)).Single(p => p.b.FenceLine == fenceLine).i;
        var block = blocks[index];
        if (block.IsWholeProgram) return $"#line {block.FenceLine + 1} \"README.md\"\n{block.Code}";
        var program = blocks.Take(index).LastOrDefault(b => b.IsWholeProgram)
            ?? throw new InvalidOperationException(
                $"README.md line {fenceLine}: the block continues a program, but no block above it starts with '{WholeProgramStart}'");
        return Compose(program, block);
    }

    /// <summary>
    /// One compilation unit from a whole program and a block that continues it: their using directives, their
    /// statements, then their type declarations, each under a <c>#line</c> directive naming its line in README.md.
    /// </summary>
    private static string Compose(Block program, Block continuation)
    {
        var usings = new StringBuilder();
        var statements = new StringBuilder();
        var types = new StringBuilder();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in new[] { program, continuation })
        {
            var unit = CSharpSyntaxTree.ParseText(b.Code, ParseOptions).GetCompilationUnitRoot();
            foreach (var u in unit.Usings)
                if (seen.Add(u.ToString())) Append(usings, b, u);
            foreach (var m in unit.Members)
                Append(m is GlobalStatementSyntax ? statements : types, b, m);
        }
        return $"{usings}{statements}{types}";
    }

    private static void Append(StringBuilder sb, Block block, SyntaxNode node)
    {
        int line = block.FenceLine + 1 + node.GetLocation().GetLineSpan().StartLinePosition.Line;
        sb.Append($"#line {line} \"README.md\"\n").Append(node.ToString()).Append('\n');
    }
}
