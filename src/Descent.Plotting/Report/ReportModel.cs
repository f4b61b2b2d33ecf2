namespace Descent.Plotting;

/// <summary>
/// A report: a title, an optional introduction, and sections in reading order. All text is plain text; the writer
/// escapes it, so names like "a &lt; b" are safe to pass as they are.
/// </summary>
/// <param name="Title">The page title and top heading.</param>
/// <param name="Sections">The sections, in order; each gets an entry in the table of contents.</param>
public sealed record Report(string Title, IReadOnlyList<ReportSection> Sections)
{
    /// <summary>Paragraph shown under the title, or <see langword="null"/>.</summary>
    public string? Introduction { get; init; }

    /// <summary>Small print at the bottom (e.g. how the report was made), or <see langword="null"/>.</summary>
    public string? Footer { get; init; }

    /// <summary>Data for the page's widgets, written as non-executed script elements at the end of the body (empty by default).</summary>
    public IReadOnlyList<ReportData> Data { get; init; } = [];
}

/// <summary>
/// A piece of JSON carried inside the page for its script (never fetched): a
/// <c>&lt;script type="application/json"&gt;</c> element, or, when <paramref name="Compressed"/>, a
/// <c>&lt;script type="application/octet-stream" data-encoding="gzip+base64"&gt;</c> holding base64(gzip(UTF-8 JSON)).
/// </summary>
/// <param name="Id">The element's id, unique in the page.</param>
/// <param name="Json">Valid JSON text (checked when written).</param>
/// <param name="Compressed">Gzip and base64 the JSON (large data), or write it as it is.</param>
public sealed record ReportData(string Id, string Json, bool Compressed);

/// <summary>A section: a heading, its blocks in order, then its subsections (drawn one heading level lower).</summary>
/// <param name="Heading">The heading text.</param>
/// <param name="Blocks">Paragraphs, images, tables, lists and code, in order.</param>
public sealed record ReportSection(string Heading, IReadOnlyList<ReportBlock> Blocks)
{
    /// <summary>Nested sections (at most two levels below a top section are drawn as headings h3, h4).</summary>
    public IReadOnlyList<ReportSection> Subsections { get; init; } = [];
}

/// <summary>One block of a section: <see cref="ReportParagraph"/>, <see cref="ReportImage"/>,
/// <see cref="ReportImageRow"/>, <see cref="ReportTable"/>, <see cref="ReportList"/>, <see cref="ReportCode"/>,
/// <see cref="ReportSideBySide"/> or <see cref="ReportWidget"/>.</summary>
public abstract record ReportBlock;

/// <summary>
/// An empty container that the page's interactive script (the lab viewer, <c>lab.js</c>) fills:
/// <c>&lt;div class="lab-widget" id="Id" data-kind="Kind"&gt;&lt;/div&gt;</c>. A report with a widget carries the
/// script and its style sheet inline.
/// </summary>
/// <param name="Id">The element's id, unique in the page (e.g. "explorer").</param>
/// <param name="Kind">What the script draws in it (e.g. "explorer", "theory").</param>
public sealed record ReportWidget(string Id, string Kind) : ReportBlock;

/// <summary>Blocks next to each other (they wrap below one another on a narrow screen), e.g. a table beside its chart.</summary>
/// <param name="Blocks">The blocks, left to right.</param>
public sealed record ReportSideBySide(IReadOnlyList<ReportBlock> Blocks) : ReportBlock;

/// <summary>A paragraph of plain text.</summary>
/// <param name="Text">The text (escaped when written).</param>
public sealed record ReportParagraph(string Text) : ReportBlock;

/// <summary>
/// An image with its alt text and an optional caption. When a file of the same name with the extension .svg sits
/// beside a linked image, the caption links to it.
/// </summary>
/// <param name="Path">The image file: absolute, or relative to the report's folder. It must exist when the report is written.</param>
/// <param name="AltText">What the image shows, for readers who cannot see it (required).</param>
/// <param name="Caption">Text under the image, or <see langword="null"/>.</param>
public sealed record ReportImage(string Path, string AltText, string? Caption = null) : ReportBlock;

/// <summary>Images side by side (they wrap to the next line on a narrow screen).</summary>
/// <param name="Images">The images, left to right.</param>
public sealed record ReportImageRow(IReadOnlyList<ReportImage> Images) : ReportBlock;

/// <summary>
/// A table. Cells that read as numbers are right-aligned; a first-column cell naming an optimizer gets its palette
/// colour as a swatch, so the table matches the charts.
/// </summary>
/// <param name="Header">Column headings.</param>
/// <param name="Rows">Rows, each with as many cells as <paramref name="Header"/>.</param>
/// <param name="Caption">Text above the table, or <see langword="null"/>.</param>
public sealed record ReportTable(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows, string? Caption = null)
    : ReportBlock;

/// <summary>A bulleted list of plain-text items.</summary>
/// <param name="Items">The items.</param>
public sealed record ReportList(IReadOnlyList<string> Items) : ReportBlock;

/// <summary>Preformatted text in a monospaced font, e.g. an update rule.</summary>
/// <param name="Text">The text, line breaks kept.</param>
public sealed record ReportCode(string Text) : ReportBlock;

/// <summary>How the report refers to its images.</summary>
public enum ReportImages
{
    /// <summary>Relative links to files inside the report's folder (smaller page; the folder is the report).</summary>
    Linked,

    /// <summary>Each image inlined as a <c>data:</c> URI (one file is the whole report).</summary>
    Embedded,
}
