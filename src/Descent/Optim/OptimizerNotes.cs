using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Descent.Optim;

/// <summary>
/// What an optimizer's class documentation says of it, in parts a report can lay out: the summary, the update rule (its
/// <c>&lt;code&gt;</c> block), and the paragraphs marked Principle, Strengths, Weaknesses and Suits. Read from the XML
/// documentation file that ships beside Descent.dll, so that the teaching notes have one source, the class's doc.
/// </summary>
/// <param name="Summary">The class's one-line summary.</param>
/// <param name="Rule">The update rule, one step per line.</param>
/// <param name="Principle">The idea behind it.</param>
/// <param name="Strengths">What it does well.</param>
/// <param name="Weaknesses">What it does badly.</param>
/// <param name="Suits">The problems it suits.</param>
public sealed partial record OptimizerNotes(string Summary, string Rule, string Principle, string Strengths, string Weaknesses, string Suits)
{
    /// <summary>The documentation file's members by id (<c>T:Descent.Optim.Adam</c>), read once; empty when it is not there.</summary>
    private static readonly Lazy<Dictionary<string, XElement>> Members = new(Load);

    /// <summary>False when the documentation file was not found beside the assembly (every part is then empty).</summary>
    public bool IsAvailable => Summary.Length > 0;

    /// <summary>The notes of <paramref name="type"/>, from its <c>T:</c> member in the documentation file.</summary>
    public static OptimizerNotes Of(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (!Members.Value.TryGetValue("T:" + type.FullName, out var member)) return new("", "", "", "", "", "");
        string summary = Text(member.Element("summary"));
        var remarks = member.Element("remarks");
        string rule = remarks?.Descendants("code").FirstOrDefault() is { } code ? Dedent(code.Value) : "";
        var labelled = Labelled(remarks);
        return new(summary, rule, labelled.GetValueOrDefault("Principle", ""), labelled.GetValueOrDefault("Strengths", ""),
            labelled.GetValueOrDefault("Weaknesses", ""), labelled.GetValueOrDefault("Suits", ""));
    }

    /// <summary>The summary of a documented member (<c>P:Descent.Optim.AdamOptions.Eps</c>), or "" when not found.</summary>
    internal static string SummaryOf(string memberId) => Text(Members.Value.GetValueOrDefault(memberId)?.Element("summary"));

    private static Dictionary<string, XElement> Load()
    {
        string path = DocumentationPath();
        if (!File.Exists(path)) return new(StringComparer.Ordinal);
        return XDocument.Load(path).Descendants("member")
            .Where(m => m.Attribute("name") is not null)
            .GroupBy(m => (string)m.Attribute("name")!)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }

    /// <summary>
    /// Descent.xml beside the assembly; in a single-file or NativeAOT app, whose assemblies have no location, beside the
    /// executable (where publishing copies it).
    /// </summary>
    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "an empty location is handled: the app's folder is used instead")]
    private static string DocumentationPath()
    {
        var assembly = typeof(Optimizer).Assembly;
        string location = assembly.Location;
        return location.Length > 0
            ? Path.ChangeExtension(location, ".xml")
            : Path.Combine(AppContext.BaseDirectory, assembly.GetName().Name + ".xml");
    }

    /// <summary>The text after each <c>&lt;b&gt;Label:&lt;/b&gt;</c> up to the next label or the end of its paragraph.</summary>
    private static Dictionary<string, string> Labelled(XElement? remarks)
    {
        var parts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (remarks is null) return parts;
        foreach (var para in remarks.Elements("para"))
        {
            string? label = null;
            var text = new StringBuilder();
            foreach (var node in para.Nodes())
            {
                if (node is XElement { Name.LocalName: "b" } bold && bold.Value.TrimEnd().EndsWith(':'))
                {
                    if (label is not null) parts[label] = Sentence(text.ToString());
                    label = bold.Value.Trim().TrimEnd(':');
                    text.Clear();
                }
                else if (label is not null) text.Append(NodeText(node));
            }
            if (label is not null) parts[label] = Sentence(text.ToString());
        }
        return parts;
    }

    private static string Text(XElement? element) => element is null ? "" : Collapse(string.Concat(element.Nodes().Select(NodeText)));

    private static string NodeText(XNode node) => node switch
    {
        XText t => t.Value,
        XElement { Name.LocalName: "see" or "seealso" } e => CrefName((string?)e.Attribute("cref") ?? (string?)e.Attribute("langword") ?? ""),
        XElement { Name.LocalName: "paramref" or "typeparamref" } e => (string?)e.Attribute("name") ?? "",
        XElement e => string.Concat(e.Nodes().Select(NodeText)),
        _ => "",
    };

    /// <summary>The short name a reader sees for a cref: <c>M:Descent.Optim.LBFGS.Step(System.Func{Descent.Tensor})</c> → <c>Step</c>.</summary>
    private static string CrefName(string cref)
    {
        int paren = cref.IndexOf('(', StringComparison.Ordinal);
        return (paren >= 0 ? cref[..paren] : cref).Split('.', ':')[^1];
    }

    /// <summary>A labelled part as a sentence of its own: "<b>Principle:</b> replace …" reads "Replace …".</summary>
    private static string Sentence(string text)
    {
        string collapsed = Collapse(text);
        return collapsed.Length == 0 ? collapsed : char.ToUpperInvariant(collapsed[0]) + collapsed[1..];
    }

    private static string Collapse(string text) => Spaces().Replace(text, " ").Trim();

    private static string Dedent(string code)
    {
        var lines = code.Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToArray();
        int indent = lines.Length == 0 ? 0 : lines.Min(l => l.Length - l.TrimStart().Length);
        return string.Join('\n', lines.Select(l => l[indent..]));
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
