namespace Descent.Cli;

/// <summary>Looks names up forgivingly and suggests the closest one when a name is unknown.</summary>
internal static class Names
{
    /// <summary>The entry whose key matches <paramref name="name"/> (ignoring case, spaces, '-' and '_'), or a UsageException with a suggestion.</summary>
    public static T Resolve<T>(string what, string name, IReadOnlyDictionary<string, T> entries)
    {
        string key = NameMatching.Normalize(name);
        foreach (var (k, v) in entries)
            if (NameMatching.Normalize(k) == key) return v;
        string? suggestion = NameMatching.Suggest(name, entries.Keys);
        string hint = suggestion is null ? "" : $" Did you mean '{suggestion}'?";
        throw new UsageException($"unknown {what} '{name}'.{hint} Known: {string.Join(", ", entries.Keys)}.");
    }
}
