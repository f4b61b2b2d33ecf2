using System.Text.Json;
using Descent.Cli.Commands;

namespace Descent.Cli.Tests;

/// <summary>--function, --start and --box on minimize and lab: a built-in name or a formula, and the checks of the start and the box.</summary>
public class FunctionOptionTests
{
    [Fact]
    public void ABuiltInNameWinsAndAnythingElseIsAFormula()
    {
        var builtIn = FunctionOption.Resolve("Six_Hump camel");
        Assert.False(builtIn.IsExpression);
        Assert.Equal("six-hump-camel", builtIn.Function.Name);
        Assert.Equal(builtIn.Function.Start, builtIn.Start);

        var formula = FunctionOption.Resolve("x^2 + 10*y^2");
        Assert.True(formula.IsExpression);
        Assert.Equal(FunctionOption.CustomName, formula.Function.Name);
        Assert.Equal("x^2 + 10*y^2", formula.Function.Formula);
        Assert.Null(formula.Function.MinimumValue);
        Assert.Equal(new[] { -1.5, 1.5 }, formula.Function.Start);
        Assert.Equal(new[] { -2.0, -2.0 }, formula.Function.Lower);
        Assert.Equal(new[] { 2.0, 2.0 }, formula.Function.Upper);
        Assert.Equal(new[] { 2.0, 20.0 }, formula.Function.Gradient([1, 1]));
    }

    [Fact]
    public void StartAndBoxShapeAFormula()
    {
        var f = FunctionOption.Resolve("x*y", "0.5,-1", "-1,3,-2,0").Function;
        Assert.Equal(new[] { 0.5, -1.0 }, f.Start);
        Assert.Equal(new[] { -1.0, -2.0 }, f.Lower);
        Assert.Equal(new[] { 3.0, 0.0 }, f.Upper);
    }

    [Theory]
    [InlineData("x", "7,0", null, "--start (7, 0) lies outside the box [-2, 2] × [-2, 2]")]
    [InlineData("x", null, "2,-2,-2,2", "--box '2,-2,-2,2': xmin (2) must be below xmax (-2)")]
    [InlineData("x", null, "-2,2,1,1", "--box '-2,2,1,1': ymin (1) must be below ymax (1)")]
    [InlineData("x", null, "-1e308,1e308,-2,2", "--box '-1e308,1e308,-2,2': the box is too wide to draw (its width overflows a double)")]
    [InlineData("x", null, "-2,2,1", "--box needs 4 comma-separated numbers xmin,xmax,ymin,ymax, got '-2,2,1'")]
    [InlineData("x", "1,two", null, "--start: 'two' (number 2 of '1,two') is not a finite number")]
    [InlineData("x", "1", null, "--start needs 2 comma-separated numbers, got '1'")]
    [InlineData("rosenbrock", "5,5", "-2,2,-1,3", "--start (5, 5) lies outside the box [-2, 2] × [-1, 3]")]
    [InlineData("log(x)", null, null, "--function 'log(x)': the value at the start (-1.5, 1.5) is NaN")]
    [InlineData("sqrt(x^2 + y^2)", "0,0", null, "--function 'sqrt(x^2 + y^2)': the gradient at the start (0, 0) is (NaN, NaN)")]
    [InlineData("rosenbrok", null, null, "unknown variable 'rosenbrok' at position 1: use x and y (and the constants pi and e); or did you mean the test function 'rosenbrock'?")]
    public void BadStartsBoxesAndFormulasAreNamed(string function, string? start, string? box, string message)
    {
        var e = Assert.Throws<UsageException>(() => FunctionOption.Resolve(function, start, box));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void MinimizeReachesTheMinimumOfAFormula()
    {
        var (code, output, err) = CliRunner.Run("minimize", "--function", "x^2 + 10*y^2", "--optimizer", "gd", "--lr", "0.04", "--steps", "400", "--json");
        Assert.True(code == 0, err);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal("x^2 + 10*y^2", json.GetProperty("formula").GetString());
        Assert.Equal(new[] { -1.5, 1.5 }, json.GetProperty("start").EnumerateArray().Select(e => e.GetDouble()));
        Assert.True(json.GetProperty("loss").GetDouble() < 1e-10, output);
        Assert.All(json.GetProperty("point").EnumerateArray(), c => Assert.True(Math.Abs(c.GetDouble()) < 1e-5, output));
    }

    [Fact]
    public void MinimizeDrawsAFormulaInItsBox()
    {
        var dir = Directory.CreateTempSubdirectory("descent-function-");
        try
        {
            string png = Path.Combine(dir.FullName, "path.png");
            var (code, output, err) = CliRunner.Run("minimize", "--function", "(x - 1)^2 + (y + 2)^2", "--optimizer", "adam", "--lr", "0.1", "--steps", "200",
                "--start", "-2,1", "--box", "-3,3,-4,2", "--plot", png);
            Assert.True(code == 0, err);
            Assert.Contains("Path drawn to", output);
            Assert.True(new FileInfo(png).Length > 1000);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void MinimizeReportsAMistakeInAFormulaWithExitCodeTwo()
    {
        var (code, _, err) = CliRunner.Run("minimize", "--function", "x + 2*z");
        Assert.Equal(2, code);
        Assert.Contains("error: --function 'x + 2*z': unknown variable 'z' at position 7: use x and y", err);
        (code, _, err) = CliRunner.Run("lab", "--quick", "--start", "0,0");
        Assert.Equal(2, code);
        Assert.Contains("give --function too", err);
        (code, _, err) = CliRunner.Run("lab", "--quick", "--function", "beale", "--box", "-1,1,-1,1");
        Assert.Equal(2, code);
        Assert.Contains("the test function beale keeps its own start and box", err);
    }

    [Fact]
    public void TheLabStudiesAFormulaBesideTheBuiltInLandscapes()
    {
        var dir = Directory.CreateTempSubdirectory("descent-lab-function-");
        try
        {
            var (code, output, err) = CliRunner.Run("lab", "--quick", "--steps", "20", "--function", "x^2 + 10*y^2", "--start", "1,1", "--out", dir.FullName);
            Assert.True(code == 0, err);
            Assert.Contains("[lab] landscape custom", output);
            string html = File.ReadAllText(Path.Combine(dir.FullName, "index.html"));
            Assert.Contains("Landscape: custom", html);
            Assert.Contains("x^2 + 10*y^2. Start (1, 1).", html);
            Assert.Contains("Landscape: rosenbrock", html);
            foreach (var chart in new[] { "custom-paths.png", "custom-loss.png", "custom-gradnorm.png" })
                Assert.True(File.Exists(Path.Combine(dir.FullName, "charts", chart)), chart);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
