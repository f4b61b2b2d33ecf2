using Descent.Cli.Catalog;

namespace Descent.Cli.Tests;

/// <summary>How <c>descent train --dataset PATH.csv</c> reads a CSV file: with or without a header line, and not too small to train on.</summary>
public class CsvDatasetTests
{
    private static string Write(DirectoryInfo dir, string name, string text)
    {
        string path = Path.Combine(dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_headerless_csv_keeps_its_first_row_and_a_header_is_still_read()
    {
        var dir = Directory.CreateTempSubdirectory("descent-cli-");
        try
        {
            const string rows = "5.1,3.5,0\n4.9,3.0,0\n6.2,2.9,1\n5.9,3.0,1\n6.3,2.5,2\n7.1,3.0,2\n5.0,3.6,0\n5.5,2.4,1\n6.4,2.8,2\n5.7,2.8,1\n";
            var data = DataCatalog.Load(Write(dir, "plain.csv", rows), seed: 0);
            Assert.Equal(10, data.Train.Count + data.Test.Count);
            data = DataCatalog.Load(Write(dir, "named.csv", "a,b,label\n" + rows), seed: 0);
            Assert.Equal(10, data.Train.Count + data.Test.Count);
            data = DataCatalog.Load(Write(dir, "first.csv", "label,a,b\n" + string.Join('\n', rows.Split('\n').Select(r => string.Join(',', r.Split(',').Reverse())))), seed: 0, labelColumn: "label");
            Assert.Equal(10, data.Train.Count + data.Test.Count);
            Assert.Equal(3, data.NumClasses);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Theory]
    [InlineData("a,b,label\n5.1,3.5,0\n")]
    [InlineData("5.1,3.5,0\n")]
    public void A_one_row_csv_is_a_one_line_error_naming_the_file(string text)
    {
        var dir = Directory.CreateTempSubdirectory("descent-cli-");
        try
        {
            string path = Write(dir, "one.csv", text);
            var (code, _, err) = CliRunner.Run("train", "--dataset", path, "--model", "linear", "--epochs", "1");
            Assert.Equal(2, code);
            Assert.Equal($"error: --dataset: {path} has 1 data row; training needs at least 2 (one to train on and one to test on){Environment.NewLine}", err);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
