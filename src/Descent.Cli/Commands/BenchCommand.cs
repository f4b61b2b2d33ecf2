using System.CommandLine;
using System.Globalization;
using Descent.Cli.Bench;
using Descent.Cli.Catalog;
using Descent.Kernels;
using Spectre.Console;

namespace Descent.Cli.Commands;

/// <summary>
/// <c>descent bench optim|matmul|train</c>: how fast Descent runs here, each figure beside what the machine can do
/// (stream-triad bandwidth, multiply-add peak) measured in the same process.
/// </summary>
internal static class BenchCommand
{
    public static Command Create() => new("bench", "Measure optimizer steps, matrix products and training speed on this machine")
    {
        Optim(), Matmul(), Train(),
    };

    private static Option<int> ThreadsOption() => new("--threads") { Description = "threads for Descent's kernels (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };

    private static Option<bool> JsonOption() => new("--json") { Description = "print the results as JSON only" };

    private static Command Optim()
    {
        var optimizer = new Option<string>("--optimizer") { Description = $"optimizer, comma-separated list, or all: {string.Join(", ", OptimizerBench.Optimizers.Select(o => o.Name))}", DefaultValueFactory = _ => "all" };
        var parameters = new Option<long>("--params") { Description = "float32 parameters in all", DefaultValueFactory = _ => OptimizerBench.ModelParams };
        var tensors = new Option<int>("--tensors") { Description = $"tensors the parameters are split into ({OptimizerBench.ModelTensors} with 16M parameters: the layout of bench/model_sizes.txt)", DefaultValueFactory = _ => 1 };
        var sparseRows = new Option<int>("--sparse-rows") { Description = "rows of the embedding table of SparseAdam's row-sparse measurement (run when sparseadam is among the optimizers)", DefaultValueFactory = _ => 1_000_000 };
        var sparseDim = new Option<int>("--sparse-dim") { Description = "columns of that table", DefaultValueFactory = _ => 64 };
        var sparseTouched = new Option<int>("--sparse-touched") { Description = "rows its gradient touches per step", DefaultValueFactory = _ => 1000 };
        var (threads, json) = (ThreadsOption(), JsonOption());
        var command = new Command("optim", "Time one optimizer step: ns per parameter and GB/s beside the stream-triad bandwidth; SparseAdam also on a row-sparse gradient beside dense Adam")
            { optimizer, parameters, tensors, sparseRows, sparseDim, sparseTouched, threads, json };
        command.SetAction(r => Cli.Run(() =>
        {
            string[] names = OptimizerNames(r.GetValue(optimizer)!);
            long n = r.GetValue(parameters);
            int k = r.GetValue(tensors);
            if (n < 1) throw new UsageException($"--params must be >= 1, got {n}");
            if (k < 1 || k > n) throw new UsageException($"--tensors must be between 1 and --params ({n}), got {k}");
            if ((n + k - 1) / k > Array.MaxLength) throw new UsageException($"--params {n} in {k} tensors: a tensor would exceed {Array.MaxLength} elements; use more --tensors");
            var (rows, dim, touched) = (r.GetValue(sparseRows), r.GetValue(sparseDim), r.GetValue(sparseTouched));
            if (dim < 1) throw new UsageException($"--sparse-dim must be >= 1, got {dim}");
            if (touched < 1 || touched > rows) throw new UsageException($"--sparse-touched must be between 1 and --sparse-rows ({rows}), got {touched}");
            if ((long)rows * dim > Array.MaxLength) throw new UsageException($"--sparse-rows {rows} × --sparse-dim {dim} exceeds a tensor's {Array.MaxLength} elements");
            var results = WithThreads(r.GetValue(threads), t => OptimizerBench.Run(names, OptimizerBench.Layout(n, k), t, TimeSpan.FromSeconds(1)));
            var sparse = names.Contains("sparseadam")
                ? WithThreads(r.GetValue(threads), t => OptimizerBench.RunSparse(rows, dim, touched, t, TimeSpan.FromSeconds(1)))
                : null;
            if (r.GetValue(json))
            {
                var rowsJson = results.Select(x => (object)new
                {
                    optimizer = x.Optimizer, kind = "dense", @params = x.Params, tensors = x.Tensors, threads = x.Threads,
                    ns_per_param = x.NsPerParam, gb_per_s = x.GbPerS, triad_gb_per_s = x.TriadGbPerS,
                    median_gb_per_s = x.MedianGbPerS, median_triad_gb_per_s = x.MedianTriadGbPerS, repetitions = x.Repetitions,
                }).ToList();
                if (sparse is { } s)
                    rowsJson.Add(new
                    {
                        optimizer = "sparseadam", kind = "row-sparse", table_rows = s.TableRows, dim = s.Dim, touched_rows = s.TouchedRows, threads = s.Threads,
                        ms_per_step = s.SparseSeconds * 1e3, gb_per_s = s.SparseGbPerS, dense_adam_ms_per_step = s.DenseSeconds * 1e3,
                        dense_adam_gb_per_s = s.DenseGbPerS, triad_gb_per_s = s.TriadGbPerS, repetitions = s.Repetitions,
                    });
                Console.WriteLine(Cli.Json(rowsJson));
                return 0;
            }
            var first = results[0];
            AnsiConsole.MarkupLine($"{first.Params:N0} float32 parameters in {first.Tensors} tensor(s), {first.Threads} thread(s); stream triad [bold]{F(first.TriadGbPerS, 1)} GB/s[/] (best pass; one pass after each step)");
            var table = new Table().AddColumns("optimizer", "ms/step", "ns/param", "GB/s", "of triad", "median: of triad", "steps");
            foreach (var x in results)
                table.AddRow(x.Optimizer, F(x.NsPerParam * x.Params / 1e6, 2), F(x.NsPerParam, 3), F(x.GbPerS, 1), F(100 * x.GbPerS / x.TriadGbPerS, 0) + "%",
                    F(100 * x.MedianGbPerS / x.MedianTriadGbPerS, 0) + "%", x.Repetitions.ToString(CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            if (sparse is { } sp) WriteSparse(sp);
            return 0;
        }));
        return command;
    }

    private static void WriteSparse(SparseResult s)
    {
        AnsiConsole.MarkupLine($"Row-sparse: an embedding table of {s.TableRows:N0} × {s.Dim} float32, {s.TouchedRows:N0} rows touched per step, {s.Threads} thread(s); stream triad [bold]{F(s.TriadGbPerS, 1)} GB/s[/]");
        var table = new Table().AddColumns("step", "ms/step", "bytes moved", "GB/s", "of triad");
        table.AddRow("sparseadam (touched rows)", F(s.SparseSeconds * 1e3, 4), F(SparseResult.SparseBytes(s.TouchedRows, s.Dim) / 1e6, 2) + " MB", F(s.SparseGbPerS, 1), F(100 * s.SparseGbPerS / s.TriadGbPerS, 0) + "%");
        table.AddRow("adam (whole table)", F(s.DenseSeconds * 1e3, 4), F(SparseResult.DenseBytes(s.TableRows, s.Dim) / 1e6, 2) + " MB", F(s.DenseGbPerS, 1), F(100 * s.DenseGbPerS / s.TriadGbPerS, 0) + "%");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"SparseAdam's step takes 1/{F(s.DenseSeconds / s.SparseSeconds, 0)} of dense Adam's ({s.Repetitions} steps each)");
    }

    private static Command Matmul()
    {
        var sizes = new Option<int[]>("--n") { Description = "square sizes N (N×N·N×N), default 128 256 512 1024; the MLP's shapes are always measured", AllowMultipleArgumentsPerToken = true };
        var (threads, json) = (ThreadsOption(), JsonOption());
        var command = new Command("matmul", "Float32 matrix-product GFLOP/s beside the measured multiply-add peak") { sizes, threads, json };
        command.SetAction(r => Cli.Run(() =>
        {
            int[] ns = r.GetValue(sizes) is { Length: > 0 } given ? given : [.. MatmulBench.DefaultSizes];
            foreach (int n in ns)
                if (n < 1 || n > 8192) throw new UsageException($"--n must be between 1 and 8192, got {n}");
            var shapes = ns.Select(n => (n, n, n)).Concat(MatmulBench.MlpShapes);
            var results = WithThreads(r.GetValue(threads), t => MatmulBench.Run(shapes, t, TimeSpan.FromSeconds(0.3)));
            if (r.GetValue(json))
            {
                Console.WriteLine(Cli.Json(results.Select(x => new { shape = x.Shape, threads = x.Threads, gflops = x.Gflops, peak_gflops = x.PeakGflops })));
                return 0;
            }
            AnsiConsole.MarkupLine($"float32 C[[M,N]] = A[[M,K]]·B[[K,N]] on {results[0].Threads} thread(s); measured FMA peak [bold]{F(results[0].PeakGflops, 1)} GFLOP/s[/]");
            var table = new Table().AddColumns("M x K x N", "GFLOP/s", "of peak");
            foreach (var x in results) table.AddRow(x.Shape, F(x.Gflops, 1), F(100 * x.Gflops / x.PeakGflops, 0) + "%");
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    private static Command Train()
    {
        var model = new Option<string>("--model") { Description = "model: mlp or cnn (see 'descent train')", DefaultValueFactory = _ => "mlp" };
        var batchSize = new Option<int>("--batch-size") { Description = "samples per step", DefaultValueFactory = _ => 128 };
        var batches = new Option<int?>("--batches") { Description = "time this many steps after warm-up and extrapolate to an epoch (default: a whole epoch)" };
        var threads = new Option<string>("--threads")
        {
            Description = "threads for Descent's kernels, or a comma-separated list (e.g. 1,2) to time each in the same run, interleaved, and print the time ratios to the first (default: all cores)",
            DefaultValueFactory = _ => Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
        };
        var repetitions = new Option<int?>("--repetitions") { Description = "timings of each thread count (default: 3 with several thread counts, else 1)" };
        var json = JsonOption();
        var command = new Command("train", "Seconds per MNIST epoch and samples/s of forward, backward and Adam step (data loading excluded)") { model, batchSize, batches, threads, repetitions, json };
        command.SetAction(r => Cli.Run(() =>
        {
            var known = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["mlp"] = "mlp", ["cnn"] = "cnn" };
            string name = Names.Resolve("model", r.GetValue(model)!, known);
            int b = r.GetValue(batchSize);
            if (b < 1) throw new UsageException($"--batch-size must be >= 1, got {b}");
            if (r.GetValue(batches) is int k && k < 1) throw new UsageException($"--batches must be >= 1, got {k}");
            int[] counts = ThreadCounts(r.GetValue(threads)!);
            int reps = r.GetValue(repetitions) ?? (counts.Length > 1 ? 3 : 1);
            if (reps < 1) throw new UsageException($"--repetitions must be >= 1, got {reps}");
            var results = TrainBench.Run(name, b, r.GetValue(batches), counts, reps);
            var ratios = TrainBench.Ratios(results);
            var x = results[0];
            if (r.GetValue(json))
            {
                // The top-level figures are those of the first thread count; "results" has every thread count.
                Console.WriteLine(Cli.Json(new
                {
                    model = x.Model, batch_size = x.BatchSize, threads = x.Threads, batches = x.TimedBatches,
                    seconds_per_epoch = x.SecondsPerEpoch, samples_per_s = x.SamplesPerS, bytes_per_step = x.BytesPerStep,
                    repetitions = reps,
                    results = results.Select(y => new
                    {
                        threads = y.Threads, seconds_per_epoch = y.SecondsPerEpoch, samples_per_s = y.SamplesPerS,
                        bytes_per_step = y.BytesPerStep, run_seconds_per_epoch = y.RunSeconds,
                    }),
                    ratios = ratios.Select(q => new
                    {
                        threads = q.Threads, base_threads = q.BaseThreads, median = q.Median, min = q.Min, max = q.Max, of_best = q.OfBest,
                        per_repetition = q.PerRepetition,
                    }),
                }));
                return 0;
            }
            var table = new Table().AddColumns("model", "batch", "threads", "timed steps", "s/epoch", "range", "samples/s", "KiB allocated/step");
            foreach (var y in results)
                table.AddRow(y.Model, I(y.BatchSize), I(y.Threads), I(y.TimedBatches), F(y.SecondsPerEpoch, 2),
                    F(y.RunSeconds.Min(), 2) + "–" + F(y.RunSeconds.Max(), 2), F(y.SamplesPerS, 0), F(y.BytesPerStep / 1024.0, 0));
            AnsiConsole.Write(table);
            if (reps > 1) AnsiConsole.MarkupLine($"s/epoch: median of {reps} repetitions, thread counts interleaved");
            foreach (var q in ratios)
                AnsiConsole.MarkupLine($"{q.Threads} threads / {q.BaseThreads}: [bold]{F(q.Median, 2)}×[/] the time (median of {q.PerRepetition.Count} repetitions, range {F(q.Min, 2)}–{F(q.Max, 2)}; best times {F(q.OfBest, 2)}×)");
            return 0;
        }));
        return command;
    }

    /// <summary>One thread count or a comma-separated list of them, each at least 1.</summary>
    private static int[] ThreadCounts(string given)
    {
        var parts = given.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new UsageException("--threads needs a number or a comma-separated list of numbers");
        var counts = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out counts[i]) || counts[i] < 1)
                throw new UsageException($"--threads must be integers >= 1, got '{parts[i]}'");
        return counts;
    }

    /// <summary>"all", one name or a comma-separated list, each matched forgivingly.</summary>
    private static string[] OptimizerNames(string given)
    {
        var known = OptimizerBench.Optimizers.ToDictionary(o => o.Name, o => o.Name, StringComparer.OrdinalIgnoreCase);
        if (given.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return [.. known.Keys];
        var names = given.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new UsageException("--optimizer needs a name or 'all'");
        return [.. names.Select(n => Names.Resolve("optimizer", n, known)).Distinct()];
    }

    /// <summary>Runs <paramref name="body"/> with <see cref="Parallelism.MaxThreads"/> set to the thread count, then restores it.</summary>
    private static T WithThreads<T>(int threads, Func<int, T> body)
    {
        if (threads < 1) throw new UsageException($"--threads must be >= 1, got {threads}");
        int old = Parallelism.MaxThreads;
        Parallelism.MaxThreads = threads;
        try
        {
            return body(threads);
        }
        finally
        {
            Parallelism.MaxThreads = old;
        }
    }

    private static string F(double v, int digits) => v.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}
