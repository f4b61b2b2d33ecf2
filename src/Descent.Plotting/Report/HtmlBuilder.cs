using System.Globalization;
using System.Text;

namespace Descent.Plotting;

/// <summary>Builds the page of <see cref="ReportWriter"/> block by block.</summary>
internal sealed class HtmlBuilder(string folder, ReportImages images)
{
    private readonly StringBuilder sb = new();
    private readonly HashSet<string> ids = new(StringComparer.Ordinal);

    public override string ToString() => sb.ToString();

    public void Page(Report report)
    {
        ArgumentNullException.ThrowIfNull(report.Title, nameof(report));
        string title = ReportWriter.Escape(report.Title);
        bool interactive = ReserveWidgetAndDataIds(report);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n")
          .Append("<title>").Append(title).Append("</title>\n<style>\n").Append(ReportStyle.Css);
        if (interactive)
        {
            sb.Append('\n').Append(LabAssets.Css);
        }

        sb.Append("</style>\n</head>\n<body>\n")
          .Append("<header>\n<h1>").Append(title).Append("</h1>\n");
        if (report.Introduction is not null)
        {
            sb.Append("<p class=\"intro\">").Append(ReportWriter.Escape(report.Introduction)).Append("</p>\n");
        }

        sb.Append("</header>\n");
        string[] sectionIds = report.Sections.Select((s, i) => UniqueId(s?.Heading ?? $"section-{i}")).ToArray();
        if (report.Sections.Count > 1)
        {
            sb.Append("<nav>\n<h2>Contents</h2>\n<ol>\n");
            for (int i = 0; i < report.Sections.Count; i++)
            {
                sb.Append("<li><a href=\"#").Append(sectionIds[i]).Append("\">")
                  .Append(ReportWriter.Escape(report.Sections[i]?.Heading ?? "")).Append("</a></li>\n");
            }

            sb.Append("</ol>\n</nav>\n");
        }

        sb.Append("<main>\n");
        for (int i = 0; i < report.Sections.Count; i++)
        {
            Section(report.Sections[i] ?? throw new ArgumentException($"section {i} is null", nameof(report)), sectionIds[i], 2);
        }

        sb.Append("</main>\n");
        if (report.Footer is not null)
        {
            sb.Append("<footer>").Append(ReportWriter.Escape(report.Footer)).Append("</footer>\n");
        }

        foreach (ReportData data in report.Data)
        {
            Data(data);
        }

        if (interactive)
        {
            // CDATA keeps the page well-formed XML; the "//" hides the markers from the JavaScript parser.
            sb.Append("<script>//<![CDATA[\n").Append(LabAssets.Script).Append("\n//]]></script>\n");
        }

        sb.Append("</body>\n</html>\n");
    }

    /// <summary>
    /// Claims the ids of widgets and data elements before any section anchor is made (a section "Explorer" then
    /// gets "explorer-2"), rejects duplicates, and tells whether the page has a widget.
    /// </summary>
    private bool ReserveWidgetAndDataIds(Report report)
    {
        ArgumentNullException.ThrowIfNull(report.Data, nameof(report));
        bool anyWidget = false;
        foreach (ReportWidget widget in Widgets(report.Sections))
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(widget.Id, nameof(report));
            ArgumentNullException.ThrowIfNull(widget.Kind, nameof(report));
            Reserve(widget.Id, "widget");
            anyWidget = true;
        }

        for (int i = 0; i < report.Data.Count; i++)
        {
            ReportData data = report.Data[i] ?? throw new ArgumentException($"data {i} is null", nameof(report));
            ArgumentException.ThrowIfNullOrWhiteSpace(data.Id, nameof(report));
            Reserve(data.Id, $"data {i}");
        }

