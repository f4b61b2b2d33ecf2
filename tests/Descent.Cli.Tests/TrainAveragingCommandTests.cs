using System.Text.Json;
using Spectre.Console;

namespace Descent.Cli.Tests;

/// <summary><c>descent train --swa-start E --swa-lr X</c> and <c>--ema D</c>: the averaged model's accuracy next to the plain one.</summary>
public class TrainAveragingCommandTests
{
    private static readonly string[] Iris = ["train", "--dataset", "iris", "--model", "mlp", "--optimizer", "momentum", "--lr", "0.05", "--epochs", "12", "--batch-size", "16"];

    private static JsonElement RunJson(params string[] extra)
    {
        var (code, output, err) = CliRunner.Run([.. Iris, .. extra, "--json"]);
        Assert.True(code == 0, err);
        return JsonDocument.Parse(output).RootElement;
    }

    [Fact]
    public void SwaReportsTheAveragedAccuracyAndTrainsTheLastEpochsOnSwaLr()
    {
        var json = RunJson("--swa-start", "9", "--swa-lr", "0.01");
        Assert.Equal("swa", json.GetProperty("averaging").GetString());
        Assert.True(json.GetProperty("averaged_test_accuracy").GetDouble() > 0.85);
        Assert.True(json.GetProperty("test_accuracy").GetDouble() > 0.85);
        // The rate of each epoch's end: SWALR takes over after epoch 8, so that epochs 9 to 12 train on swa_lr.
        var lrs = json.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("lr").GetDouble()).ToArray();
        Assert.Equal([.. Enumerable.Repeat(0.05, 7), .. Enumerable.Repeat(0.01, 5)], lrs);
    }

    [Fact]
    public void EmaLeavesTrainingAsItWasAndReportsTheAveragedAccuracy()
    {
        var plain = RunJson();
        var ema = RunJson("--ema", "0.9");
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("averaged_test_accuracy").ValueKind);
        Assert.Equal("ema", ema.GetProperty("averaging").GetString());
        // The average is kept beside training: the trained model is the plain run's.
        Assert.Equal(plain.GetProperty("test_loss").GetDouble(), ema.GetProperty("test_loss").GetDouble());
        Assert.NotEqual(ema.GetProperty("test_loss").GetDouble(), ema.GetProperty("averaged_test_loss").GetDouble());
        Assert.True(ema.GetProperty("averaged_test_accuracy").GetDouble() > 0.85);
    }

    [Fact]
    public void TheTableNamesTheAveragedModel()
    {
        // AnsiConsole keeps the writer it first saw, so give it one for this test (plain text, wide enough for the line).
        var (old, writer) = (AnsiConsole.Console, new StringWriter());
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, Out = new AnsiConsoleOutput(writer) });
        AnsiConsole.Console.Profile.Width = 200;
        int code;
        string err;
        try
        {
            (code, _, err) = CliRunner.Run([.. Iris, "--ema", "0.99"]);
        }
        finally
        {
            AnsiConsole.Console = old;
        }
        Assert.True(code == 0, err);
        Assert.Matches(@"Averaged weights \(EMA 0\.99, 96 updates\): test accuracy \d+\.\d\d%, loss \d\.\d{4}", writer.ToString());
    }

    [Theory]
    [InlineData("--swa-start must be in [1, 12] (--epochs), got 0", "--swa-start", "0", "--swa-lr", "0.01")]
    [InlineData("--swa-start must be in [1, 12] (--epochs), got 13", "--swa-start", "13", "--swa-lr", "0.01")]
    [InlineData("--swa-lr must be > 0, got 0", "--swa-start", "5", "--swa-lr", "0")]
    [InlineData("--swa-lr must be > 0, got -0.1", "--swa-start", "5", "--swa-lr", "-0.1")]
    [InlineData("--swa-start needs --swa-lr X", "--swa-start", "5")]
    [InlineData("--swa-lr needs --swa-start E", "--swa-lr", "0.01")]
    [InlineData("--ema must be in (0, 1), got 1", "--ema", "1")]
    [InlineData("--ema must be in (0, 1), got 0", "--ema", "0")]
    [InlineData("--ema and --swa-start/--swa-lr are two kinds of weight averaging; give one", "--ema", "0.999", "--swa-start", "5", "--swa-lr", "0.01")]
    public void BadAveragingOptionsGiveOneLineAndExitCodeTwo(string message, params string[] extra)
    {
        var (code, _, err) = CliRunner.Run([.. Iris, .. extra]);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
        Assert.DoesNotContain("   at ", err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
