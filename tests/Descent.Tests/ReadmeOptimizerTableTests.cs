using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Descent.Optim;

namespace Descent.Tests;

/// <summary>
/// README's "Optimizers beside PyTorch 2.x" table stays true: one row names every registry entry, and each row's count of
/// reference cases is the number of cases of that PyTorch class in the repository's <c>reference/optim-*.json</c>.
/// </summary>
public partial class ReadmeOptimizerTableTests
{
    private const string Heading = "## Optimizers beside PyTorch 2.x";

    private static List<string[]> Rows()
    {
        var lines = File.ReadAllLines(Readme.FindPath());
        int start = Array.IndexOf(lines, Heading);
        Assert.True(start >= 0, $"README.md has no section '{Heading}'");
        return lines.Skip(start + 1).SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|')).Skip(2)
            .Select(l => l.Trim('|').Split(" | ").Select(c => c.Trim()).ToArray()).ToList();
    }

    [Fact]
    public void EveryRegistryEntryHasItsNameInTheTable()
    {
        var named = Rows().SelectMany(r => Code().Matches(r[2]).Select(m => m.Groups[1].Value)).ToHashSet();
        var missing = OptimizerRegistry.All.Select(e => e.Name).Where(n => !named.Contains(n)).ToList();
        Assert.True(missing.Count == 0, $"README's optimizer table lacks {string.Join(", ", missing)}");
    }

    [Fact]
    public void EachRowCountsTheReferenceCasesOfItsClass()
    {
        var counts = Directory.GetFiles(RepositoryFiles.PathOf("reference"), "optim-*.json")
            .SelectMany(f => JsonNode.Parse(File.ReadAllText(f))!["cases"]!.AsArray())
            .GroupBy(c => c!["optimizer"]!.GetValue<string>()).ToDictionary(g => g.Key, g => g.Count());
        int checkedRows = 0;
        foreach (var row in Rows())
        {
            var cases = Count().Match(row[3]);
            if (!cases.Success) continue;
            // The PyTorch class, or for an optimizer PyTorch lacks ("—"), the class the reference files name it by.
            var torchName = Code().Match(row[0] == "—" ? row[1] : row[0]).Groups[1].Value;
            Assert.True(counts.TryGetValue(torchName, out int n), $"README's row for {torchName} counts cases, but reference/ has none");
            Assert.Equal((torchName, n), (torchName, int.Parse(cases.Groups[1].Value)));
            checkedRows++;
        }
        Assert.True(checkedRows >= counts.Count, $"the table counts the cases of {checkedRows} classes, reference/ has {counts.Count}");
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Code();

    [GeneratedRegex(@"^(\d+) cases")]
    private static partial Regex Count();
}
