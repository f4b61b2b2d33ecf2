using System.Text.Json;

namespace Descent.Cli.Tests;

/// <summary>
/// <c>descent train --accumulate K</c>: K batches per optimizer step equal one batch of their total size. Iris's 80/20
/// split leaves 120 training samples, shuffled every epoch in an order that does not depend on the batch size.
/// </summary>
public class TrainAccumulateCommandTests
{
    private static readonly string[] Iris = ["train", "--dataset", "iris", "--model", "mlp", "--lr", "0.01", "--epochs", "3", "--seed", "4", "--json"];

    private static JsonElement RunJson(params string[] extra)
    {
        var (code, output, err) = CliRunner.Run([.. Iris, .. extra]);
        Assert.True(code == 0, err);
        return JsonDocument.Parse(output).RootElement;
    }

    private static void AssertRelative(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-4 * Math.Abs(expected), $"{what}: {actual} against {expected}");

    /// <summary>
    /// 120 samples: 4 × 30 is the whole epoch in one step; 50 + 50 + 20 is one step of unequal batches; 50 + 50 + 20 with
    /// K = 4 is a window of fewer than K batches; batches of 15 with K = 3 are three steps of 45, 45 and a last one of 30
    /// samples in two batches, against batches of 45 (which end with 30), with a per-step one-cycle schedule.
    /// </summary>
    [Theory]
    [InlineData(120, 30, 4, "none")]
    [InlineData(120, 50, 3, "none")]
    [InlineData(120, 50, 4, "none")]
    [InlineData(45, 15, 3, "onecycle")]
    public void Accumulated_batches_train_as_the_big_batch(int bigBatch, int batch, int accumulate, string schedule)
    {
        var big = RunJson("--batch-size", $"{bigBatch}", "--schedule", schedule);
        var accumulated = RunJson("--batch-size", $"{batch}", "--accumulate", $"{accumulate}", "--schedule", schedule);
        Assert.Equal(accumulate, accumulated.GetProperty("accumulate").GetInt32());
        foreach (var key in new[] { "final_train_loss", "test_loss", "test_accuracy" })
            AssertRelative(big.GetProperty(key).GetDouble(), accumulated.GetProperty(key).GetDouble(), key);
        var lrs = (JsonElement run) => run.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("lr").GetDouble()).ToArray();
        Assert.Equal(lrs(big), lrs(accumulated)); // one schedule step per optimizer step
    }

    [Fact]
    public void Json_reports_the_last_epochs_train_loss()
    {
        var json = RunJson("--batch-size", "16");
        double last = json.GetProperty("history").EnumerateArray().Last().GetProperty("train_loss").GetDouble();
        Assert.Equal(last, json.GetProperty("final_train_loss").GetDouble());
        Assert.Equal(1, json.GetProperty("accumulate").GetInt32());
        // Accumulation is not a no-op: 4 batches of 16 step differently from each batch of 16.
        Assert.NotEqual(last, RunJson("--batch-size", "16", "--accumulate", "4").GetProperty("final_train_loss").GetDouble());
    }

    [Theory]
    [InlineData("--accumulate must be >= 1, got 0", "--accumulate", "0")]
    [InlineData("--accumulate must be >= 1, got -2", "--accumulate", "-2")]
    [InlineData("--accumulate 2 needs a first-order optimizer: lbfgs re-evaluates the loss through a closure", "--accumulate", "2", "--optimizer", "lbfgs")]
    public void Bad_accumulation_gives_one_line_and_exit_code_two(string message, params string[] extra)
    {
        var (code, _, err) = CliRunner.Run([.. Iris, .. extra]);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("2.5")]
    [InlineData("many")]
    public void A_non_integer_accumulation_is_a_usage_error(string value)
    {
        var (code, _, err) = CliRunner.Run([.. Iris, "--accumulate", value]);
        Assert.Equal(2, code);
        Assert.Equal($"error: --accumulate: '{value}' is not a whole number{Environment.NewLine}", err);
    }
}
