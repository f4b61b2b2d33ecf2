using System.Text.Json;

namespace Descent.Packages.Tests;

/// <summary>
/// The <c>descent</c> tool as a user gets it: installed from the packed feed into a temporary tool path, run in an empty
/// folder far from the repository, so the data sets it trains on must come from inside the tool package.
/// </summary>
[Collection(PackedFeedCollection.Name)]
[Trait("Category", "Packages")]
public sealed class ToolTests(PackedFeed feed)
{
    [Fact]
    public void Lab_quick_writes_the_report_in_an_empty_folder()
    {
        string folder = feed.NewFolder("lab");
        var run = Command.Run(feed.Descent, ["lab", "--quick", "--out", "report"], folder, feed.ConsumerEnvironment);
        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.True(File.Exists(Path.Combine(folder, "report", "index.html")), $"no report/index.html\n{run.Describe()}");
    }

    [Fact]
    public void Train_on_iris_prints_its_accuracy_in_an_empty_folder()
    {
        string folder = feed.NewFolder("train");
        var run = Command.Run(feed.Descent, ["train", "--dataset", "iris", "--epochs", "20", "--seed", "1", "--json"], folder, feed.ConsumerEnvironment);
        Assert.True(run.ExitCode == 0, run.Describe());
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal("iris", json.RootElement.GetProperty("dataset").GetString());
        double accuracy = json.RootElement.GetProperty("test_accuracy").GetDouble();
        Assert.InRange(accuracy, 0.0, 1.0);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder)); // it read the tool's own data and wrote nothing here
    }

    [Fact]
    public void Minimize_runs_in_an_empty_folder()
    {
        string folder = feed.NewFolder("minimize");
        var run = Command.Run(feed.Descent,
            ["minimize", "--function", "rosenbrock", "--optimizer", "adam", "--lr", "0.01", "--steps", "2000", "--json"],
            folder, feed.ConsumerEnvironment);
        Assert.True(run.ExitCode == 0, run.Describe());
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(2000, json.RootElement.GetProperty("iterations").GetInt32());
        Assert.True(double.IsFinite(json.RootElement.GetProperty("loss").GetDouble()), run.Out);
    }

    [Fact]
    public void The_platform_packages_hold_their_own_natives_and_the_data()
    {
        var expected = new Dictionary<string, string[]>
        {
            ["linux-x64"] = ["libSkiaSharp.so", "libHarfBuzzSharp.so"],
            ["win-x64"] = ["libSkiaSharp.dll", "libHarfBuzzSharp.dll"],
            ["osx-arm64"] = ["libSkiaSharp.dylib", "libHarfBuzzSharp.dylib"],
        };
        foreach (var (rid, natives) in expected)
        {
            string package = Path.Combine(feed.Feed, $"Descent.Cli.{rid}.{feed.Version}.nupkg");
            using var zip = System.IO.Compression.ZipFile.OpenRead(package);
            var names = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            string folder = $"tools/net10.0/{rid}/";
            foreach (string file in natives.Concat(["data/uci/iris.csv", "data/uci/digits.csv.gz", "data/mnist/train-images-idx3-ubyte.gz"]))
                Assert.True(names.Contains(folder + file), $"{package} lacks {folder}{file}");
            // No other platform's natives, and not SkiaSharp's 84 MB native PDB for Windows.
            Assert.DoesNotContain(names, n => n.Contains("/runtimes/", StringComparison.Ordinal) || n.EndsWith("libSkiaSharp.pdb", StringComparison.Ordinal));
        }
    }
}
