using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using Descent.Cli.Bench;
using Descent.Kernels;
using Spectre.Console;

namespace Descent.Cli.Tests;

/// <summary>
/// `descent bench`: the output's structure, and the figures through what ties them together (bytes moved per parameter,
/// samples per epoch) or bounds them (what the hardware can do), never a timing itself.
/// </summary>
public class BenchCommandTests
{
    /// <summary>
    /// Timed figures on a shared machine can be slow by any factor, so lower bounds only catch a units slip (µs taken for
    /// s, bytes for GB): a factor of 10⁵.
    /// </summary>
    private const double UnitsSlip = 1e5;

    [Fact]
    public void OptimReportsOneRowPerOptimizerWithConsistentFigures()
    {
        var (code, output, err) = CliRunner.Run("bench", "optim", "--params", "100000", "--tensors", "3", "--optimizer", "adam,gd", "--threads", "1", "--json");
        Assert.True(code == 0, err);
        var rows = JsonDocument.Parse(output).RootElement.EnumerateArray().ToList();
        Assert.Equal(["adam", "gd"], rows.Select(r => r.GetProperty("optimizer").GetString()));
        // The bytes each update must move per float32 parameter: Adam reads p, g, m, v and writes p, m, v; plain gradient descent reads p, g
        // and writes p. GB/s is those bytes over the ns per parameter.
        var bytesPerParam = new Dictionary<string, double> { ["adam"] = 7 * 4, ["gd"] = 3 * 4 };
        double machineTriad = rows[0].GetProperty("triad_gb_per_s").GetDouble();
        foreach (var r in rows)
        {
            Assert.Equal(100000, r.GetProperty("params").GetInt64());
            Assert.Equal(3, r.GetProperty("tensors").GetInt32());
            Assert.Equal(1, r.GetProperty("threads").GetInt32());
            double ns = r.GetProperty("ns_per_param").GetDouble(), best = r.GetProperty("gb_per_s").GetDouble();
            double bytes = bytesPerParam[r.GetProperty("optimizer").GetString()!];
            Assert.Equal(bytes, ns * best, 1e-9 * bytes);
            Assert.InRange(r.GetProperty("median_gb_per_s").GetDouble(), best / UnitsSlip, best); // a median is at most the best
            Assert.Equal(machineTriad, r.GetProperty("triad_gb_per_s").GetDouble()); // one machine figure for every row
            Assert.InRange(r.GetProperty("median_triad_gb_per_s").GetDouble(), machineTriad / UnitsSlip, machineTriad);
            Assert.True(r.GetProperty("repetitions").GetInt32() >= 5);
        }
    }

    [Fact]
    public void SparseAdamAddsARowSparseLineBesideDenseAdamOnTheSameTable()
    {
        var (code, output, err) = CliRunner.Run("bench", "optim", "--params", "1000", "--optimizer", "sparseadam", "--sparse-rows", "20000",
            "--sparse-dim", "8", "--sparse-touched", "100", "--threads", "1", "--json");
        Assert.True(code == 0, err);
        var rows = JsonDocument.Parse(output).RootElement.EnumerateArray().ToList();
        Assert.Equal(["dense", "row-sparse"], rows.Select(r => r.GetProperty("kind").GetString()));
        var s = rows[1];
        Assert.Equal("sparseadam", s.GetProperty("optimizer").GetString());
        Assert.Equal(20000, s.GetProperty("table_rows").GetInt32());
        Assert.Equal(8, s.GetProperty("dim").GetInt32());
        Assert.Equal(100, s.GetProperty("touched_rows").GetInt32());
        // GB/s is the bytes each step must move over its time: 28 per element of a touched row and 8 per row index for
        // SparseAdam, 28 per element of the whole table for Adam.
        double sparseBytes = 28.0 * 100 * 8 + 8 * 100, denseBytes = 28.0 * 20000 * 8;
        Assert.Equal(sparseBytes, s.GetProperty("gb_per_s").GetDouble() * 1e9 * s.GetProperty("ms_per_step").GetDouble() / 1e3, 1e-6 * sparseBytes);
        Assert.Equal(denseBytes, s.GetProperty("dense_adam_gb_per_s").GetDouble() * 1e9 * s.GetProperty("dense_adam_ms_per_step").GetDouble() / 1e3, 1e-6 * denseBytes);
        Assert.True(s.GetProperty("triad_gb_per_s").GetDouble() > 0);
        Assert.True(s.GetProperty("repetitions").GetInt32() >= 5);
    }

    [Fact]
    public void OptimRestoresTheThreadCount()
    {
        int before = Parallelism.MaxThreads;
        var (code, _, err) = CliRunner.Run("bench", "optim", "--params", "1000", "--optimizer", "gd", "--threads", before == 1 ? "2" : "1", "--json");
        Assert.True(code == 0, err);
        Assert.Equal(before, Parallelism.MaxThreads);
    }

