using Descent.Cli.Catalog;
using Descent.Cli.Commands;
using Descent.Cli.Lab;
using Descent.Functions;

namespace Descent.Cli.Tests;

/// <summary>
/// The lab's default learning rate per optimizer and landscape is calm: its whole path stays in the plotted box, and when
/// some rate of the grid reaches the tolerance, the default is the smallest such rate.
/// </summary>
public class CalmDefaultTests
{
    public static TheoryData<string> Landscapes => [.. LabCommand.Landscapes];

    [Theory]
    [MemberData(nameof(Landscapes))]
    public void NoPathLeavesThePictureAtItsDefaultRate(string landscape)
    {
        var f = TestFunctions.ByName(landscape);
        double[] grid = LandscapeStudy.LrGrid(quick: true);
        var optimizers = LabCommand.Tutorial.Concat(LabCommand.Extra).Select(OptimizerCatalog.Find).Where(e => !e.Info.ChoosesStepLength);
        foreach (var entry in optimizers)
        {
            var runs = grid.Select(lr => (Lr: lr, Run: LandscapeStudy.Run(f, entry, lr, Steps))).ToList();
            var calm = runs.Where(r => r.Run.Trajectory.All(p => LandscapeStudy.InBox(f, p))).ToList();
            double chosen = LandscapeStudy.SearchLr(f, entry, Steps, grid);
            if (calm.Count == 0) continue; // no rate of the grid keeps this optimizer in the picture
            var path = runs.Single(r => r.Lr == chosen).Run.Trajectory;
            Assert.True(path.All(p => LandscapeStudy.InBox(f, p)), $"{entry.Name} on {landscape}: the default lr {chosen} leaves the box");
            var reaching = calm.Where(r => LandscapeStudy.IterationsToTolerance(f, r.Run.Losses) is not null).ToList(); // none without a known minimum
            if (reaching.Count > 0)
                Assert.True(chosen == reaching.Min(r => r.Lr), $"{entry.Name} on {landscape}: default lr {chosen}, but {reaching.Min(r => r.Lr)} already reaches the tolerance in the box");
        }
    }

    private const int Steps = 200;
}
