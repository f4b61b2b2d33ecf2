using Descent.Data;

namespace Descent.Cli.Catalog;

/// <summary>A data set split for training: standardised inputs, int64 labels, and the shape of one image when it is one.</summary>
internal sealed record PreparedData(string Name, LabeledData Train, LabeledData Test, int NumClasses, (int C, int H, int W)? Image);

/// <summary>Loads the data sets the command line knows by name, or a CSV file by path.</summary>
internal static class DataCatalog
{
    public static IReadOnlyList<string> Names { get; } = ["mnist", .. Tables.Names];

    /// <summary>Loads and prepares a data set; tables and CSV files are split 80/20 with <paramref name="seed"/>.</summary>
    public static PreparedData Load(string name, long seed, string? labelColumn = null)
    {
        if (name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(name)) throw new UsageException($"--dataset: file '{name}' does not exist");
            // The reader decides whether the first line names the columns (it does when it cannot be data); --label needs it to.
            var csv = Cli.ReadFile("--dataset", name, () => ReadCsv(name, labelColumn));
            if (csv.Count < 2)
                throw new InvalidDataException($"--dataset: {name} has {csv.Count} data row; training needs at least 2 (one to train on and one to test on)");
            return Prepare(Path.GetFileNameWithoutExtension(name), csv, seed, null);
        }
        if (labelColumn is not null) throw new UsageException($"--label names the label column of a CSV file; --dataset {name} is a built-in data set");
        var known = Names.ToDictionary(n => n, n => n, StringComparer.OrdinalIgnoreCase);
        string resolved = Descent.Cli.Names.Resolve("dataset", name, known);
        if (resolved == "mnist")
        {
            // Flat rows [N, 784], as the tables' (the cnn's Unflatten makes them images again).
            var train = Mnist.Load(train: true, flatten: true);
            var test = Mnist.Load(train: false, flatten: true);
            // One mean and standard deviation over all training pixels, as the usual Normalize((0.1307,), (0.3081,)).
            var scaler = new StandardScaler(perFeature: false).Fit(train.Features);
            return new PreparedData("mnist", train with { Features = scaler.Transform(train.Features) },
                test with { Features = scaler.Transform(test.Features) }, 10, (1, 28, 28));
        }
        var table = Tables.Load(resolved);
        return Prepare(resolved, table, seed, resolved == "digits" ? (1, 8, 8) : null);
    }

    private static LabeledData ReadCsv(string path, string? labelColumn)
    {
        try
        {
            return Csv.Read(path, hasHeader: null, labelColumn: labelColumn);
        }
        catch (ArgumentException e) when (e.ParamName == "labelColumn")
        {
            // The reader's words for its arguments (labelColumn, labelIndex) are not the command line's.
            throw new UsageException(e.Message.Contains("needs a header line", StringComparison.Ordinal)
                ? $"--label {labelColumn}: the first line of {path} is numbers, not column names; without --label the label is the last column"
                : $"--label: {Cli.OneLine(e)}");
        }
    }

    private static PreparedData Prepare(string name, LabeledData data, long seed, (int, int, int)? image)
    {
        if (data.Labels.DType != DType.Int64)
            throw new UsageException($"--dataset {name}: the label column holds non-integer values; training here is classification");
        var (train, test) = Split.TrainValidation(data, 0.2, seed);
        var scaler = new StandardScaler().Fit(train.Features);
        return new PreparedData(name, train with { Features = scaler.Transform(train.Features) },
            test with { Features = scaler.Transform(test.Features) }, data.NumClasses, image);
    }
}
