using System.Text.Json;

namespace Descent.Cli.Tests;

/// <summary>
/// A run that diverges on its last step: the results are still printed (non-finite numbers as "NaN" or "Infinity" in
/// --json), then one line says so and the exit code is 1.
/// </summary>
public class TrainDivergenceCommandTests
{
    // One step per epoch (the batch holds all 120 training rows), at a rate that sends the weights to infinity: the
    // loss of that step, computed before it, is finite; the weights after it are not.
    private static readonly string[] Diverging = ["train", "--dataset", "iris", "--model", "linear", "--optimizer", "gd", "--lr", "1e300", "--epochs", "1", "--batch-size", "200"];

    // Trainer.Fit may itself stop such a run (its check at the end of an epoch); the command line's own check of the
    // weights catches it otherwise. Either way: exit code 1, one line saying so.
    private static void AssertDivergedLine(string err)
    {
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"stderr has {lines.Length} lines:\n{err}");
        Assert.StartsWith("error: training diverged", lines[0], StringComparison.Ordinal);
        Assert.Contains("1", lines[0], StringComparison.Ordinal); // the epoch
    }

    [Fact]
    public void The_command_line_finds_weights_that_are_not_finite()
    {
        var linear = new NN.Linear(2, 1);
        Assert.Null(Commands.TrainCommand.Divergence(linear, 1, [], testLoss: 0.5, averagedTestLoss: null, skipping: false));
        linear.Weight.AsSpan<float>()[1] = float.PositiveInfinity;
        Assert.Equal("training diverged: the weights hold NaN or infinity (weight) after epoch 1; lower --lr, or check the data",
            Commands.TrainCommand.Divergence(linear, 1, [], testLoss: 0.5, averagedTestLoss: null, skipping: false));
    }

    [Fact]
    public void Json_writes_the_non_finite_loss_as_a_string_and_the_run_fails()
    {
        var (code, output, err) = CliRunner.Run([.. Diverging, "--json"]);

        Assert.Equal(1, code);
        AssertDivergedLine(err);
        if (output.Length == 0) return; // Fit stopped the run before it had results to print
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal("NaN", json.GetProperty("test_loss").GetString());
        Assert.Equal("NaN", json.GetProperty("history")[0].GetProperty("test_loss").GetString());
        Assert.True(double.IsFinite(json.GetProperty("final_train_loss").GetDouble())); // the loss before the step
        Assert.Equal(JsonValueKind.Null, json.GetProperty("averaged_test_loss").ValueKind); // null: no averaging
    }

    [Fact]
    public void Without_json_the_run_fails_alike()
    {
        var (code, _, err) = CliRunner.Run(Diverging);

        Assert.Equal(1, code);
        AssertDivergedLine(err);
    }

    [Fact]
    public void A_finite_run_still_succeeds()
    {
        string[] calm = [.. Diverging];
        calm[Array.IndexOf(calm, "1e300")] = "0.1";
        var (code, _, err) = CliRunner.Run(calm);
        Assert.True(code == 0, err);
        Assert.Equal("", err);
    }

    [Fact]
    public void Minimize_says_in_one_line_that_it_diverged()
    {
        var (code, output, err) = CliRunner.Run("minimize", "--function", "rosenbrock", "--optimizer", "gd", "--lr", "1", "--steps", "50", "--json");

        Assert.Equal(1, code);
        Assert.Equal($"error: gd diverged on rosenbrock: the loss or its gradient was not finite after 4 iterations; lower --lr{Environment.NewLine}", err);
        Assert.Equal("Diverged", JsonDocument.Parse(output).RootElement.GetProperty("stop_reason").GetString());
    }
}
