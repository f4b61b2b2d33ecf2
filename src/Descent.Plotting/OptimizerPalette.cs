using System.Globalization;

namespace Descent.Plotting;

/// <summary>
/// One colour per optimizer, the same in every chart and in the report's tables, so a reader learns "Adam is red"
/// once. Names are matched without regard to case or punctuation ("L-BFGS" is "LBFGS", "SGD" is plain "GD"), and
/// only the first word counts, so "Adam (lr=0.01)" is still Adam.
/// </summary>
public static class OptimizerPalette
{
    // Each optimizer's colour is declared in its registry entry (Tableau-like hues, strong enough to read over the light
    // heatmaps), in the tutorial's order.
    private static readonly (string Name, string Hex)[] Known = [.. Descent.Optim.OptimizerRegistry.All.Select(e => (e.Name, e.Color))];

    // An entry is found by its name or by the first word of its title ("Gradient descent", "L-BFGS").
    private static readonly Dictionary<string, string> ByKey = Descent.Optim.OptimizerRegistry.All
        .SelectMany(e => new[] { (Key: Normalize(e.Name), e.Color), (Key: Normalize(e.Title), e.Color) })
        .DistinctBy(k => k.Key).ToDictionary(k => k.Key, k => k.Color, StringComparer.Ordinal);

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["sgd"] = "gd",
        ["gradientdescent"] = "gd",
        ["nag"] = "nesterov",
    };

    /// <summary>Colours for names that are not optimizers (learning rates, data splits), used in order.</summary>
    private static readonly string[] Others =
        ["#4E79A7", "#E15759", "#59A14F", "#F28E2B", "#B07AA1", "#76B7B2", "#EDC948", "#9C755F", "#FF9DA7", "#BAB0AC"];

    /// <summary>The optimizer names with a fixed colour, in the tutorial's order.</summary>
    public static IReadOnlyList<string> KnownNames { get; } = Known.Select(k => k.Name).ToArray();

    /// <summary>
    /// The colour of an optimizer as <c>#RRGGBB</c>, or <see langword="null"/> when <paramref name="name"/> is not a
    /// known optimizer (charts then give it a colour of their own that no optimizer uses).
    /// </summary>
    /// <param name="name">An optimizer name such as "Adam", "adamw", "L-BFGS" or "Adam (lr=0.01)".</param>
    public static string? TryGetHex(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = Normalize(name);
        if (Aliases.TryGetValue(key, out string? alias))
        {
            key = alias;
        }

        return ByKey.GetValueOrDefault(key);
    }

    /// <summary>
    /// The colour of <paramref name="name"/>: its optimizer colour when known, otherwise the
    /// <paramref name="fallbackIndex"/>-th colour of a second palette that shares no colour with the optimizers.
    /// </summary>
    /// <param name="name">The series name.</param>
    /// <param name="fallbackIndex">Which non-optimizer colour to use when the name is not an optimizer (wraps around).</param>
    public static string GetHex(string name, int fallbackIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fallbackIndex);
        return TryGetHex(name) ?? Others[fallbackIndex % Others.Length];
    }

    /// <summary>Lower-cased letters and digits of the first word ("L-BFGS (m=10)" → "lbfgs").</summary>
    private static string Normalize(string name)
    {
        string trimmed = name.Trim();
        int cut = trimmed.IndexOfAny([' ', '(', ',', ':', '\t']);
        string first = cut > 0 ? trimmed[..cut] : trimmed;
        return string.Concat(first.Where(char.IsLetterOrDigit)).ToLower(CultureInfo.InvariantCulture);
    }
}