    [Fact]
    public void TableOutputNamesEveryOptimizer()
    {
        // AnsiConsole keeps the writer it first saw, so give it one for this test.
        var (old, writer) = (AnsiConsole.Console, new StringWriter());
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) });
        int code;
        string err;
        try
        {
            (code, _, err) = CliRunner.Run("bench", "optim", "--params", "1000", "--optimizer", "rmsprop,adagrad");
        }
        finally
        {
            AnsiConsole.Console = old;
        }
        Assert.True(code == 0, err);
        string output = writer.ToString();
        Assert.Contains("rmsprop", output);
        Assert.Contains("adagrad", output);
        Assert.Contains("triad", output);
        Assert.DoesNotContain("Row-sparse", output); // only with sparseadam among the optimizers
    }

    [Fact]
    public void TheModelLayoutIsUsedFor16MParametersIn200Tensors()
    {
        var sizes = OptimizerBench.Layout(1 << 24, 200);
        Assert.Equal(200, sizes.Length);
        Assert.Equal(1L << 24, sizes.Sum(s => (long)s));
        // bench/model_sizes.txt is a real model's layout: its tensors differ in size, unlike an equal split.
        Assert.NotEqual(sizes.Min(), sizes.Max());
        var equal = OptimizerBench.Layout(10, 3);
        Assert.Equal([4, 3, 3], equal);
    }

    [Fact]
    public void MatmulReportsTheGivenSizesAndTheMlpShapes()
    {
        var (code, output, err) = CliRunner.Run("bench", "matmul", "--n", "64", "--threads", "1", "--json");
        Assert.True(code == 0, err);
        var rows = JsonDocument.Parse(output).RootElement.EnumerateArray().ToList();
        Assert.Equal(["64x64x64", "128x784x256", "128x256x128", "128x128x10"], rows.Select(r => r.GetProperty("shape").GetString()));
        // One peak for every row, within what a core's vectors can do (two FMAs per cycle, at most 6 GHz, 16 float32 lanes
        // with AVX-512, else 8), and so is every product. The peak and a product are timed at different moments, so on a
        // shared machine either may be the slower: each is bounded by the hardware, not by the other.
        double lanes = Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? 16 : 8;
        double hardware = 2 * lanes * 2 * 6;
        double peak = rows[0].GetProperty("peak_gflops").GetDouble();
        Assert.InRange(peak, hardware / UnitsSlip, hardware);
        foreach (var r in rows)
        {
            Assert.Equal(1, r.GetProperty("threads").GetInt32());
            Assert.Equal(peak, r.GetProperty("peak_gflops").GetDouble());
            Assert.InRange(r.GetProperty("gflops").GetDouble(), hardware / UnitsSlip, hardware);
        }
    }

    [Fact]
    public void TrainExtrapolatesAnEpochFromAFewBatches()
    {
        var (code, output, err) = CliRunner.Run("bench", "train", "--model", "mlp", "--batches", "3", "--batch-size", "64", "--json");
        Assert.True(code == 0, err);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal("mlp", json.GetProperty("model").GetString());
        Assert.Equal(64, json.GetProperty("batch_size").GetInt32());
        Assert.Equal(3, json.GetProperty("batches").GetInt32());
        // The epoch is extrapolated from the timed samples: samples/s × s/epoch is MNIST's 60,000 training images.
        double epoch = json.GetProperty("seconds_per_epoch").GetDouble(), rate = json.GetProperty("samples_per_s").GetDouble();
        Assert.Equal(60000, rate * epoch, 1e-9 * 60000);
    }

    [Fact]
    public void TrainComparesThreadCountsInOneRun()
    {
        int before = Parallelism.MaxThreads;
        var (code, output, err) = CliRunner.Run("bench", "train", "--model", "mlp", "--batches", "2", "--batch-size", "32", "--threads", "1,2", "--repetitions", "2", "--json");
        Assert.True(code == 0, err);
        Assert.Equal(before, Parallelism.MaxThreads);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(1, json.GetProperty("threads").GetInt32());
        Assert.Equal(2, json.GetProperty("repetitions").GetInt32());
        var results = json.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal([1, 2], results.Select(r => r.GetProperty("threads").GetInt32()));
        foreach (var r in results)
        {
            Assert.True(r.GetProperty("seconds_per_epoch").GetDouble() > 0);
            Assert.Equal(2, r.GetProperty("run_seconds_per_epoch").GetArrayLength());
        }
        var ratio = json.GetProperty("ratios").EnumerateArray().Single();
        Assert.Equal(2, ratio.GetProperty("threads").GetInt32());
        Assert.Equal(1, ratio.GetProperty("base_threads").GetInt32());
        Assert.True(ratio.GetProperty("min").GetDouble() is > 0 and var min && min <= ratio.GetProperty("median").GetDouble());
        Assert.True(ratio.GetProperty("median").GetDouble() <= ratio.GetProperty("max").GetDouble());
        Assert.Equal(2, ratio.GetProperty("per_repetition").GetArrayLength());
        Assert.True(ratio.GetProperty("of_best").GetDouble() > 0);
    }

    [Theory]
    [InlineData("bench", "optim", "--params", "0")]
    [InlineData("bench", "optim", "--params", "10", "--tensors", "11")]
    [InlineData("bench", "optim", "--optimizer", "adamm")]
    [InlineData("bench", "optim", "--threads", "0")]
    [InlineData("bench", "optim", "--optimizer", "sparseadam", "--sparse-touched", "0")]
    [InlineData("bench", "optim", "--optimizer", "sparseadam", "--sparse-rows", "10", "--sparse-touched", "11")]
    [InlineData("bench", "matmul", "--n", "0")]
    [InlineData("bench", "matmul", "--n", "abc")]
    [InlineData("bench", "train", "--model", "linear")]
    [InlineData("bench", "train", "--batch-size", "0")]
    [InlineData("bench", "train", "--batches", "0")]
    [InlineData("bench", "train", "--threads", "0")]
    [InlineData("bench", "train", "--threads", "1,x")]
    [InlineData("bench", "train", "--threads", ",")]
    [InlineData("bench", "train", "--repetitions", "0")]
    [InlineData("bench", "sideways")]
    public void BadArgumentsAreUsageErrors(params string[] args)
    {
        var (code, _, err) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.False(string.IsNullOrWhiteSpace(err));
    }
}
