using System.Globalization;

namespace Descent.Data;

/// <summary>
/// The small classic tables of the UCI Machine Learning Repository, as scikit-learn ships them, from the repository's
/// <c>data/uci</c> folder (or an explicit path). Features are float32 [N, F], labels int64 class indices [N].
/// </summary>
public static class Tables
{
    /// <summary>The names <see cref="Load"/> accepts: "iris", "wine", "digits", "breast-cancer".</summary>
    public static IReadOnlyList<string> Names { get; } = ["iris", "wine", "digits", "breast-cancer"];

    /// <summary>Iris: 150 flowers, 4 measurements (sepal and petal length and width, cm), 3 species.</summary>
    /// <param name="path">The CSV file; null to use <c>data/uci/iris.csv</c>.</param>
    public static LabeledData Iris(string? path = null) => ReadSklearnCsv(path ?? DataFiles.Find("uci/iris.csv"));

    /// <summary>Wine: 178 wines, 13 chemical measurements, 3 cultivars.</summary>
    /// <param name="path">The CSV file; null to use <c>data/uci/wine_data.csv</c>.</param>
    public static LabeledData Wine(string? path = null) => ReadSklearnCsv(path ?? DataFiles.Find("uci/wine_data.csv"));

    /// <summary>Breast cancer (Wisconsin diagnostic): 569 tumours, 30 features of cell nuclei, 2 classes (malignant, benign).</summary>
    /// <param name="path">The CSV file; null to use <c>data/uci/breast_cancer.csv</c>.</param>
    public static LabeledData BreastCancer(string? path = null) => ReadSklearnCsv(path ?? DataFiles.Find("uci/breast_cancer.csv"));

    /// <summary>Digits: 1,797 handwritten digits as 8×8 pixels with values 0–16 (64 features), 10 classes.</summary>
    /// <param name="path">The CSV file (gzipped or not, no header, 64 pixels then the label); null to use <c>data/uci/digits.csv.gz</c>.</param>
    public static LabeledData Digits(string? path = null)
    {
        path ??= DataFiles.Find("uci/digits.csv.gz");
        using var reader = new StreamReader(DataFiles.OpenMaybeGzip(path));
        var rows = Csv.ParseRows(reader, path, hasHeader: false, separator: ',');
        if (rows.Columns != 65) throw new InvalidDataException($"{path}: {rows.Columns} columns, expected 65 (64 pixels and the label)");
        var names = Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        return Csv.ToLabeledData(rows, label: 64, classification: true, DType.Float32, path, names);
    }

    /// <summary>One of the tables by name (see <see cref="Names"/>; case-insensitive, '_' and '-' alike).</summary>
    /// <param name="name">"iris", "wine", "digits" or "breast-cancer".</param>
    /// <param name="path">An explicit file; null to use the one in <c>data/uci</c>.</param>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static LabeledData Load(string name, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant().Replace('_', '-') switch
        {
            "iris" => Iris(path),
            "wine" => Wine(path),
            "digits" => Digits(path),
            "breast-cancer" => BreastCancer(path),
            _ => throw new ArgumentException($"unknown table \"{name}\"; known: {string.Join(", ", Names)}", nameof(name)),
        };
    }

    // scikit-learn's format: "n_samples,n_features,class names…", then rows of the features and the class index.
    private static LabeledData ReadSklearnCsv(string path)
    {
        using var reader = new StreamReader(DataFiles.OpenMaybeGzip(path));
        string first = reader.ReadLine() ?? throw new InvalidDataException($"{path}: empty file");
        var head = first.Split(',').Select(s => s.Trim()).ToArray();
        if (head.Length < 3 || !int.TryParse(head[0], NumberStyles.None, CultureInfo.InvariantCulture, out int samples)
            || !int.TryParse(head[1], NumberStyles.None, CultureInfo.InvariantCulture, out int features))
            throw new InvalidDataException($"{path}, line 1: expected \"n_samples,n_features,class names…\", got \"{first}\"");
        var classNames = head[2..];
        var rows = Csv.ParseRows(reader, path, hasHeader: false, separator: ',', firstLineNumber: 2);
        if (rows.Columns != features + 1)
            throw new InvalidDataException($"{path}: {rows.Columns} columns, expected {features + 1} ({features} features and the label, as line 1 says)");
        if (rows.Values.Count != samples)
            throw new InvalidDataException($"{path}: {rows.Values.Count} rows, expected {samples} as line 1 says");
        return Csv.ToLabeledData(rows, label: features, classification: true, DType.Float32, path, classNames);
    }
}
