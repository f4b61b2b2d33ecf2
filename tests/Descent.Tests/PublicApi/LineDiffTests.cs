namespace Descent.Tests.PublicApi;

public class LineDiffTests
{
    [Fact]
    public void Shows_a_changed_line_with_its_context_and_line_numbers()
    {
        string approved = string.Join('\n', Enumerable.Range(1, 20).Select(i => $"line {i}"));
        string generated = approved.Replace("line 10", "line ten", StringComparison.Ordinal);
        Assert.Equal("""
            @@ approved line 7, generated line 7 @@
              line 7
              line 8
              line 9
            - line 10
            + line ten
              line 11
              line 12
              line 13

            """.ReplaceLineEndings("\n"), LineDiff.Format(approved, generated));
    }

    [Fact]
    public void Shows_an_added_member_and_a_removed_one_as_separate_hunks()
    {
        string approved = string.Join('\n', Enumerable.Range(1, 30).Select(i => $"m{i}"));
        var lines = approved.Split('\n').ToList();
        lines.Insert(3, "new");
        lines.Remove("m25");
        string diff = LineDiff.Format(approved, string.Join('\n', lines), context: 1);
        Assert.Equal("""
            @@ approved line 3, generated line 3 @@
              m3
            + new
              m4
            @@ approved line 24, generated line 25 @@
              m24
            - m25
              m26

            """.ReplaceLineEndings("\n"), diff);
    }
}
