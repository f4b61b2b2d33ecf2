using PuppeteerSharp;

namespace Descent.Cli.Tests;

/// <summary>
/// Checks the lab's interactive page in a browser as a reader would use it: every control redraws what it should.
/// It reads what it needs (the number of learning rates, the optimizers, the tabs) from the page, so it runs on any
/// page that follows the lab's page contract, synthetic or made by <c>descent lab</c>. Use <see cref="CheckAsync"/>
/// for everything, or <see cref="Watch"/>, <see cref="OpenAsync"/> and the single checks.
/// </summary>
public static class LabPageProbe
{
    private static string ChromiumPath => Environment.GetEnvironmentVariable("DESCENT_CHROMIUM") ?? "/usr/bin/chromium";

    /// <summary>Headless Chromium with a private profile folder and no background network.</summary>
    public static Task<IBrowser> LaunchAsync(string userDataDir)
    {
        Assert.True(File.Exists(ChromiumPath), $"Chromium is needed at {ChromiumPath} (apt-get install chromium, or set DESCENT_CHROMIUM)");
        return Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            UserDataDir = userDataDir,
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"],
        });
    }

    /// <summary>Opens <paramref name="indexHtml"/>, waits until it is ready, runs every check, and asserts that the page
    /// logged no error and asked for nothing but file: and data: URLs.</summary>
    public static async Task CheckAsync(IPage page, string indexHtml)
    {
        List<string> problems = Watch(page);
        await OpenAsync(page, indexHtml);
        await CheckExplorerAsync(page);
        await CheckTheoryAsync(page);
        Assert.True(problems.Count == 0, "the page had problems:\n" + string.Join('\n', problems));
    }

    /// <summary>Starts collecting console errors, page errors, failed requests and requests for anything but file: or
    /// data: URLs; call before <see cref="OpenAsync"/>. The returned list fills as the page runs.</summary>
    public static List<string> Watch(IPage page)
    {
        var problems = new List<string>();
        page.Console += (_, e) => { if (e.Message.Type == ConsoleType.Error) lock (problems) problems.Add("console error: " + e.Message.Text); };
        page.PageError += (_, e) => { lock (problems) problems.Add("page error: " + e.Message); };
        page.RequestFailed += (_, e) => { lock (problems) problems.Add("failed to load " + e.Request.Url); };
        page.Request += (_, e) =>
        {
            string url = e.Request.Url;
            if (!url.StartsWith("file:", StringComparison.Ordinal) && !url.StartsWith("data:", StringComparison.Ordinal))
                lock (problems) problems.Add("request for " + url);
        };
        return problems;
    }

    /// <summary>Loads the page and waits for <c>body[data-lab-ready="1"]</c>.</summary>
    public static async Task OpenAsync(IPage page, string indexHtml)
    {
        await page.GoToAsync(new Uri(indexHtml).AbsoluteUri, WaitUntilNavigation.Load);
        await page.WaitForFunctionAsync("() => document.body.dataset.labReady === '1'", new WaitForFunctionOptions { Timeout = 20_000 });
    }

    /// <summary>The focus view's sliders, play button, stability map, landscape tabs and optimizer menu.</summary>
    public static async Task CheckExplorerAsync(IPage page)
    {
        await SelectOptimizerWithAsync(page, "input.lab-lr", needsMomentum: true);
        Focus before = await FocusAsync(page);

        // Learning rate: another run, another picture.
        int lrMax = await IntAsync(page, "+document.querySelector('input.lab-lr').max");
        Assert.True(lrMax >= 1, "the selected optimizer has a single learning rate");
        int lr = await IntAsync(page, "+document.querySelector('input.lab-lr').value");
        await SetRangeAsync(page, "input.lab-lr", lr == 0 ? 1 : lr - 1);
        Focus afterLr = await FocusAsync(page);
        Assert.NotEqual(before.Run, afterLr.Run);
        Assert.NotEqual(before.Image, afterLr.Image);
        Assert.Contains("lr = ", await TextAsync(page, "document.querySelector('input.lab-lr').parentElement.textContent"), StringComparison.Ordinal);

        // Momentum (the probe picked an optimizer that has one).
        int mMax = await IntAsync(page, "+document.querySelector('input.lab-momentum').max");
        int m = await IntAsync(page, "+document.querySelector('input.lab-momentum').value");
        Assert.True(mMax >= 1, "no optimizer of the first landscape has two momentum values");
        await SetRangeAsync(page, "input.lab-momentum", m == 0 ? 1 : m - 1);
        Focus afterMomentum = await FocusAsync(page);
        Assert.NotEqual(afterLr.Run, afterMomentum.Run);
        Assert.NotEqual(afterLr.Image, afterMomentum.Image);
        Assert.Equal(afterMomentum.Run, await TextAsync(page, "document.querySelector('.lab-stability button.lab-cell.selected').dataset.run"));

        // Step: a calm run (the default) moves, so its start and its last point differ.
        await SelectOptimizerWithAsync(page, "input.lab-lr", needsMomentum: false);
        int stepMax = await IntAsync(page, "+document.querySelector('input.lab-step').max");
        Assert.True(stepMax >= 2, "the default run has fewer than three points");
        Focus atEnd = await FocusAsync(page);
        await SetRangeAsync(page, "input.lab-step", 0);
        Focus atStart = await FocusAsync(page);
        Assert.NotEqual(atEnd.Point, atStart.Point);
        Assert.NotEqual(atEnd.Image, atStart.Image);
        Assert.Equal(atEnd.Run, atStart.Run);
        Assert.Contains("step 0 of " + stepMax, await TextAsync(page, "document.querySelector('input.lab-step').parentElement.textContent"), StringComparison.Ordinal);

        // Play advances the step by itself.
        await page.ClickAsync("button.lab-play");
        await page.WaitForFunctionAsync("() => +document.querySelector('input.lab-step').value > 0", new WaitForFunctionOptions { Timeout = 10_000 });
        // The label, not the point: a stalled run's next point may print the same to six digits.
        Assert.DoesNotContain("step 0 of", await TextAsync(page, "document.querySelector('input.lab-step').parentElement.textContent"), StringComparison.Ordinal);
        await page.EvaluateExpressionAsync("document.querySelector('button.lab-play').textContent.includes('pause') && document.querySelector('button.lab-play').click()");

        // A stability cell of another run selects that run and moves the sliders to it.
        string cellRun = await TextAsync(page, """
            (() => {
              const lr = document.querySelector('input.lab-lr').value, m = document.querySelector('input.lab-momentum').value;
              const cell = Array.from(document.querySelectorAll('.lab-stability button.lab-cell')).find(c => c.dataset.li !== lr || c.dataset.mi !== m);
              cell.click();
              return cell.dataset.run;
            })()
            """);
        Focus afterCell = await FocusAsync(page);
        Assert.Equal(cellRun, afterCell.Run);
        string[] parts = cellRun.Split('/');
        Assert.Equal(parts[2], await TextAsync(page, "document.querySelector('input.lab-lr').value"));
        if (!await BoolAsync(page, "document.querySelector('input.lab-momentum').disabled"))
            Assert.Equal(parts[3], await TextAsync(page, "document.querySelector('input.lab-momentum').value"));
        Assert.Contains("selected", await TextAsync(page, $"document.querySelector('.lab-cell[data-run=\"{cellRun}\"]').className"), StringComparison.Ordinal);

        // Another optimizer from the menu.
        string otherOptimizer = await TextAsync(page, """
            (() => {
              const select = document.querySelector('select.lab-optimizer');
              const other = Array.from(select.options).find(o => o.value !== select.value).value;
              select.value = other;
              select.dispatchEvent(new Event('change', { bubbles: true }));
              return other;
            })()
            """);
        Focus afterSelect = await FocusAsync(page);
        Assert.Equal(otherOptimizer, afterSelect.Run.Split('/')[1]);
        Assert.NotEqual(afterCell.Image, afterSelect.Image);

        // Another landscape tab (decoded when first shown).
        int tabs = await IntAsync(page, "document.querySelectorAll('button.lab-tab[data-landscape]').length");
        if (tabs >= 2)
        {
            string landscape = await TextAsync(page, """
                (() => {
                  const current = document.querySelector('canvas.lab-focus').dataset.run.split('/')[0];
                  const tab = Array.from(document.querySelectorAll('button.lab-tab')).find(t => t.dataset.landscape !== current);
                  tab.click();
                  return tab.dataset.landscape;
                })()
                """);
            await page.WaitForFunctionAsync(
                $"() => document.querySelector('canvas.lab-focus').dataset.run.startsWith('{landscape}/')", new WaitForFunctionOptions { Timeout = 10_000 });
            Focus afterTab = await FocusAsync(page);
            Assert.NotEqual(afterSelect.Image, afterTab.Image);
            int multiples = await IntAsync(page, "document.querySelectorAll('.lab-multiples canvas[data-optimizer]').length");
            Assert.Equal(await IntAsync(page, "document.querySelectorAll('select.lab-optimizer option').length"), multiples);
        }

        // Overlay: the picks redraw it.
        string overlay = await TextAsync(page, "document.querySelector('canvas.lab-overlay').toDataURL()");
        await page.EvaluateExpressionAsync("(() => { const b = document.querySelector('input.lab-overlay-pick'); b.click(); })()");
        Assert.NotEqual(overlay, await TextAsync(page, "document.querySelector('canvas.lab-overlay').toDataURL()"));
    }

    /// <summary>The theory widget's sliders redraw its path and change its gap text (skipped when the page has no theory).</summary>
    public static async Task CheckTheoryAsync(IPage page)
    {
        if (!await BoolAsync(page, "!!document.querySelector('#theory canvas.lab-theory-path')"))
            return;
        foreach (string slider in new[] { "input.lab-theory-lr", "input.lab-theory-momentum" })
        {
            string picture = await TextAsync(page, "document.querySelector('canvas.lab-theory-path').toDataURL()");
            string gap = await TextAsync(page, "document.querySelector('.lab-theory-gap').textContent");
            Assert.Contains("closed form", gap, StringComparison.Ordinal);
            int value = await IntAsync(page, $"+document.querySelector('{slider}').value");
            Assert.True(await IntAsync(page, $"+document.querySelector('{slider}').max") >= 1, $"{slider} has a single value");
            await SetRangeAsync(page, slider, value == 0 ? 1 : value - 1);
            Assert.NotEqual(picture, await TextAsync(page, "document.querySelector('canvas.lab-theory-path').toDataURL()"));
            Assert.NotEqual(gap, await TextAsync(page, "document.querySelector('.lab-theory-gap').textContent"));
        }
    }

    private sealed record Focus(string Run, string Point, string Image);

    private static async Task<Focus> FocusAsync(IPage page)
    {
        string[] f = await page.EvaluateExpressionAsync<string[]>(
            "(() => { const c = document.querySelector('canvas.lab-focus'); return [c.dataset.run, c.dataset.point, c.toDataURL()]; })()");
        Assert.Matches("^[^/]+/[^/]+/[0-9]+/[0-9]+$", f[0]);
        Assert.Matches("^[-+0-9.e]+,[-+0-9.e]+$", f[1]);
        return new Focus(f[0], f[1], f[2]);
    }

    /// <summary>Selects the first optimizer with two or more learning rates (and momentum values when asked).</summary>
    private static async Task SelectOptimizerWithAsync(IPage page, string _, bool needsMomentum)
    {
        bool found = await BoolAsync(page, $$"""
            (() => {
              const select = document.querySelector('select.lab-optimizer');
              for (const option of Array.from(select.options)) {
                select.value = option.value;
                select.dispatchEvent(new Event('change', { bubbles: true }));
                const lr = document.querySelector('input.lab-lr'), m = document.querySelector('input.lab-momentum');
                if (+lr.max >= 1 && (!{{(needsMomentum ? "true" : "false")}} || (!m.disabled && +m.max >= 1))) return true;
              }
              return false;
            })()
            """);
        Assert.True(found, needsMomentum ? "no optimizer has two learning rates and two momentum values" : "no optimizer has two learning rates");
    }

    private static Task SetRangeAsync(IPage page, string selector, int value) => page.EvaluateExpressionAsync(
        $"(() => {{ const i = document.querySelector('{selector}'); i.value = '{value}'; i.dispatchEvent(new Event('input', {{ bubbles: true }})); }})()");

    private static Task<int> IntAsync(IPage page, string expression) => page.EvaluateExpressionAsync<int>(expression);

    private static Task<string> TextAsync(IPage page, string expression) => page.EvaluateExpressionAsync<string>(expression);

    private static Task<bool> BoolAsync(IPage page, string expression) => page.EvaluateExpressionAsync<bool>(expression);
}
