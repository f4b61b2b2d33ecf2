namespace Descent;

/// <summary>Forgiving name look-up: case, spaces, hyphens and underscores are ignored, and near misses get a suggestion.</summary>
internal static class NameMatching
{
    /// <summary>The name in a comparable form: lower case, without separators.</summary>
    public static string Normalize(string s) =>
        new(s.Trim().ToLowerInvariant().Where(c => c is not ('-' or '_' or ' ' or '–')).ToArray());

    /// <summary>The candidate closest to <paramref name="name"/> when it is near enough to be a typo, else null.</summary>
    public static string? Suggest(string name, IEnumerable<string> candidates)
    {
        string key = Normalize(name);
        string? closest = candidates.MinBy(c => Distance(Normalize(c), key));
        return closest is not null && Distance(Normalize(closest), key) <= Math.Max(2, key.Length / 3) ? closest : null;
    }

    /// <summary>The Levenshtein distance: single-character insertions, deletions and substitutions.</summary>
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
