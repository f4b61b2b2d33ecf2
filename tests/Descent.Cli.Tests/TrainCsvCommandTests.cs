namespace Descent.Cli.Tests;

/// <summary><c>descent train --dataset PATH.csv</c>: a first line of numbers is data, a first line of names is the header.</summary>
public sealed class TrainCsvCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("descent-cli-csv-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(string name, bool header)
    {
        var lines = Enumerable.Range(0, 40).Select(i => $"{i % 2 + 0.01 * i},{0.5 - 0.01 * i},{i % 2}");
        string path = Path.Combine(_dir.FullName, name);
        File.WriteAllLines(path, header ? ["x,y,label", .. lines] : lines);
        return path;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_row_of_data_is_kept_with_or_without_a_header(bool header)
    {
        string path = Write(header ? "named.csv" : "bare.csv", header);

        var data = Catalog.DataCatalog.Load(path, seed: 0);

        Assert.Equal((32, 8), (data.Train.Count, data.Test.Count)); // 40 rows, split 80/20
        Assert.Equal(2, data.NumClasses);
        var (code, _, err) = CliRunner.Run("train", "--dataset", path, "--model", "linear", "--epochs", "1", "--json");
        Assert.True(code == 0, err);
    }
}
