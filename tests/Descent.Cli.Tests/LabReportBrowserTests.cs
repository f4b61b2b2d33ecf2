using Descent.Cli.Catalog;
using Descent.Cli.Commands;
using PuppeteerSharp;

namespace Descent.Cli.Tests;

/// <summary>
/// Opens the quick lab's report in headless Chromium (Debian's package; <c>.ci/run</c> installs it) as a reader would,
/// and checks that every static image loaded with a non-zero size, that the explorer has a tab per landscape and every
/// optimizer in its menu, that every control of the interactive page redraws what it should (<see cref="LabPageProbe"/>),
/// with no console error and no request beyond the page's own files, that the results tables name the tutorial's
/// optimizers, and that the report folder stays within its 10 MB budget.
/// </summary>
public class LabReportBrowserTests
{
    [Fact]
    public async Task QuickLabReportRendersInABrowser()
    {
        var dir = Directory.CreateTempSubdirectory("descent-lab-");
        var profile = Directory.CreateTempSubdirectory("descent-chromium-");
        try
        {
            var (code, _, err) = CliRunner.Run("lab", "--quick", "--out", dir.FullName);
            Assert.True(code == 0, err);
            string index = Path.Combine(dir.FullName, "index.html");
            Assert.True(File.Exists(index));

            await using var browser = await LabPageProbe.LaunchAsync(profile.FullName);
            await using var page = await browser.NewPageAsync();
            await page.SetViewportAsync(new ViewPortOptions { Width = 1280, Height = 1000 });
            var problems = LabPageProbe.Watch(page);
            await LabPageProbe.OpenAsync(page, index);
            var images = await page.EvaluateExpressionAsync<ImageInfo[]>(
                "Array.from(document.images).map(i => ({ src: i.getAttribute('src'), complete: i.complete, width: i.naturalWidth, height: i.naturalHeight }))");
            Assert.True(images.Length >= 10, $"only {images.Length} images");
            Assert.All(images, i => Assert.True(i.Complete && i.Width > 0 && i.Height > 0, $"image {i.Src} did not load"));
            int tabs = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('button.lab-tab').length");
            Assert.Equal(LabCommand.Landscapes.Length, tabs);
            int menu = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('select.lab-optimizer option').length");
            Assert.Equal(OptimizerCatalog.All.Count, menu);
            await LabPageProbe.CheckExplorerAsync(page);
            await LabPageProbe.CheckTheoryAsync(page);
            if (Environment.GetEnvironmentVariable("DESCENT_LAB_SCREENSHOT") is { Length: > 0 } shot)
                await Screenshot(page, shot);
            Assert.True(problems.Count == 0, "the page had problems:\n" + string.Join('\n', problems));
            long bytes = Directory.EnumerateFiles(dir.FullName, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            Assert.True(bytes <= 10_000_000, $"the report folder holds {bytes / 1e6:F1} MB, over its 10 MB budget");
            string tables = await page.EvaluateExpressionAsync<string>("Array.from(document.querySelectorAll('table')).map(t => t.innerText).join('\\n')");
            foreach (var name in new[] { "gd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamw", "nadam", "radam", "lbfgs" })
                Assert.Contains(name, tables);
        }
        finally
        {
            dir.Delete(true);
            try { profile.Delete(true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// The README's picture of the explorer (docs/lab-interactive.png): Adam on Himmelblau at step 8, the focus view and
    /// its stability map. Taken when DESCENT_LAB_SCREENSHOT names the file to write.
    /// </summary>
    private static async Task Screenshot(IPage page, string path)
    {
        await page.EvaluateExpressionAsync("document.querySelector('button.lab-tab[data-landscape=himmelblau]').click()");
        await page.WaitForFunctionAsync("() => document.querySelector('button.lab-tab.selected')?.dataset.landscape === 'himmelblau'");
        await page.EvaluateExpressionAsync("(() => { const s = document.querySelector('select.lab-optimizer'); s.value = 'adam'; s.dispatchEvent(new Event('change')); })()");
        await page.EvaluateExpressionAsync("(() => { const i = document.querySelector('input.lab-step'); i.value = 8; i.dispatchEvent(new Event('input')); })()");
        await page.EvaluateExpressionAsync("document.querySelector('#explorer').scrollIntoView()");
        var box = await (await page.QuerySelectorAsync("#explorer")).BoundingBoxAsync();
        double scrollY = await page.EvaluateExpressionAsync<double>("window.scrollY");
        await page.ScreenshotAsync(path, new ScreenshotOptions
        {
            Clip = new PuppeteerSharp.Media.Clip { X = box.X, Y = box.Y + (decimal)scrollY, Width = box.Width, Height = Math.Min(box.Height, 600) },
            CaptureBeyondViewport = true,
        });
    }

    public sealed class ImageInfo
    {
        public string Src { get; set; } = "";
        public bool Complete { get; set; }
        public int Width { get; set; }
        public int Height { get; set; }
    }
}
