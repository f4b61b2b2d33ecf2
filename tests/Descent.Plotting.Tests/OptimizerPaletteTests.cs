namespace Descent.Plotting.Tests;

public class OptimizerPaletteTests
{
    [Fact]
    public void Every_known_optimizer_has_its_own_colour()
    {
        string[] colours = OptimizerPalette.KnownNames.Select(n => OptimizerPalette.TryGetHex(n)!).ToArray();
        Assert.All(colours, c => Assert.Matches("^#[0-9A-F]{6}$", c));
        Assert.Equal(colours.Length, colours.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        // The registry is the one source: its entries, in its order, each with the colour it declares.
        Assert.Equal(Descent.Optim.OptimizerRegistry.All.Select(e => e.Name), OptimizerPalette.KnownNames);
        Assert.All(Descent.Optim.OptimizerRegistry.All, e => Assert.Equal(e.Color, OptimizerPalette.TryGetHex(e.Title)));
    }

    [Theory]
    [InlineData("adam", "Adam")]
    [InlineData("ADAM", "Adam")]
    [InlineData("Adam (lr=0.01)", "Adam")]
    [InlineData("Adam train", "Adam")]
    [InlineData("L-BFGS", "LBFGS")]
    [InlineData("SGD", "GD")]
    [InlineData("rmsprop", "RMSprop")]
    [InlineData("AdamW", "AdamW")]
    [InlineData("Schedule-free SGD (lr=1)", "sfsgd")]
    [InlineData("schedule-free adamw train", "sfadamw")]
    public void Names_match_without_case_or_punctuation(string name, string canonical)
    {
        Assert.Equal(OptimizerPalette.TryGetHex(canonical), OptimizerPalette.TryGetHex(name));
    }

    [Fact]
    public void AdamW_and_NAdam_are_not_Adam()
    {
        Assert.NotEqual(OptimizerPalette.TryGetHex("Adam"), OptimizerPalette.TryGetHex("AdamW"));
        Assert.NotEqual(OptimizerPalette.TryGetHex("Adam"), OptimizerPalette.TryGetHex("NAdam"));
    }

    [Fact]
    public void Other_names_get_colours_no_optimizer_uses()
    {
        Assert.Null(OptimizerPalette.TryGetHex("lr = 0.1"));
        var optimizerColours = OptimizerPalette.KnownNames.Select(n => OptimizerPalette.TryGetHex(n)).ToHashSet();
        string[] others = Enumerable.Range(0, 10).Select(i => OptimizerPalette.GetHex("batch", i)).ToArray();
        Assert.Equal(10, others.Distinct().Count());
        Assert.DoesNotContain(others, optimizerColours.Contains);
        Assert.Equal(OptimizerPalette.GetHex("batch", 0), OptimizerPalette.GetHex("batch", 10));
        Assert.Equal(OptimizerPalette.TryGetHex("Adam"), OptimizerPalette.GetHex("Adam", 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerPalette.GetHex("x", -1));
    }

    [Fact]
    public void Charts_draw_each_optimizer_in_its_palette_colour()
    {
        string folder = Gallery.Folder("palette");
        Trajectory[] runs = [Landscapes.Descend("Adam", 0.1, 10), Landscapes.Descend("Nesterov", 0.05, 10, 2, 0)];
        ChartFiles contour = Charts.Contour(Path.Combine(folder, "c"), "t", Landscapes.Bowl, new PlotBox(-3, 3, -1, 3), runs);
        ChartFiles lines = Charts.Lines(Path.Combine(folder, "l"), "t", [new Series("Nesterov", [3, 2, 1]), new Series("Adam", [3, 1, 0.5])]);

        foreach (string svg in new[] { contour.SvgPath, lines.SvgPath })
        {
            string text = File.ReadAllText(svg);
            Assert.Contains($"stroke=\"{OptimizerPalette.TryGetHex("Adam")}\"", text, StringComparison.OrdinalIgnoreCase);
            Assert.Contains($"stroke=\"{OptimizerPalette.TryGetHex("Nesterov")}\"", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Embedded_font_is_registered_for_charts()
    {
        ChartFonts.EnsureRegistered();
        ChartFonts.EnsureRegistered();
        Assert.Equal(ChartFonts.Family, ScottPlot.Fonts.Default);
        Assert.Equal(ChartFonts.Family, ScottPlot.Fonts.FontResolvers[0].CreateTypeface(ChartFonts.Family, bold: false, italic: false)!.FamilyName);
        Assert.Null(ScottPlot.Fonts.FontResolvers[0].CreateTypeface("No Such Font", bold: false, italic: false));
    }
}
