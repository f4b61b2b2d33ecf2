using System.Globalization;

namespace Descent.Plotting;

/// <summary>
/// One colour per optimizer, the same in every chart and in the report's tables, so a reader learns "Adam is red"
/// once. Names are matched without regard to case or punctuation ("L-BFGS" is "LBFGS", "SGD" is plain "GD"), by the
/// longest run of leading words that names one, so "Adam (lr=0.01)" and "Adam train" are still Adam, and
/// "Schedule-free SGD" is not schedule-free AdamW.
/// </summary>
public static class OptimizerPalette
{
    // Each optimizer's colour is declared in its registry entry (Tableau-like hues, strong enough to read over the light
    // heatmaps), in the tutorial's order.
    private static readonly (string Name, string Hex)[] Known = [.. Descent.Optim.OptimizerRegistry.All.Select(e => (e.Name, e.Color))];

    // An entry is found by its name, its title, or the first word of its title ("Gradient descent", "L-BFGS"); a first
    // word two titles share ("Schedule-free") keeps the first entry's colour.
    private static readonly Dictionary<string, string> ByKey = Descent.Optim.OptimizerRegistry.All
        .SelectMany(e => new[] { (Key: Key(e.Name, 1), e.Color), (Key: Key(e.Title, int.MaxValue), e.Color), (Key: Key(e.Title, 1), e.Color) })
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
        for (int words = Words(name).Length; words >= 1; words--)
        {
            string key = Key(name, words);
            if (Aliases.TryGetValue(key, out string? alias))
            {
                key = alias;
            }

            if (ByKey.TryGetValue(key, out string? hex))
            {
                return hex;
            }
        }

        return null;
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

    /// <summary>The words of a name before its first '(', ',' or ':' ("L-BFGS (m=10)" → "L-BFGS").</summary>
    private static string[] Words(string name)
    {
        int cut = name.IndexOfAny(['(', ',', ':']);
        return (cut >= 0 ? name[..cut] : name).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Lower-cased letters and digits of the first <paramref name="words"/> words ("Schedule-free SGD" → "schedulefreesgd").</summary>
    private static string Key(string name, int words) =>
        string.Concat(Words(name).Take(words).SelectMany(w => w.Where(char.IsLetterOrDigit))).ToLower(CultureInfo.InvariantCulture);
}
