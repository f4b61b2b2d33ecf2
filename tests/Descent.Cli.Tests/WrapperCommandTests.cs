using System.Text.Json;

namespace Descent.Cli.Tests;

/// <summary>The wrappers on the command line: <c>--optimizer lookahead|sam</c>, the base optimizer named by <c>--base</c>.</summary>
public class WrapperCommandTests
{
    private static JsonElement Json(string output) => JsonDocument.Parse(output).RootElement;

    [Fact]
    public void MinimizeRunsSamAndLookaheadOverTheBaseNamed()
    {
        var (code, output, err) = CliRunner.Run("minimize", "--function", "ill-conditioned-quadratic", "--optimizer", "sam", "--base", "adam", "--lr", "0.05", "--sam-rho", "0.01", "--steps", "400", "--json");
        Assert.True(code == 0, err);
        var json = Json(output);
        Assert.Equal("sam", json.GetProperty("optimizer").GetString());
        Assert.True(json.GetProperty("loss").GetDouble() < 1e-3, output);

        // L-BFGS needs a closure: Lookahead over it steps it through one, at L-BFGS's preset rate unless --lr is given.
        (code, output, err) = CliRunner.Run("minimize", "--function", "rosenbrock", "--optimizer", "lookahead", "--base", "lbfgs", "--lookahead-k", "20", "--steps", "10", "--json");
        Assert.True(code == 0, err);
        Assert.True(Json(output).GetProperty("loss").GetDouble() < 1e-6, output);
    }

    [Fact]
    public void ABadBaseIsAUsageError()
    {
        var (code, _, err) = CliRunner.Run("minimize", "--optimizer", "lookahead", "--base", "adamm");
        Assert.Equal(2, code);
        Assert.Contains("--base must name an optimizer (gd, momentum", err);
        (code, _, err) = CliRunner.Run("minimize", "--optimizer", "sam", "--base", "lbfgs");
        Assert.Equal(2, code);
        Assert.Contains("the inner optimizer must be first-order; LBFGS needs a closure", err);
        (code, _, err) = CliRunner.Run("minimize", "--optimizer", "adam", "--base", "gd");
        Assert.Equal(2, code);
        Assert.Contains("--base does not apply to adam", err);
    }

    [Fact]
    public void OptimizersListsTheBaseWithTheNumbers()
    {
        var (code, output, _) = CliRunner.Run("optimizers", "--json");
        Assert.Equal(0, code);
        var entries = Json(output).EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("hyperparameters"));
        Assert.Equal("adam", entries["lookahead"].GetProperty("base").GetString());
        Assert.Equal(5, entries["lookahead"].GetProperty("lookahead-k").GetDouble());
        Assert.Equal("momentum", entries["sam"].GetProperty("base").GetString());
        Assert.Equal(0.05, entries["sam"].GetProperty("sam-rho").GetDouble());
    }

    [Theory]
    [InlineData("sam", "momentum")]
    [InlineData("lookahead", "gd")]
    public void TrainStepsAWrapper(string optimizer, string baseName)
    {
        var (code, output, err) = CliRunner.Run("train", "--dataset", "wine", "--model", "linear", "--optimizer", optimizer, "--base", baseName,
            "--lr", "0.05", "--epochs", "2", "--batch-size", "32", "--json");
        Assert.True(code == 0, err);
        Assert.True(Json(output).GetProperty("test_accuracy").GetDouble() > 0.6, output);
    }
}
