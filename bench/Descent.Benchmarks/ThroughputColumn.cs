using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Descent.Benchmarks;

/// <summary>Bytes one element of the output costs in memory traffic (read + written), for a GB/s figure.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class BytesPerElementAttribute(int bytes) : Attribute
{
    public int Bytes { get; } = bytes;
}

/// <summary>
/// GFLOP/s for benchmarks with a GEMM <c>Shape</c> parameter (2·m·n·k flops), GB/s for benchmarks with an element count
/// <c>N</c> and a <see cref="BytesPerElementAttribute"/>; computed from the mean time.
/// </summary>
internal sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "Throughput";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => false;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "GFLOP/s (matrix products) or GB/s (elementwise) at the mean time";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        if (stats is null) return "-";
        double seconds = stats.Mean / 1e9;
        foreach (var p in benchmarkCase.Parameters.Items)
        {
            if (p.Name == "Shape" && p.Value is MatMulShape shape)
                return (2.0 * shape.M * shape.N * shape.K / seconds / 1e9).ToString("F1", CultureInfo.InvariantCulture) + " GFLOP/s";
            if (p.Name == "N" && p.Value is int n
                && benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<BytesPerElementAttribute>() is { } bytes)
                return ((double)n * bytes.Bytes / seconds / 1e9).ToString("F1", CultureInfo.InvariantCulture) + " GB/s";
        }
        return "-";
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
}
