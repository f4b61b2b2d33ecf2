using Descent.Data;
using Descent.Tests.IO;

namespace Descent.Tests.Data;

public class TablesTests
{
    private static long[] Counts(LabeledData d) =>
        Enumerable.Range(0, d.NumClasses).Select(c => (long)d.Labels.ToArray<long>().Count(l => l == c)).ToArray();

    [Fact]
    public void Iris()
    {
        var d = Tables.Iris();
        Assert.Equal([150, 4], d.Features.Shape);
        Assert.Equal(DType.Float32, d.Features.DType);
        Assert.Equal(["setosa", "versicolor", "virginica"], d.ClassNames);
        Assert.Equal(new[] { 5.1f, 3.5f, 1.4f, 0.2f }, d.Features.ToArray<float>()[..4]);
        Assert.Equal(new long[] { 50, 50, 50 }, Counts(d));
        Assert.Equal(0, d.Labels.ToArray<long>()[0]);
        Assert.Equal(2, d.Labels.ToArray<long>()[^1]);
        Assert.Equal(876.5, d.Features.ToDoubleArray().Where((_, i) => i % 4 == 0).Sum(), 3);
    }

    [Fact]
    public void Wine()
    {
        var d = Tables.Wine();
        Assert.Equal([178, 13], d.Features.Shape);
        Assert.Equal(new long[] { 59, 71, 48 }, Counts(d));
        Assert.Equal(14.23f, d.Features.ToArray<float>()[0]);
        Assert.Equal(1065f, d.Features.ToArray<float>()[12]);
    }

    [Fact]
    public void BreastCancer()
    {
        var d = Tables.BreastCancer();
        Assert.Equal([569, 30], d.Features.Shape);
        Assert.Equal(["malignant", "benign"], d.ClassNames);
        Assert.Equal(new long[] { 212, 357 }, Counts(d));
        Assert.Equal(17.99f, d.Features.ToArray<float>()[0]);
    }

    [Fact]
    public void Digits()
    {
        var d = Tables.Digits();
        Assert.Equal([1797, 64], d.Features.Shape);
        Assert.Equal(10, d.NumClasses);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i).ToArray(), d.Labels.ToArray<long>()[..10]);
        Assert.Equal(new long[] { 178, 182, 177, 183, 181, 182, 181, 179, 174, 180 }, Counts(d));
        var px = d.Features.ToArray<float>();
        Assert.Equal(0f, px.Min());
        Assert.Equal(16f, px.Max());
        Assert.Equal(5f, px[2]);
    }

    [Theory]
    [InlineData("iris", 150)]
    [InlineData("WINE", 178)]
    [InlineData("breast_cancer", 569)]
    [InlineData("breast-cancer", 569)]
    [InlineData("digits", 1797)]
    public void LoadByName(string name, int count) => Assert.Equal(count, Tables.Load(name).Count);

    [Fact]
    public void UnknownNameListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tables.Load("mnist2"));
        Assert.Contains("iris, wine, digits, breast-cancer", e.Message);
    }

    [Fact]
    public void ExplicitPathAndFormatErrors()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "t.csv");
        File.WriteAllText(path, "2,2,a,b\n1,2,0\n3,4,1\n");
        var d = Tables.Iris(path);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, d.Features.ToArray<float>());
        Assert.Equal(["a", "b"], d.ClassNames);

        File.WriteAllText(path, "3,2,a,b\n1,2,0\n3,4,1\n");
        Assert.Contains("2 rows, expected 3", Assert.Throws<InvalidDataException>(() => Tables.Iris(path)).Message);
        File.WriteAllText(path, "2,3,a,b\n1,2,0\n3,4,1\n");
        Assert.Contains("3 columns, expected 4", Assert.Throws<InvalidDataException>(() => Tables.Iris(path)).Message);
        File.WriteAllText(path, "2,2,a,b\n1,2,0\n3,4,2\n");
        Assert.Contains("line 3, column 3: label 2 is out of range for 2 classes", Assert.Throws<InvalidDataException>(() => Tables.Wine(path)).Message);
        File.WriteAllText(path, "x,2,a,b\n1,2,0\n");
        Assert.Contains("line 1: expected \"n_samples,n_features", Assert.Throws<InvalidDataException>(() => Tables.Wine(path)).Message);
        File.WriteAllText(path, "1,2,3\n");
        Assert.Contains("3 columns, expected 65", Assert.Throws<InvalidDataException>(() => Tables.Digits(path)).Message);
    }

    [Fact]
    public void MissingDataFolderSaysWhereItLooked()
    {
        var e = Assert.Throws<FileNotFoundException>(() => DataFiles.Find("uci/no-such-table.csv"));
        Assert.Contains("data/uci/no-such-table.csv", e.Message);
        Assert.Contains("DESCENT_DATA", e.Message);
    }
}
