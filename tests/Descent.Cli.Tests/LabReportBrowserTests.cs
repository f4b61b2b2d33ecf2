using PuppeteerSharp;

namespace Descent.Cli.Tests;

/// <summary>
/// Opens the lab's report in headless Chromium (Debian's package; <c>.ci/run</c> installs it) as a reader would, and
/// checks that it loads without console errors, that every image loaded with a non-zero size, and that the results
/// tables name every optimizer.
/// </summary>
public class LabReportBrowserTests
{
    private static string ChromiumPath =>
        Environment.GetEnvironmentVariable("DESCENT_CHROMIUM") ?? "/usr/bin/chromium";

    [Fact]
    public async Task QuickLabReportRendersInABrowser()
    {
        Assert.True(File.Exists(ChromiumPath), $"Chromium is needed at {ChromiumPath} (apt-get install chromium, or set DESCENT_CHROMIUM)");
        var dir = Directory.CreateTempSubdirectory("descent-lab-");
        var profile = Directory.CreateTempSubdirectory("descent-chromium-");
        try
        {
            var (code, _, err) = CliRunner.Run("lab", "--quick", "--out", dir.FullName);
            Assert.True(code == 0, err);
            string index = Path.Combine(dir.FullName, "index.html");
            Assert.True(File.Exists(index));

            await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                UserDataDir = profile.FullName,
                Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"],
            });
            await using var page = await browser.NewPageAsync();
            var errors = new List<string>();
            page.Console += (_, e) => { if (e.Message.Type == ConsoleType.Error) errors.Add(e.Message.Text); };
            page.PageError += (_, e) => errors.Add(e.Message);
            page.RequestFailed += (_, e) => errors.Add("failed to load " + e.Request.Url);
            await page.GoToAsync(new Uri(index).AbsoluteUri, WaitUntilNavigation.Load);

            Assert.Empty(errors);
            var images = await page.EvaluateExpressionAsync<ImageInfo[]>(
                "Array.from(document.images).map(i => ({ src: i.getAttribute('src'), complete: i.complete, width: i.naturalWidth, height: i.naturalHeight }))");
            Assert.True(images.Length >= 10, $"only {images.Length} images");
            Assert.All(images, i => Assert.True(i.Complete && i.Width > 0 && i.Height > 0, $"image {i.Src} did not load"));
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

    public sealed class ImageInfo
    {
        public string Src { get; set; } = "";
        public bool Complete { get; set; }
        public int Width { get; set; }
        public int Height { get; set; }
    }
}
