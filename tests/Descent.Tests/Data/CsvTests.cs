using System.IO.Compression;
using Descent.Data;
using Descent.Tests.IO;

namespace Descent.Tests.Data;

public class CsvTests
{
    private static LabeledData Read(string text, bool? hasHeader = true, string? labelColumn = null, int labelIndex = -1,
        bool classification = true, DType dtype = DType.Float32, char separator = ',') =>
        Csv.Read(new StringReader(text), "t.csv", hasHeader, labelColumn, labelIndex, classification, dtype, separator);

    [Fact]
    public void HeaderAndLabelByName()
    {
        var d = Read("a, \"label\" ,b\n1.5,1,2\n\n-3e2,0,4\n", labelColumn: "label");
        Assert.Equal([2, 2], d.Features.Shape);
        Assert.Equal(new float[] { 1.5f, 2, -300, 4 }, d.Features.ToArray<float>());
        Assert.Equal(new long[] { 1, 0 }, d.Labels.ToArray<long>());
        Assert.Equal(2, d.NumClasses);
    }

    [Fact]
    public void NoHeaderLabelByIndexFromEitherEnd()
    {
        var d = Read("7;1;2\n8;3;4\n", hasHeader: false, labelIndex: 0, separator: ';');
        Assert.Equal(new long[] { 7, 8 }, d.Labels.ToArray<long>());
        Assert.Equal(new float[] { 1, 2, 3, 4 }, d.Features.ToArray<float>());
        d = Read("7;1;2\n8;3;4\n", hasHeader: false, labelIndex: -2, separator: ';');
        Assert.Equal(new long[] { 1, 3 }, d.Labels.ToArray<long>());
    }

    [Fact]
    public void DetectsAHeaderWhenAskedTo()
    {
        var withHeader = Read("x,label\n1,0\n2,1\n", hasHeader: null, labelColumn: "label");
        Assert.Equal(2, withHeader.Count);
        var without = Read("1e-3,0\n2,1\n", hasHeader: null);
        Assert.Equal(new float[] { 1e-3f, 2 }, without.Features.ToArray<float>());
        var e = Assert.Throws<ArgumentException>(() => Read("1,0\n2,1\n", hasHeader: null, labelColumn: "label"));
        Assert.Contains("first line of t.csv is numbers", e.Message);
    }

    [Fact]
    public void RegressionTargetsAndFloat64()
    {
        var d = Read("x,y\n0.1,2.5\n0.2,-1\n", classification: false, dtype: DType.Float64);
        Assert.Equal(DType.Float64, d.Features.DType);
        Assert.Equal(new[] { 2.5, -1 }, d.Labels.ToArray<double>());
        Assert.Equal(new[] { 0.1, 0.2 }, d.Features.ToArray<double>());
        Assert.Equal(0, d.NumClasses);
    }

