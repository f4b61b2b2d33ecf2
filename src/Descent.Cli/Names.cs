namespace Descent.Cli;

/// <summary>Looks names up case-insensitively and suggests the closest one when a name is unknown.</summary>
internal static class Names
{
    /// <summary>The entry whose key matches <paramref name="name"/> (ignoring case, '-' and '_'), or a UsageException with a suggestion.</summary>
    public static T Resolve<T>(string what, string name, IReadOnlyDictionary<string, T> entries)
    {
        string key = Normalize(name);
        foreach (var (k, v) in entries)
            if (Normalize(k) == key) return v;
        var suggestion = entries.Keys.OrderBy(k => Distance(Normalize(k), key)).FirstOrDefault();
        string hint = suggestion is not null && Distance(Normalize(suggestion), key) <= Math.Max(2, key.Length / 3)
            ? $" Did you mean '{suggestion}'?" : "";
        throw new UsageException($"unknown {what} '{name}'.{hint} Known: {string.Join(", ", entries.Keys)}.");
    }

    private static string Normalize(string s) => s.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();

    /// <summary>Levenshtein distance.</summary>
    public static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}

/// <summary>A mistake in the command line: printed as a message (no stack trace) with exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
