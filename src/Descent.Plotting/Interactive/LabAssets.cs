using System.Reflection;

namespace Descent.Plotting;

/// <summary>The lab viewer's script and style sheet (lab.js, lab.css), embedded in this assembly and inlined in
/// every page that has a <see cref="ReportWidget"/>.</summary>
internal static class LabAssets
{
    // What would end the inline script or its CDATA section early, or break the page as XML.
    private static readonly string[] ScriptBreakers = ["]]>", "</script", "<!--"];
    private static readonly string[] CssBreakers = ["<", "&"];

    private static readonly Lazy<string> LazyScript = new(() => Load("Descent.Plotting.Interactive.lab.js", ScriptBreakers));
    private static readonly Lazy<string> LazyCss = new(() => Load("Descent.Plotting.Interactive.lab.css", CssBreakers));

    /// <summary>lab.js.</summary>
    public static string Script => LazyScript.Value;

    /// <summary>lab.css.</summary>
    public static string Css => LazyCss.Value;

    private static string Load(string name, string[] forbidden)
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"resource {name} is missing from {Assembly.GetExecutingAssembly().GetName().Name}");
        using var reader = new StreamReader(stream);
        string text = reader.ReadToEnd();
        foreach (string bad in forbidden)
        {
            if (text.Contains(bad, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"resource {name} contains '{bad}', which cannot be inlined in the page");
            }
        }

        return text;
    }
}
