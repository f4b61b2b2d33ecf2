using Descent.Cli.Catalog;
using Descent.Cli.Lab;
using Descent.Functions;
using Descent.Plotting;

namespace Descent.Cli.Tests;

/// <summary>
/// The lab viewer driven in Chromium on a small page the lab's own code writes: two landscapes (one with a known
/// minimum, the saddle without), three optimizers (gd without momentum, momentum and Adam with), 40 steps, and the
/// theory. The whole quick lab goes through the same probe in <see cref="LabReportBrowserTests"/>.
/// </summary>
public class InteractiveLabPageTests
{
    [Fact]
    public async Task InteractivePageWorksInABrowser()
    {
        var dir = Directory.CreateTempSubdirectory("descent-lab-page-");
        var profile = Directory.CreateTempSubdirectory("descent-chromium-");
        try
        {
            const int steps = 40;
            var optimizers = new[] { "gd", "momentum", "adam" }.Select(OptimizerCatalog.Find).ToList();
            var landscapes = new[] { "himmelblau", "saddle" }.Select(name => LandscapeStudy.Run(TestFunctions.ByName(name), optimizers, steps, quick: true, fixedLr: null)).ToList();
            var report = new Report("Interactive lab", [
                new ReportSection("Explorer", [new ReportParagraph("Every run of every optimizer."), new ReportWidget(LabPage.Explorer, "explorer")]),
                new ReportSection("Theory", [new ReportWidget(LabPage.Theory, "theory")]),
            ])
            { Data = LabPage.Data(landscapes, steps, TheoryStudy.Data(quick: true)) };
            string index = ReportWriter.Write(report, dir.FullName);

            await using var browser = await LabPageProbe.LaunchAsync(profile.FullName);
            await using var page = await browser.NewPageAsync();
            await LabPageProbe.CheckAsync(page, index);
        }
        finally
        {
            dir.Delete(true);
            try { profile.Delete(true); } catch (IOException) { }
        }
    }
}
