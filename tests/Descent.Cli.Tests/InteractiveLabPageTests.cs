using Descent.Plotting;

namespace Descent.Cli.Tests;

/// <summary>The lab viewer on a page written by <see cref="ReportWriter"/> from synthetic data, driven in Chromium.</summary>
public class InteractiveLabPageTests
{
    [Fact]
    public async Task InteractivePageWorksInABrowser()
    {
        var dir = Directory.CreateTempSubdirectory("descent-lab-page-");
        var profile = Directory.CreateTempSubdirectory("descent-chromium-");
        try
        {
            var report = new Report("Interactive lab", [
                new ReportSection("Explorer", [new ReportParagraph("Every run of every optimizer."), new ReportWidget("explorer", "explorer")]),
                new ReportSection("Theory", [new ReportWidget("theory", "theory")]),
            ])
            { Data = SyntheticLab.Data() };
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
