using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Descent.Kernels;
using Descent.Optim;

namespace Descent.Benchmarks;

/// <summary>
/// `optim`: one optimizer step over 16 M float32 parameters, as one tensor and as the 200 tensors of
/// bench/model_sizes.txt, in ns per parameter and in GB/s for the bytes the algorithm must move (parameter read and
/// written, gradient read, each state buffer read and written), beside the stream triad measured in the same process.
/// </summary>
internal static class OptimizerQuick
{
    /// <summary>Optimizers and the bytes per parameter their update must move in float32.</summary>
    private static readonly (string Name, int BytesPerParam, Func<IEnumerable<Tensor>, Optimizer> Create)[] Optimizers =
    [
        ("sgd", 12, p => new SGD(p, lr: 0.01)),
        ("momentum", 20, p => new SGD(p, lr: 0.01, momentum: 0.9)),
        ("nesterov", 20, p => new SGD(p, lr: 0.01, momentum: 0.9, nesterov: true)),
        ("adagrad", 20, p => new Adagrad(p)),
        ("adadelta", 28, p => new Adadelta(p)),
        ("rmsprop", 20, p => new RMSprop(p)),
        ("adam", 28, p => new Adam(p)),
        ("adamw", 28, p => new AdamW(p)),
        ("adamax", 28, p => new Adamax(p)),
        ("nadam", 28, p => new NAdam(p)),
        ("radam", 28, p => new RAdam(p)),
        ("rprop", 28, p => new Rprop(p)),
    ];

    public static void Run(string[] args)
    {
        string only = Arg(args, "--optimizer") ?? "all";
        int threads = int.Parse(Arg(args, "--threads") ?? Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        bool json = args.Contains("--json");
        Parallelism.MaxThreads = threads;
        double triad = MachineLimits.MeasureTriadGBps(threads, TimeSpan.FromSeconds(1));
        var layouts = new (string Name, int[] Sizes)[] { ("one tensor", [1 << 24]), ("200 tensors", ModelSizes()) };
        var rows = new List<Dictionary<string, object>>();
        if (!json) Console.WriteLine($"stream triad: {triad:F1} GB/s on {threads} thread(s)\n\n{"optimizer",-10} {"layout",-12} {"ns/param",9} {"GB/s",7} {"of triad",9}");
        foreach (var (name, bytes, create) in Optimizers.Where(o => only == "all" || o.Name == only))
        {
            foreach (var (layout, sizes) in layouts)
            {
                double seconds = TimeStep(sizes, create);
                long n = sizes.Sum(s => (long)s);
                double nsPerParam = seconds * 1e9 / n, gbps = bytes * n / seconds / 1e9;
                rows.Add(new() { ["optimizer"] = name, ["params"] = n, ["tensors"] = sizes.Length, ["threads"] = threads, ["ns_per_param"] = nsPerParam, ["gb_per_s"] = gbps, ["triad_gb_per_s"] = triad });
                if (!json) Console.WriteLine($"{name,-10} {layout,-12} {nsPerParam,9:F3} {gbps,7:F1} {gbps / triad,8:P0}");
            }
        }
        if (json) Console.WriteLine(JsonSerializer.Serialize(rows));
    }

    /// <summary>The best time of one step over several, after warm-up steps that create the state.</summary>
    private static double TimeStep(int[] sizes, Func<IEnumerable<Tensor>, Optimizer> create)
    {
        var g = new Generator(1);
        var ps = sizes.Select(s => Tensor.Uniform([s], -1, 1, generator: g).RequiresGrad_()).ToList();
        foreach (var p in ps) p.Grad = Tensor.Uniform([p.NumEl], -1, 1, generator: g);
        var optimizer = create(ps);
        for (int i = 0; i < 3; i++) optimizer.Step();
        double best = double.MaxValue;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 20 && clock.Elapsed.TotalSeconds < 3; i++)
        {
            long start = Stopwatch.GetTimestamp();
            optimizer.Step();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return best;
    }

    private static int[] ModelSizes()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "bench", "model_sizes.txt"))) dir = Path.GetDirectoryName(dir);
        string path = dir is null ? Path.Combine("bench", "model_sizes.txt") : Path.Combine(dir, "bench", "model_sizes.txt");
        return File.ReadAllLines(path).Where(l => l.Trim().Length > 0).Select(l => int.Parse(l.Trim(), CultureInfo.InvariantCulture)).ToArray();
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
