using System.Buffers.Binary;
using System.Text.Json;

namespace Descent.Cli.Tests;

public class CommandTests
{
    [Fact]
    public void FunctionsListsEveryTestFunctionAsJson()
    {
        var (code, output, _) = CliRunner.Run("functions", "--json");
        Assert.Equal(0, code);
        var names = JsonDocument.Parse(output).RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Contains("rosenbrock", names);
        Assert.Contains("himmelblau", names);
    }

    [Fact]
    public void OptimizersListsHyperparametersAndDefaults()
    {
        var (code, output, _) = CliRunner.Run("optimizers", "--json");
        Assert.Equal(0, code);
        var adam = JsonDocument.Parse(output).RootElement.EnumerateArray().Single(e => e.GetProperty("name").GetString() == "adam");
        Assert.Equal(0.001, adam.GetProperty("hyperparameters").GetProperty("lr").GetDouble());
        Assert.Equal(0.999, adam.GetProperty("hyperparameters").GetProperty("beta2").GetDouble());
    }

    [Fact]
    public void MinimizeReachesRosenbrocksMinimumWithLbfgs()
    {
        var (code, output, err) = CliRunner.Run("minimize", "--function", "rosenbrock", "--optimizer", "lbfgs", "--steps", "30", "--json");
        Assert.True(code == 0, err);
        var json = JsonDocument.Parse(output).RootElement;
        var point = json.GetProperty("point").EnumerateArray().Select(p => p.GetDouble()).ToArray();
        Assert.Equal(1.0, point[0], 3);
        Assert.Equal(1.0, point[1], 3);
        Assert.True(json.GetProperty("loss").GetDouble() < 1e-6);
    }

    [Fact]
    public void MinimizeDrawsThePath()
    {
        var dir = Directory.CreateTempSubdirectory("descent-cli-");
        try
        {
            string png = Path.Combine(dir.FullName, "path.png");
            var (code, _, err) = CliRunner.Run("minimize", "--function", "himmelblau", "--optimizer", "momentum", "--lr", "0.001", "--steps", "200", "--start", "-1,1", "--plot", png);
            Assert.True(code == 0, err);
            // A PNG (its signature) of the contour chart's default size (its IHDR chunk: width and height, big-endian).
            byte[] bytes = File.ReadAllBytes(png);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], bytes[..8]);
            Assert.Equal((960, 760), (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20))));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void UnknownNamesGetADidYouMeanAndExitCodeTwo()
    {
        var (code, _, err) = CliRunner.Run("minimize", "--function", "rosenbrok");
        Assert.Equal(2, code);
        Assert.Contains("rosenbrock", err);
        (code, _, err) = CliRunner.Run("minimize", "--optimizer", "adamm");
        Assert.Equal(2, code);
        Assert.Contains("Did you mean 'adam'", err);
        (code, _, err) = CliRunner.Run("train", "--dataset", "irsi");
        Assert.Equal(2, code);
        Assert.Contains("iris", err);
    }

    [Fact]
    public void BadArgumentsGiveAMessageNotAStackTrace()
    {
        var (code, _, err) = CliRunner.Run("minimize", "--steps", "0");
        Assert.Equal(2, code);
        Assert.Contains("--steps must be >= 1, got 0", err);
        Assert.DoesNotContain("   at ", err);
        (code, _, err) = CliRunner.Run("minimize", "--optimizer", "adam", "--rho", "0.5");
        Assert.Equal(2, code);
        Assert.Contains("--rho does not apply to adam", err);
        (code, _, err) = CliRunner.Run("minimize", "--optimizer", "gd", "--lr", "-1");
        Assert.Equal(2, code); // an out-of-range hyperparameter is a usage error like any other: one line, exit 2
        Assert.Contains("--lr must be >= 0 and finite, got -1 (gd)", err);
        Assert.DoesNotContain("   at ", err);
        (code, _, err) = CliRunner.Run("minimize", "--optimizer", "adam", "--amsgrad", "2");
        Assert.Equal(2, code);
        Assert.Contains("--amsgrad is a flag: 0 or 1, got 2", err);
        (code, _, err) = CliRunner.Run("minimize", "--optimizer", "momentum", "--momentum", "0");
        Assert.Equal(2, code); // momentum without momentum is plain gradient descent: say so rather than run it
        Assert.Contains("momentum must be > 0", err);
        (code, _, _) = CliRunner.Run("minimize", "--steps", "many");
        Assert.Equal(2, code);
        (code, _, _) = CliRunner.Run("frobnicate");
        Assert.Equal(2, code);
    }

    [Fact]
    public void TrainOnIrisPrintsJsonResults()
    {
        var (code, output, err) = CliRunner.Run("train", "--dataset", "iris", "--model", "mlp", "--epochs", "15", "--batch-size", "16", "--lr", "0.01", "--json");
        Assert.True(code == 0, err);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(15, json.GetProperty("epochs").GetInt32());
        Assert.True(json.GetProperty("test_accuracy").GetDouble() > 0.85);
        // seconds_per_epoch is the mean of the epochs' own times.
        var seconds = json.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("seconds").GetDouble()).ToArray();
        Assert.Equal(15, seconds.Length);
        Assert.Equal(seconds.Average(), json.GetProperty("seconds_per_epoch").GetDouble(), 1e-12);
    }

    [Fact]
    public void TrainResumesFromItsCheckpoint()
    {
        var dir = Directory.CreateTempSubdirectory("descent-cli-");
        try
        {
            string[] common = ["train", "--dataset", "wine", "--model", "linear", "--optimizer", "momentum", "--batch-size", "32", "--checkpoint", dir.FullName, "--json"];
            var (code, _, err) = CliRunner.Run([.. common, "--epochs", "2"]);
            Assert.True(code == 0, err);
            (code, var resumed, err) = CliRunner.Run([.. common, "--epochs", "4", "--resume"]);
            Assert.True(code == 0, err);
            var straightDir = Directory.CreateTempSubdirectory("descent-cli-");
            var (_, straight, _) = CliRunner.Run(["train", "--dataset", "wine", "--model", "linear", "--optimizer", "momentum", "--batch-size", "32", "--checkpoint", straightDir.FullName, "--json", "--epochs", "4"]);
            straightDir.Delete(true);
            double Loss(string s) => JsonDocument.Parse(s).RootElement.GetProperty("test_loss").GetDouble();
            Assert.Equal(Loss(straight), Loss(resumed));
            var epochs = JsonDocument.Parse(resumed).RootElement.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("epoch").GetInt32());
            Assert.Equal([3, 4], epochs);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void CnnNeedsImages()
    {
        var (code, _, err) = CliRunner.Run("train", "--dataset", "iris", "--model", "cnn");
        Assert.Equal(2, code);
        Assert.Contains("image", err);
    }
}
