using System.Text;

namespace Descent.Tests.PublicApi;

/// <summary>A unified-style diff of two texts, line by line, for a failure message that shows only what changed.</summary>
internal static class LineDiff
{
    private enum Kind { Same, Removed, Added }

    private readonly record struct Edit(Kind Kind, int OldLine, int NewLine, string Text);

    /// <summary>
    /// The changed lines ('-' only in <paramref name="expected"/>, '+' only in <paramref name="actual"/>) with
    /// <paramref name="context"/> unchanged lines around each change, under '@@' headers giving both texts' line numbers;
    /// cut after <paramref name="maxLines"/> lines.
    /// </summary>
    public static string Format(string expected, string actual, int context = 3, int maxLines = 400)
    {
        var edits = Edits(expected.Split('\n'), actual.Split('\n'));
        var sb = new StringBuilder();
        int written = 0, last = -1;
        for (int k = 0; k < edits.Count; k++)
        {
            if (edits[k].Kind == Kind.Same) continue;
            int from = Math.Max(k - context, last + 1);
            int to = k;
            // Extend the hunk over every change closer than twice the context to the previous one.
            for (int j = k; j < edits.Count && j <= to + 2 * context; j++)
                if (edits[j].Kind != Kind.Same) to = j;
            to = Math.Min(to + context, edits.Count - 1);
            if (from != last + 1 || last == -1) sb.Append($"@@ approved line {edits[from].OldLine}, generated line {edits[from].NewLine} @@\n");
            for (int j = from; j <= to; j++, written++)
            {
                if (written == maxLines) return sb.Append($"... (more differences; {edits.Count(e => e.Kind != Kind.Same)} lines differ in all)\n").ToString();
                char mark = edits[j].Kind switch { Kind.Removed => '-', Kind.Added => '+', _ => ' ' };
                sb.Append(mark).Append(' ').Append(edits[j].Text).Append('\n');
            }
            last = to;
            k = to;
        }
        return sb.ToString();
    }

    /// <summary>The edit script from a longest common subsequence of the lines between the common prefix and suffix.</summary>
    private static List<Edit> Edits(string[] a, string[] b)
    {
        int prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix]) prefix++;
        int suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[^(suffix + 1)] == b[^(suffix + 1)]) suffix++;
        int n = a.Length - prefix - suffix, m = b.Length - prefix - suffix;

        // lcs[i, j]: the longest common subsequence of the middle parts' tails from i and j (too large a middle: none).
        bool small = (long)n * m <= 4_000_000;
        var lcs = new int[small ? n + 1 : 1, small ? m + 1 : 1];
        if (small)
            for (int i = n - 1; i >= 0; i--)
                for (int j = m - 1; j >= 0; j--)
                    lcs[i, j] = a[prefix + i] == b[prefix + j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);

        var edits = new List<Edit>(a.Length + b.Length);
        for (int i = 0; i < prefix; i++) edits.Add(new Edit(Kind.Same, i + 1, i + 1, a[i]));
        int x = 0, y = 0;
        while (x < n || y < m)
        {
            if (small && x < n && y < m && a[prefix + x] == b[prefix + y]) { edits.Add(new Edit(Kind.Same, prefix + x + 1, prefix + y + 1, a[prefix + x])); x++; y++; }
            else if (x < n && (y == m || !small || lcs[x + 1, y] >= lcs[x, y + 1])) { edits.Add(new Edit(Kind.Removed, prefix + x + 1, prefix + y + 1, a[prefix + x])); x++; }
            else { edits.Add(new Edit(Kind.Added, prefix + x + 1, prefix + y + 1, b[prefix + y])); y++; }
        }
        for (int i = 0; i < suffix; i++) edits.Add(new Edit(Kind.Same, a.Length - suffix + i + 1, b.Length - suffix + i + 1, a[a.Length - suffix + i]));
        return edits;
    }
}
