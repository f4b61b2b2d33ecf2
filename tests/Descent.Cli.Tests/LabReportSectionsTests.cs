using System.Text.RegularExpressions;
using Descent.Cli.Catalog;
using Descent.Cli.Commands;
using Descent.Cli.Lab;
using Descent.Functions;
using Descent.Plotting;

namespace Descent.Cli.Tests;

/// <summary>The lab report follows the tutorial: its sections in the tutorial's order, and a full note for every optimizer.</summary>
public partial class LabReportSectionsTests
{
    private static IReadOnlyList<OptimizerEntry> AllOptimizers => [.. LabCommand.Tutorial.Concat(LabCommand.Extra).Select(OptimizerCatalog.Find)];

    [Fact]
    public void EveryOptimizerHasANoteWithPrincipleRuleStrengthsWeaknessesAndUses()
    {
        var notes = LabReport.NotesSection(AllOptimizers);
        Assert.Equal(AllOptimizers.Select(o => o.Info.Title), notes.Subsections.Select(s => s.Heading));
        Assert.Equal(["Gradient descent", "Momentum", "Nesterov momentum (NAG)", "Adagrad", "Adadelta", "RMSprop", "Adam"], notes.Subsections.Take(7).Select(s => s.Heading));
        foreach (var note in notes.Subsections)
        {
            var principle = Assert.IsType<ReportParagraph>(note.Blocks[0]);
            Assert.StartsWith("Principle: ", principle.Text, StringComparison.Ordinal);
            Assert.True(principle.Text.Length > 40, $"{note.Heading}: {principle.Text}");
            Assert.False(string.IsNullOrWhiteSpace(Assert.IsType<ReportCode>(note.Blocks[1]).Text), $"{note.Heading} has no rule");
            var items = Assert.IsType<ReportList>(note.Blocks[2]).Items;
            Assert.Equal(["Strengths", "Weaknesses", "Suits"], items.Select(i => i.Split(':')[0]));
            Assert.All(items, i => Assert.True(i.Length > 20, $"{note.Heading}: '{i}'"));
        }
    }

    [Fact]
    public void SectionsFollowTheTutorialsOrder()
    {
        var dir = Directory.CreateTempSubdirectory("descent-lab-order-");
        try
        {
            var gd = OptimizerCatalog.Find("gd");
            var landscape = LandscapeStudy.Run(TestFunctions.ByName("himmelblau"), [gd], 20, quick: true, fixedLr: 0.01);
            var training = new TrainingCurves("gd", 0.1, [1, 0.5], [1, 0.6], [0.1, 0.8], 1);
            string index = new LabReport(dir.FullName).Write(new LabResults([landscape], 20, TheoryStudy.Data(quick: true), "digits", [training], AllOptimizers, Quick: true, Seconds: 1));
            string html = File.ReadAllText(index);
            var headings = Heading().Matches(html).Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();
            string[] tutorial =
            [
                "The gradient, and one step against it", "The learning-rate dilemma", "A local minimum: stuck, or rolling through",
                "Batch, stochastic and mini-batch descent", "Explore: every optimizer on every landscape", "Landscape: himmelblau",
                "Theory over practice: momentum on an ill-conditioned quadratic", "Real data: digits", "Learning-rate schedules", "The optimizers",
            ];
            var positions = tutorial.Select(t => headings.IndexOf(t)).ToList();
            Assert.DoesNotContain(-1, positions);
            Assert.Equal(positions.Order(), positions);

            // The x² table comes right after the walk's chart, before the n-D paragraph.
            int chart = html.IndexOf("charts/square-walk.png", StringComparison.Ordinal);
            int table = html.IndexOf("<table", chart, StringComparison.Ordinal);
            int field = html.IndexOf("charts/gradient-field.png", StringComparison.Ordinal);
            Assert.True(chart > 0 && table > chart && table < field, $"square-walk chart at {chart}, table at {table}, gradient field at {field}");
            Assert.True(File.Exists(Path.Combine(dir.FullName, "charts", "batch-modes.png")));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [GeneratedRegex("<h2>(.*?)</h2>")]
    private static partial Regex Heading();
}
