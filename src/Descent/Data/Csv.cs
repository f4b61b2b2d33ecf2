using System.Globalization;

namespace Descent.Data;

/// <summary>
/// Reads numeric CSV files into features and labels: every column is a number, one column is the label (a class
/// index for classification, a number for regression) and the others are the features. Fields are separated by a
/// single character, may be surrounded by spaces or double quotes, and cannot contain the separator. Empty lines are
/// skipped. Files starting with the gzip magic bytes are decompressed; a gzip stream that ends early, as a truncated
/// file does, is an error.
/// </summary>
public static class Csv
{
    /// <summary>Reads a CSV file (gzipped or not).</summary>
    /// <param name="path">The file.</param>
    /// <param name="hasHeader">True when the first non-empty line names the columns, false when it is data, null (the
    /// default) to decide from the line itself: it is a header only when it cannot be data, that is when one of its
    /// fields holds a letter and is neither a number (<c>1e-3</c>, <c>NaN</c>, <c>Infinity</c>) nor a word that data
    /// files write for a missing or infinite value (<c>NA</c>, <c>N/A</c>, <c>null</c>, <c>None</c>, <c>inf</c>, any case,
    /// signed or not). Otherwise it is data, and a field of it that is not a finite number is an error on that line.</param>
    /// <param name="labelColumn">The label column's name (needs a header); overrides <paramref name="labelIndex"/>.</param>
    /// <param name="labelIndex">The label column's 0-based index; negative counts from the end (-1, the default, is the last column).</param>
    /// <param name="classification">True: labels must be non-negative integers and become int64 class indices. False: float targets of <paramref name="dtype"/>.</param>
    /// <param name="dtype">The features' dtype: Float32 (default) or Float64.</param>
    /// <param name="separator">The field separator.</param>
    /// <exception cref="InvalidDataException">A field is not a finite number, a line has the wrong number of fields, or a
    /// label is not a class index; the message names the file, the line and the (1-based) column. Also a gzip file that
    /// is truncated or corrupt; the message names the file.</exception>
    /// <exception cref="ArgumentException">The label column does not exist, or <paramref name="dtype"/> is not a float type.</exception>
    public static LabeledData Read(string path, bool? hasHeader = null, string? labelColumn = null, int labelIndex = -1,
        bool classification = true, DType dtype = DType.Float32, char separator = ',')
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = new StreamReader(DataFiles.OpenMaybeGzip(path));
        return Read(reader, path, hasHeader, labelColumn, labelIndex, classification, dtype, separator);
    }

    /// <summary>Reads CSV text; see <see cref="Read(string, bool?, string?, int, bool, DType, char)"/>.</summary>
    /// <param name="reader">The text.</param>
    /// <param name="source">The name used in error messages (a file name).</param>
    /// <param name="hasHeader">True when the first non-empty line names the columns, false when it is data, null to decide
    /// from the line (a header only when it cannot be data, as <see cref="Read(string, bool?, string?, int, bool, DType, char)"/> says).</param>
    /// <param name="labelColumn">The label column's name (needs a header); overrides <paramref name="labelIndex"/>.</param>
    /// <param name="labelIndex">The label column's 0-based index; negative counts from the end.</param>
    /// <param name="classification">True for int64 class indices, false for float targets.</param>
    /// <param name="dtype">The features' dtype: Float32 (default) or Float64.</param>
    /// <param name="separator">The field separator.</param>
    public static LabeledData Read(TextReader reader, string source = "csv", bool? hasHeader = null, string? labelColumn = null,
        int labelIndex = -1, bool classification = true, DType dtype = DType.Float32, char separator = ',')
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"dtype must be Float32 or Float64, got {dtype.Name()}", nameof(dtype));
        if (labelColumn is not null && hasHeader == false)
            throw new ArgumentException($"labelColumn \"{labelColumn}\" needs a header line; pass labelIndex instead", nameof(labelColumn));
        var table = ParseRows(reader, source, hasHeader, separator);
        if (labelColumn is not null && table.Header is null)
            throw new ArgumentException($"labelColumn \"{labelColumn}\" needs a header line, and the first line of {source} is numbers; pass labelIndex instead", nameof(labelColumn));
        int columns = table.Columns;
        int label;
        if (labelColumn is not null)
        {
            label = Array.IndexOf(table.Header!, labelColumn);
            if (label < 0)
                throw new ArgumentException($"{source} has no column \"{labelColumn}\"; its columns are {string.Join(", ", table.Header!.Select(h => $"\"{h}\""))}", nameof(labelColumn));
        }
        else
        {
            label = labelIndex < 0 ? columns + labelIndex : labelIndex;
            if (label < 0 || label >= columns)
                throw new ArgumentOutOfRangeException(nameof(labelIndex), labelIndex, $"labelIndex must be in [{-columns}, {columns - 1}] for {source}'s {columns} columns, got {labelIndex}");
        }
        return ToLabeledData(table, label, classification, dtype, source, classNames: []);
    }

    /// <summary>Rows of numbers parsed from CSV text, with the line number of each row for error messages.</summary>
    internal sealed record Rows(string[]? Header, List<double[]> Values, List<int> Lines, int Columns);

    internal static Rows ParseRows(TextReader reader, string source, bool? hasHeader, char separator, int firstLineNumber = 1)
    {
        string[]? header = null;
        var values = new List<double[]>();
        var lines = new List<int>();
        int columns = -1, columnsLine = 0, lineNo = firstLineNumber - 1;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string[] fields = line.Split(separator);
            if (columns < 0) (columns, columnsLine) = (fields.Length, lineNo);
            else if (fields.Length != columns)
                throw new InvalidDataException($"{source}, line {lineNo}: {fields.Length} fields, expected {columns} as on line {columnsLine}");
            if (header is null && values.Count == 0 && (hasHeader ?? !fields.All(CanBeData)))
            {
                header = fields.Select(Unquote).ToArray();
                continue;
            }
            var row = new double[columns];
            for (int c = 0; c < columns; c++)
            {
                string field = Unquote(fields[c]);
                if (!double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                    throw new InvalidDataException($"{source}, line {lineNo}, column {c + 1}: \"{field}\" is not a finite number");
                row[c] = v;
            }
            values.Add(row);
            lines.Add(lineNo);
        }
        if (values.Count == 0) throw new InvalidDataException($"{source}: no data rows");
        return new Rows(header, values, lines, columns);
    }

    // A field that cannot name a column: no letter, a number, or a word for a missing or infinite value. A first line
    // of such fields is data (see Read's hasHeader).
    private static bool CanBeData(string field)
    {
        field = Unquote(field);
        return !field.Any(char.IsLetter)
            || double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            || NumberWords.Contains(field.TrimStart('+', '-'));
    }

    private static readonly HashSet<string> NumberWords = new(["nan", "na", "n/a", "null", "none", "inf", "infinity"], StringComparer.OrdinalIgnoreCase);

    private static string Unquote(string field)
    {
        field = field.Trim();
        return field.Length >= 2 && field[0] == '"' && field[^1] == '"' ? field[1..^1].Trim() : field;
    }

    internal static LabeledData ToLabeledData(Rows table, int label, bool classification, DType dtype, string source, IReadOnlyList<string> classNames)
    {
        int n = table.Values.Count, f = table.Columns - 1;
        var features = new double[n * f];
        var targets = new double[n];
        for (int i = 0; i < n; i++)
        {
            var row = table.Values[i];
            for (int c = 0, j = 0; c < table.Columns; c++)
            {
                if (c == label) targets[i] = row[c];
                else features[i * f + j++] = row[c];
            }
            if (classification && (targets[i] < 0 || targets[i] != Math.Floor(targets[i]) || targets[i] > int.MaxValue))
                throw new InvalidDataException($"{source}, line {table.Lines[i]}, column {label + 1}: label {targets[i].ToString(CultureInfo.InvariantCulture)} is not a class index (a non-negative integer); pass classification: false for regression targets");
            if (classification && classNames.Count > 0 && targets[i] >= classNames.Count)
                throw new InvalidDataException($"{source}, line {table.Lines[i]}, column {label + 1}: label {targets[i]} is out of range for {classNames.Count} classes");
        }
        var x = Tensor.FromArray(features, [n, f]).To(dtype);
        var y = classification ? Tensor.FromArray(Array.ConvertAll(targets, v => (long)v)) : Tensor.FromArray(targets).To(dtype);
        return new LabeledData(x, y, classNames);
    }
}
