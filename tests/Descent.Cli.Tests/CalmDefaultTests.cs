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
            var runs = grid.Select(lr => (Lr: lr, Run: Run(f, entry, lr))).ToList();
            var calm = runs.Where(r => r.Run.Trajectory.All(p => LandscapeStudy.InBox(f, p))).ToList();
            double chosen = LandscapeStudy.SearchLr(f, entry, Steps, grid);
            if (calm.Count == 0) continue; // no rate of the grid keeps this optimizer in the picture
            var path = runs.Single(r => r.Lr == chosen).Run.Trajectory;
            Assert.True(path.All(p => LandscapeStudy.InBox(f, p)), $"{entry.Name} on {landscape}: the default lr {chosen} leaves the box");
            if (f.MinimumValue is double min)
            {
                var reaching = calm.Where(r => r.Run.Losses.Any(l => l - min <= LandscapeStudy.Tolerance)).ToList();
                if (reaching.Count > 0)
                    Assert.True(chosen == reaching.Min(r => r.Lr), $"{entry.Name} on {landscape}: default lr {chosen}, but {reaching.Min(r => r.Lr)} already reaches the tolerance in the box");
            }
        }
    }

    private const int Steps = 200;

    private static MinimizeResult Run(TestFunction f, OptimizerEntry entry, double lr)
    {
        var (x, fx) = Minimizer.StartFor(f.Value, f.Start, entry.Info);
        var optimizer = entry.Build([x], new Dictionary<string, double> { ["lr"] = lr });
        return Minimizer.Minimize(fx, x, optimizer, new StoppingCriteria { MaxIterations = Steps, StopWhen = i => LandscapeStudy.Escaped(f, i.Point) });
    }
}