    [Fact]
    public void ReadsGzippedFiles()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "t.csv.gz");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        using (var w = new StreamWriter(gz)) w.Write("f,label\n1,0\n2,1\n");
        var d = Csv.Read(path, labelColumn: "label");
        Assert.Equal(new float[] { 1, 2 }, d.Features.ToArray<float>());
    }

    private static byte[] Gzip(string text)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(System.Text.Encoding.UTF8.GetBytes(text));
        return ms.ToArray();
    }

    [Fact]
    public void EveryCutOfAGzipFileIsAnErrorNamingTheFile()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "t.csv.gz");
        var text = new System.Text.StringBuilder("x,y,label\n");
        for (int i = 0; i < 300; i++) text.Append($"{i * 37 % 101},{i * 7919 % 1009},{i % 3}\n");
        var full = Gzip(text.ToString());
        for (int cut = 0; cut < full.Length; cut++)
        {
            File.WriteAllBytes(path, full[..cut]);
            var e = Assert.Throws<InvalidDataException>(() => Csv.Read(path));
            Assert.StartsWith(path, e.Message);
        }
        File.WriteAllBytes(path, full);
        Assert.Equal(300, Csv.Read(path).Count);
    }

    [Fact]
    public void ConcatenatedGzipMembersReadAsOneFileAndEachIsChecked()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, "t.csv.gz");
        byte[] first = Gzip("f,label\n1,0\n2,1\n"), second = Gzip("3,0\n4,1\n5,0\n");
        File.WriteAllBytes(path, [.. first, .. second]);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5 }, Csv.Read(path).Features.ToArray<float>());
        File.WriteAllBytes(path, [.. first, .. second[..^3]]);
        Assert.Contains("truncated or corrupt gzip data", Assert.Throws<InvalidDataException>(() => Csv.Read(path)).Message);
        var badCrc = first.ToArray();
        badCrc[^8] ^= 1;
        File.WriteAllBytes(path, badCrc);
        Assert.StartsWith($"{path}: corrupt gzip data", Assert.Throws<InvalidDataException>(() => Csv.Read(path)).Message);
        File.WriteAllBytes(path, [.. first, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // not gzip after the end: GZipStream would ignore it
        Assert.StartsWith($"{path}: truncated or corrupt gzip data", Assert.Throws<InvalidDataException>(() => Csv.Read(path)).Message);
    }

    // A first line that can be data is data, however its numbers are written.
    [Theory]
    [InlineData("\"1.5\",2,0")]
    [InlineData("1.5e0,2,0")]
    [InlineData(" 1.5 , 2 ,0")]
    [InlineData("+1.5,+2,0")]
    [InlineData("1.5,2E0,\" 0 \"")]
    public void AHeaderlessFileKeepsItsFirstRow(string first)
    {
        var d = Read(first + "\n3,4,1\n", hasHeader: null);
        Assert.Equal(new float[] { 1.5f, 2, 3, 4 }, d.Features.ToArray<float>());
        Assert.Equal(new long[] { 0, 1 }, d.Labels.ToArray<long>());
    }

    // A first line with a missing, infinite or mis-written value is still data: the error is on line 1, not a lost row.
    [Theory]
    [InlineData("1,inf,0\n3,4,1\n", ',', "t.csv, line 1, column 2: \"inf\" is not a finite number")]
    [InlineData("1,-Inf,0\n3,4,1\n", ',', "t.csv, line 1, column 2: \"-Inf\" is not a finite number")]
    [InlineData("NaN,2,0\n3,4,1\n", ',', "t.csv, line 1, column 1: \"NaN\" is not a finite number")]
    [InlineData("1,NA,0\n3,4,1\n", ',', "t.csv, line 1, column 2: \"NA\" is not a finite number")]
    [InlineData("1,?,0\n3,4,1\n", ',', "t.csv, line 1, column 2: \"?\" is not a finite number")]
    [InlineData("1,2,0,\n3,4,1,\n", ',', "t.csv, line 1, column 4: \"\" is not a finite number")]
    [InlineData("1,5;2;0\n3;4;1\n", ';', "t.csv, line 1, column 1: \"1,5\" is not a finite number")]
    [InlineData("1 000,2,0\n3,4,1\n", ',', "t.csv, line 1, column 1: \"1 000\" is not a finite number")]
    public void AFirstLineThatCanBeDataIsData(string text, char separator, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Read(text, hasHeader: null, separator: separator));
        Assert.Contains(expected, e.Message);
    }

    // A first line is a header when one of its fields is a name: a letter, and neither a number nor a missing-value word.
    [Theory]
    [InlineData("x,y,label")]
    [InlineData(",y,label")] // pandas' unnamed index column
    [InlineData("1,y,2")]
    [InlineData("nan_count,inf,label")]
    [InlineData("\"sepal length (cm)\",2,0")]
    public void AFirstLineThatCannotBeDataIsAHeader(string first)
    {
        var d = Read(first + "\n1.5,2,0\n3,4,1\n", hasHeader: null);
        Assert.Equal(2, d.Count);
        Assert.Equal(new float[] { 1.5f, 2, 3, 4 }, d.Features.ToArray<float>());
    }

    [Theory]
    [InlineData("a,b\n1,2\nx,3\n", "t.csv, line 3, column 1: \"x\" is not a finite number")]
    [InlineData("a,b\n1,2\n3,\n", "t.csv, line 3, column 2: \"\" is not a finite number")]
    [InlineData("a,b\n1,2\n3,NaN\n", "line 3, column 2: \"NaN\" is not a finite number")]
    [InlineData("a,b\n1,2\n\n3,4,5\n", "t.csv, line 4: 3 fields, expected 2 as on line 1")]
    [InlineData("a,b\n1,2.5\n", "t.csv, line 2, column 2: label 2.5 is not a class index")]
    [InlineData("a,b\n1,-1\n", "line 2, column 2: label -1 is not a class index")]
    [InlineData("a,b\n", "t.csv: no data rows")]
    [InlineData("", "t.csv: no data rows")]
    public void ParsingErrorsNameTheLineAndColumn(string text, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Read(text));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ArgumentErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => Read("a,b\n1,2\n", labelColumn: "c"));
        Assert.Contains("no column \"c\"; its columns are \"a\", \"b\"", e.Message);
        e = Assert.Throws<ArgumentException>(() => Read("1,2\n", hasHeader: false, labelColumn: "a"));
        Assert.Contains("needs a header", e.Message);
        var r = Assert.Throws<ArgumentOutOfRangeException>(() => Read("a,b\n1,2\n", labelIndex: 2));
        Assert.Contains("labelIndex must be in [-2, 1]", r.Message);
        e = Assert.Throws<ArgumentException>(() => Read("a,b\n1,2\n", dtype: DType.Int64));
        Assert.Contains("dtype must be Float32 or Float64, got int64", e.Message);
    }
}
