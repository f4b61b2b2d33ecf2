using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;

namespace Descent.Plotting.Tests;

/// <summary>Widgets, data elements and side-by-side blocks: the page parts of the interactive lab.</summary>
public class ReportWidgetTests
{
    private static readonly string Folder = Gallery.Folder(Path.Combine("report", "widgets"));

    // Strings that would end a script element, a CDATA section or an HTML comment if written as they are.
    private const string HostileJson = """{"title":"</script><script>alert(1)</script>","cdata":"]]>","comment":"<!-- & -->","nested":{"a":[1,2.5e-3,null,true]}}""";

    private static XDocument Parse(string html)
    {
        using var reader = XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        return XDocument.Load(reader);
    }

    private static IEnumerable<XElement> All(XDocument doc, string name) => doc.Descendants().Where(e => e.Name.LocalName == name);

    private static Report Interactive(params ReportData[] data) => new(
        "Lab",
        [
            new ReportSection("Explorer", [new ReportParagraph("Pick a landscape."), new ReportWidget("explorer", "explorer")]),
            new ReportSection("Theory", [new ReportSideBySide([new ReportTable(["t", "x"], [["0", "1"]]), new ReportWidget("theory", "theory")])]),
        ])
    { Data = data };

    [Fact]
    public void Widgets_are_empty_containers_and_bring_the_viewer_inline()
    {
        string html = ReportWriter.Render(Interactive(), Folder);
        XDocument doc = Parse(html);

        XElement[] widgets = All(doc, "div").Where(d => (string?)d.Attribute("class") == "lab-widget").ToArray();
        Assert.Equal(["explorer", "theory"], widgets.Select(w => (string)w.Attribute("id")!));
        Assert.Equal(["explorer", "theory"], widgets.Select(w => (string)w.Attribute("data-kind")!));
        Assert.All(widgets, w => Assert.True(w.IsEmpty || w.Value.Length == 0));
        Assert.Contains("<div class=\"lab-widget\" id=\"explorer\" data-kind=\"explorer\"></div>", html, StringComparison.Ordinal);

        // The section "Explorer" does not take the widget's id.
        Assert.Single(doc.Descendants(), e => (string?)e.Attribute("id") == "explorer");
        Assert.Contains(All(doc, "section"), s => (string?)s.Attribute("id") == "explorer-2");

        XElement script = All(doc, "script").Single();
        Assert.Null(script.Attribute("src"));
        Assert.Contains("labReady", script.Value, StringComparison.Ordinal);
        Assert.Contains(".lab-stability", All(doc, "style").Single().Value, StringComparison.Ordinal);
        Assert.DoesNotContain("http", script.Value, StringComparison.OrdinalIgnoreCase);

        XElement side = All(doc, "div").Single(d => (string?)d.Attribute("class") == "side");
        Assert.Equal(2, side.Elements().Count());
        Assert.Single(side.Descendants(), e => e.Name.LocalName == "table");
    }

    [Fact]
    public void Widget_ids_and_kinds_are_escaped_and_duplicates_rejected()
    {
        string html = ReportWriter.Render(new Report("t", [new ReportSection("s", [new ReportWidget("a\"b", "<x>")])]), Folder);
        Assert.Contains("id=\"a&quot;b\" data-kind=\"&lt;x&gt;\"", html, StringComparison.Ordinal);

        var twice = Assert.Throws<ArgumentException>(() => ReportWriter.Render(
            new Report("t", [new ReportSection("s", [new ReportWidget("w", "k")])]) { Data = [new ReportData("w", "{}", false)] }, Folder));
        Assert.Contains("'w' is used twice", twice.Message, StringComparison.Ordinal);
        var invalid = Assert.Throws<ArgumentException>(() => ReportWriter.Render(Interactive(new ReportData("d", "{oops", false)), Folder));
        Assert.Contains("data 'd' is not valid JSON", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_data_keeps_the_page_well_formed_and_parses_back_to_the_same_json()
    {
        string html = ReportWriter.Render(Interactive(new ReportData("lab-index", HostileJson, Compressed: false)), Folder);

        Assert.DoesNotContain("</script><script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("]]>\"", html, StringComparison.Ordinal);
        XDocument doc = Parse(html);
        XElement data = All(doc, "script").Single(s => (string?)s.Attribute("id") == "lab-index");
        Assert.Equal("application/json", (string?)data.Attribute("type"));
        Assert.DoesNotContain('<', data.Value);
        Assert.DoesNotContain('&', data.Value);
        AssertSameJson(HostileJson, data.Value);
    }

    [Fact]
    public void Compressed_data_is_base64_of_gzip_of_the_json()
    {
        string big = "{\"z\":[" + string.Join(',', Enumerable.Range(0, 5000).Select(i => i % 256)) + "],\"s\":" + HostileJson + "}";
        string html = ReportWriter.Render(Interactive(new ReportData("lab-data-bowl", big, Compressed: true)), Folder);

        XElement data = All(Parse(html), "script").Single(s => (string?)s.Attribute("id") == "lab-data-bowl");
        Assert.Equal("application/octet-stream", (string?)data.Attribute("type"));
        Assert.Equal("gzip+base64", (string?)data.Attribute("data-encoding"));
        byte[] gzip = Convert.FromBase64String(data.Value);
        Assert.True(gzip.Length < big.Length / 2, $"{gzip.Length} bytes of gzip for {big.Length} of JSON");
        using var unzip = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var text = new StreamReader(unzip, Encoding.UTF8);
        Assert.Equal(big, text.ReadToEnd());
    }

    [Fact]
    public void A_report_without_widgets_has_no_script_and_no_viewer_style()
    {
        string html = ReportWriter.Render(new Report("t", [new ReportSection("s", [new ReportParagraph("p")])]), Folder);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("lab-", html, StringComparison.Ordinal);
        Parse(html);
    }

    private static void AssertSameJson(string expected, string actual)
    {
        using var a = JsonDocument.Parse(expected);
        using var b = JsonDocument.Parse(actual);
        Assert.True(JsonElement.DeepEquals(a.RootElement, b.RootElement), actual);
    }
}