        return anyWidget;
    }

    private void Reserve(string id, string what)
    {
        if (!ids.Add(id))
        {
            throw new ArgumentException($"{what} id '{id}' is used twice in the report", "report");
        }
    }

    private static IEnumerable<ReportWidget> Widgets(IEnumerable<ReportSection?> sections)
    {
        foreach (ReportSection? section in sections)
        {
            foreach (ReportWidget widget in Widgets(section?.Blocks ?? []).Concat(Widgets(section?.Subsections ?? [])))
            {
                yield return widget;
            }
        }
    }

    private static IEnumerable<ReportWidget> Widgets(IEnumerable<ReportBlock?> blocks)
    {
        foreach (ReportBlock? block in blocks)
        {
            if (block is ReportWidget widget)
            {
                yield return widget;
            }
            else if (block is ReportSideBySide side)
            {
                foreach (ReportWidget inner in Widgets(side.Blocks ?? []))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>A data element; its text never holds '&lt;', '&gt;' or '&amp;', so it can close neither the script
    /// nor break the XML.</summary>
    private void Data(ReportData data)
    {
        string id = ReportWriter.Escape(data.Id);
        string json = ReportDataEncoding.Check(data);
        if (data.Compressed)
        {
            sb.Append("<script type=\"application/octet-stream\" id=\"").Append(id).Append("\" data-encoding=\"gzip+base64\">")
              .Append(ReportDataEncoding.GzipBase64(json)).Append("</script>\n");
        }
        else
        {
            sb.Append("<script type=\"application/json\" id=\"").Append(id).Append("\">")
              .Append(ReportDataEncoding.EscapeForScript(json)).Append("</script>\n");
        }
    }

    private void Section(ReportSection section, string id, int level)
    {
        ArgumentNullException.ThrowIfNull(section.Heading, nameof(section));
        ArgumentNullException.ThrowIfNull(section.Blocks, nameof(section));
        int h = Math.Min(level, 4);
        sb.Append("<section id=\"").Append(id).Append("\">\n<h").Append(h).Append('>')
          .Append(ReportWriter.Escape(section.Heading)).Append("</h").Append(h).Append(">\n");
        foreach (ReportBlock block in section.Blocks)
        {
            Block(block);
        }

        foreach (ReportSection sub in section.Subsections ?? [])
        {
            Section(sub, UniqueId(sub.Heading ?? "section"), level + 1);
        }

        sb.Append("</section>\n");
    }

    private void Block(ReportBlock block)
    {
        switch (block)
        {
            case ReportParagraph p:
                sb.Append("<p>").Append(ReportWriter.Escape(p.Text ?? "")).Append("</p>\n");
                break;
            case ReportImage image:
                Figure(image);
                break;
            case ReportImageRow row:
                sb.Append("<div class=\"row\">\n");
                foreach (ReportImage image in row.Images ?? [])
                {
                    Figure(image);
                }

                sb.Append("</div>\n");
                break;
            case ReportTable table:
                Table(table);
                break;
            case ReportList list:
                sb.Append("<ul>\n");
                foreach (string item in list.Items ?? [])
                {
                    sb.Append("<li>").Append(ReportWriter.Escape(item ?? "")).Append("</li>\n");
                }

                sb.Append("</ul>\n");
                break;
            case ReportCode code:
                sb.Append("<pre><code>").Append(ReportWriter.Escape(code.Text ?? "")).Append("</code></pre>\n");
                break;
            case ReportWidget widget:
                sb.Append("<div class=\"lab-widget\" id=\"").Append(ReportWriter.Escape(widget.Id))
                  .Append("\" data-kind=\"").Append(ReportWriter.Escape(widget.Kind)).Append("\"></div>\n");
                break;
            case ReportSideBySide side:
                ArgumentNullException.ThrowIfNull(side.Blocks, nameof(block));
                sb.Append("<div class=\"side\">\n");
                foreach (ReportBlock inner in side.Blocks)
                {
                    sb.Append("<div>\n");
                    Block(inner);
                    sb.Append("</div>\n");
                }

                sb.Append("</div>\n");
                break;
            case null:
                throw new ArgumentException("a section holds a null block", nameof(block));
            default:
                throw new ArgumentException($"unknown block type {block.GetType().Name}", nameof(block));
        }
    }

    private void Figure(ReportImage image)
    {
        ArgumentNullException.ThrowIfNull(image, nameof(image));
        if (string.IsNullOrWhiteSpace(image.AltText))
        {
            throw new ArgumentException($"image '{image.Path}' needs alt text", nameof(image));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(image.Path, nameof(image));
        string file = Path.GetFullPath(image.Path, folder);
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"image '{image.Path}' of the report does not exist (looked for {file})", file);
        }

        string mime = ReportWriter.MimeType(file);
        string? svgLink = null;
        string src;
        if (images == ReportImages.Embedded)
        {
            src = "data:" + mime + ";base64," + Convert.ToBase64String(File.ReadAllBytes(file));
        }
        else
        {
            src = RelativeUrl(file);
            string svg = Path.ChangeExtension(file, ".svg");
            if (mime != "image/svg+xml" && File.Exists(svg))
            {
                svgLink = RelativeUrl(svg);
            }
        }

        sb.Append("<figure>\n<img src=\"").Append(src).Append("\" alt=\"").Append(ReportWriter.Escape(image.AltText)).Append('"');
        if (mime == "image/png" && ReportWriter.PngSize(file) is (int w, int h))
        {
            sb.Append(CultureInfo.InvariantCulture, $" width=\"{w}\" height=\"{h}\"");
        }

        sb.Append(" />\n");
        if (image.Caption is not null || svgLink is not null)
        {
            sb.Append("<figcaption>").Append(ReportWriter.Escape(image.Caption ?? ""));
            if (svgLink is not null)
            {
                sb.Append(" <a class=\"svg\" href=\"").Append(svgLink).Append("\">SVG</a>");
            }

            sb.Append("</figcaption>\n");
        }

        sb.Append("</figure>\n");
    }

    private void Table(ReportTable table)
    {
        ArgumentNullException.ThrowIfNull(table.Header, nameof(table));
        ArgumentNullException.ThrowIfNull(table.Rows, nameof(table));
        sb.Append("<div class=\"table\">\n<table>\n");
        if (table.Caption is not null)
        {
            sb.Append("<caption>").Append(ReportWriter.Escape(table.Caption)).Append("</caption>\n");
        }

        sb.Append("<thead>\n<tr>");
        for (int c = 0; c < table.Header.Count; c++)
        {
            // A column of numbers gets a right-aligned heading, like its cells.
            int column = c;
            bool numeric = table.Rows.Count > 0
                && table.Rows.All(row => row is null || column >= row.Count || ReportWriter.LooksNumeric(row[column] ?? ""));
            sb.Append(numeric ? "<th class=\"num\">" : "<th>").Append(ReportWriter.Escape(table.Header[c] ?? "")).Append("</th>");
        }

        sb.Append("</tr>\n</thead>\n<tbody>\n");
        for (int r = 0; r < table.Rows.Count; r++)
        {
            IReadOnlyList<string> row = table.Rows[r] ?? throw new ArgumentException($"table row {r} is null", nameof(table));
            if (row.Count != table.Header.Count)
            {
                throw new ArgumentException(
                    $"table row {r} has {row.Count} cells but the header has {table.Header.Count}", nameof(table));
            }

            sb.Append("<tr>");
            for (int c = 0; c < row.Count; c++)
            {
                Cell(row[c] ?? "", firstColumn: c == 0);
            }

            sb.Append("</tr>\n");
        }

        sb.Append("</tbody>\n</table>\n</div>\n");
    }

    private void Cell(string text, bool firstColumn)
    {
        sb.Append(ReportWriter.LooksNumeric(text) ? "<td class=\"num\">" : "<td>");
        if (firstColumn && OptimizerPalette.TryGetHex(text) is string hex)
        {
            sb.Append("<span class=\"swatch\" style=\"background:").Append(hex).Append("\"></span>");
        }

        sb.Append(ReportWriter.Escape(text)).Append("</td>");
    }

    /// <summary>A path relative to the report folder, with '/' separators and each segment URL-escaped.</summary>
    private string RelativeUrl(string file)
    {
        string relative = Path.GetRelativePath(folder, file);
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            throw new ArgumentException(
                $"image '{file}' lies outside the report folder '{folder}'; write charts into the folder or embed them",
                nameof(file));
        }

        return string.Join('/', relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Select(Uri.EscapeDataString));
    }

    /// <summary>A readable, unique anchor: "Learning rate (α)" → "learning-rate", then "learning-rate-2", …</summary>
    private string UniqueId(string heading)
    {
        var slug = new StringBuilder();
        foreach (char c in heading.ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9')
            {
                slug.Append(c);
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }
        }

        string baseId = slug.ToString().Trim('-');
        baseId = baseId.Length == 0 ? "section" : baseId;
        string id = baseId;
        for (int n = 2; !ids.Add(id); n++)
        {
            id = baseId + "-" + n.ToString(CultureInfo.InvariantCulture);
        }

        return id;
    }
}
