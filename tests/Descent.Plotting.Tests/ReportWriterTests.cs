using System.Xml;
using System.Xml.Linq;

namespace Descent.Plotting.Tests;

public class ReportWriterTests
{
    private static string NewFolder(string name)
    {
        string folder = Gallery.Folder(Path.Combine("report", name));
        foreach (string file in Directory.GetFiles(folder))
        {
            File.Delete(file);
        }

        return folder;
    }

    private static XDocument ParseXhtml(string path)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore };
        using var reader = XmlReader.Create(path, settings);
        return XDocument.Load(reader);
    }

    private static IEnumerable<XElement> All(XDocument doc, string name) =>
        doc.Descendants().Where(e => e.Name.LocalName == name);

    private static Report SampleReport(string folder)
    {
        ChartFiles loss = Charts.Lines(
            Path.Combine(folder, "charts", "loss"), "Loss", [new Series("GD", [4, 2, 1, 0.5]), new Series("Adam", [4, 1, 0.3, 0.1])],
            yLabel: "loss", logY: true);
        ChartFiles paths = Charts.Contour(
            Path.Combine(folder, "charts", "bowl paths"), "Paths on the bowl", Landscapes.Bowl, new PlotBox(-3, 3, -1, 3),
            [Landscapes.Descend("GD", 0.05, 40), Landscapes.Descend("Adam", 0.1, 30, 2.5, 0)], [new Point2(1, 2)]);
        return new Report(
            "Descent lab <test> & report",
            [
                new ReportSection("What a gradient is", [
                    new ReportParagraph("The gradient points uphill; we step the other way: θ ← θ − α∇J(θ) when a < b & c > d."),
                    new ReportImage(paths.PngPath, "Trajectories of GD and Adam over the bowl's contour lines", "Paths, start ○, end ●"),
                ])
                {
                    Subsections = [new ReportSection("Update rule", [new ReportCode("m = beta1*m + (1-beta1)*g\n<b>not bold</b>")])],
                },
                new ReportSection("Results", [
                    new ReportTable(
                        ["optimizer", "final loss", "steps"],
                        [["GD", "0.5", "40"], ["Adam", "1.0e-01", "30"], ["<i>x</i>", "n/a", "−3"]],
                        "Final loss per optimizer"),
                    new ReportImageRow([new ReportImage(Path.GetRelativePath(folder, loss.PngPath), "Loss curves on a log scale")]),
                    new ReportList(["Adam: fast", "GD: steady & slow"]),
                ]),
            ])
        {
            Introduction = "How each optimizer moves <quickly>.",
            Footer = "Made by the tests.",
        };
    }

    [Fact]
    public void Linked_report_is_well_formed_escaped_and_links_existing_images()
    {
        string folder = NewFolder("linked");
        string index = ReportWriter.Write(SampleReport(folder), folder);

        Assert.Equal(Path.Combine(folder, "index.html"), index);
        string html = File.ReadAllText(index);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<test>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<i>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Descent lab &lt;test&gt; &amp; report", html, StringComparison.Ordinal);

        XDocument doc = ParseXhtml(index);
        Assert.Equal("html", doc.Root!.Name.LocalName);
        Assert.Equal("Descent lab <test> & report", All(doc, "title").Single().Value);
        Assert.Single(All(doc, "h1"));
        Assert.Equal(["What a gradient is", "Results"], All(doc, "h2").Where(h => h.Parent!.Name.LocalName == "section").Select(h => h.Value));
        Assert.Equal("Update rule", All(doc, "h3").Single().Value);
        Assert.Equal(2, All(doc, "nav").Single().Descendants().Count(e => e.Name.LocalName == "a"));

        XElement[] imgs = All(doc, "img").ToArray();
        Assert.Equal(2, imgs.Length);
        foreach (XElement img in imgs)
        {
            string src = (string)img.Attribute("src")!;
            Assert.False(Path.IsPathRooted(src), src);
            Assert.True(File.Exists(Path.Combine(folder, Uri.UnescapeDataString(src))), $"{src} does not exist beside the report");
            Assert.False(string.IsNullOrWhiteSpace((string?)img.Attribute("alt")));
            Assert.Matches("^[0-9]+$", (string?)img.Attribute("width") ?? "");
        }

        Assert.Contains(imgs, i => ((string)i.Attribute("src")!).Contains("bowl%20paths.png", StringComparison.Ordinal));
        XElement table = All(doc, "table").Single();
        Assert.Equal(["optimizer", "final loss", "steps"], table.Descendants().Where(e => e.Name.LocalName == "th").Select(e => e.Value));
        XElement[] rows = table.Descendants().Where(e => e.Name.LocalName == "tr").Skip(1).ToArray();
        Assert.Equal(3, rows.Length);
        Assert.Equal("<i>x</i>", rows[2].Elements().First().Value);
        Assert.Contains(rows[0].Descendants(), e => (string?)e.Attribute("class") == "swatch" && ((string)e.Attribute("style")!).Contains(OptimizerPalette.TryGetHex("GD")!, StringComparison.Ordinal));
        Assert.Equal("num", (string?)rows[1].Elements().ElementAt(1).Attribute("class"));
        Assert.Null(rows[2].Elements().ElementAt(1).Attribute("class"));
        Assert.Contains(All(doc, "a"), a => ((string)a.Attribute("href")!).EndsWith(".svg", StringComparison.Ordinal));
        Assert.Equal(2, All(doc, "li").Count(li => li.Parent!.Name.LocalName == "ul"));
    }

    [Fact]
    public void Embedded_report_inlines_images_as_data_uris()
    {
        string folder = NewFolder("embedded");
        string index = ReportWriter.Write(SampleReport(folder), folder, ReportImages.Embedded);

        XDocument doc = ParseXhtml(index);
        foreach (XElement img in All(doc, "img"))
        {
            string src = (string)img.Attribute("src")!;
            Assert.StartsWith("data:image/png;base64,", src, StringComparison.Ordinal);
            byte[] png = Convert.FromBase64String(src["data:image/png;base64,".Length..]);
            Assert.Equal(0x89, png[0]);
            Assert.True(png.Length > 1000);
        }
    }

    [Fact]
    public void Missing_or_misplaced_images_and_ragged_tables_are_rejected()
    {
        string folder = NewFolder("errors");
        Report Of(ReportBlock block) => new("t", [new ReportSection("s", [block])]);

        var missing = Assert.Throws<FileNotFoundException>(() =>
            ReportWriter.Render(Of(new ReportImage("nope.png", "alt")), folder));
        Assert.Contains("nope.png", missing.Message, StringComparison.Ordinal);

        string outside = Path.Combine(Path.GetTempPath(), $"descent-outside-{Guid.NewGuid():N}.png");
        File.Copy(Charts.Lines(Path.Combine(folder, "l"), "t", [new Series("GD", [1, 2])]).PngPath, outside);
        try
        {
            var ex = Assert.Throws<ArgumentException>(() => ReportWriter.Render(Of(new ReportImage(outside, "alt")), folder));
            Assert.Contains("outside the report folder", ex.Message, StringComparison.Ordinal);
            Assert.Contains("data:image/png", ReportWriter.Render(Of(new ReportImage(outside, "alt")), folder, ReportImages.Embedded), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(outside);
        }

        Assert.Throws<ArgumentException>(() => ReportWriter.Render(Of(new ReportImage("l.png", " ")), folder));
        var ragged = Assert.Throws<ArgumentException>(() =>
            ReportWriter.Render(Of(new ReportTable(["a", "b"], [["1", "2"], ["3"]])), folder));
        Assert.Contains("row 1 has 1 cells but the header has 2", ragged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Escape_replaces_the_five_special_characters()
    {
        Assert.Equal("&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;", ReportWriter.Escape("<a href=\"x\">Tom & Jerry's</a>"));
        Assert.Equal("θ ← θ − α∇J(θ)", ReportWriter.Escape("θ ← θ − α∇J(θ)"));
    }

    [Fact]
    public void Duplicate_headings_get_distinct_anchors()
    {
        string folder = NewFolder("anchors");
        var report = new Report("t", [new ReportSection("Adam", []), new ReportSection("Adam", []), new ReportSection("!!!", [])]);
        string html = ReportWriter.Render(report, folder);
        Assert.Contains("id=\"adam\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"adam-2\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"section\"", html, StringComparison.Ordinal);
    }
}
