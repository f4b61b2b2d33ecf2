using System.Text.Json;

namespace Descent.Cli.Tests;

/// <summary><c>descent train --skip-nonfinite N</c>: the optimizer wrapped in SkipNonFinite, its skips in --json, bad values refused.</summary>
public class TrainSkipNonFiniteCommandTests
{
    private static readonly string[] Iris = ["train", "--dataset", "iris", "--model", "mlp", "--lr", "0.01", "--epochs", "2", "--seed", "4", "--json"];

    [Fact]
    public void A_finite_run_skips_nothing_and_trains_as_without_the_option()
    {
        var (code, output, err) = CliRunner.Run([.. Iris, "--skip-nonfinite", "3"]);
        Assert.True(code == 0, err);
        var skipping = JsonDocument.Parse(output).RootElement;
        Assert.Equal(0, skipping.GetProperty("skipped_steps").GetInt64());
        var (_, plainOutput, _) = CliRunner.Run(Iris);
        var plain = JsonDocument.Parse(plainOutput).RootElement;
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("skipped_steps").ValueKind);
        Assert.Equal(plain.GetProperty("final_train_loss").GetDouble(), skipping.GetProperty("final_train_loss").GetDouble());
    }

    [Theory]
    [InlineData("--skip-nonfinite must be >= 0 (the most steps skipped in a row), got -1", "--skip-nonfinite", "-1")]
    [InlineData("--skip-nonfinite needs a first-order optimizer: lbfgs re-evaluates the loss through a closure", "--skip-nonfinite", "2", "--optimizer", "lbfgs")]
    public void Bad_values_give_one_line_and_exit_code_two(string message, params string[] extra)
    {
        var (code, _, err) = CliRunner.Run([.. Iris, .. extra]);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
