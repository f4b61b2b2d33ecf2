using System.Diagnostics;
using System.Globalization;
using Descent.Kernels;
using Descent.Optim;

namespace Descent.Cli.Bench;

/// <summary>One optimizer's step over a parameter layout: time per parameter and the bandwidth it reaches.</summary>
internal sealed record OptimizerResult(string Optimizer, long Params, int Tensors, int Threads, double NsPerParam, double GbPerS, double TriadGbPerS);

/// <summary>
/// Times one optimizer step over float32 parameters, in ns per parameter and in GB/s for the bytes the algorithm must
/// move (parameter read and written, gradient read, each state buffer read and written).
/// </summary>
internal static class OptimizerBench
{
    /// <summary>Optimizers and the bytes per parameter their update must move in float32.</summary>
    public static IReadOnlyList<(string Name, int BytesPerParam, Func<IEnumerable<Tensor>, Optimizer> Create)> Optimizers { get; } =
    [
        ("sgd", 12, p => new SGD(p, lr: 0.01)),
        ("momentum", 20, p => new SGD(p, lr: 0.01, momentum: 0.9)),
        ("nesterov", 20, p => new SGD(p, lr: 0.01, momentum: 0.9, nesterov: true)),
        ("adagrad", 20, p => new Adagrad(p)),
        ("rmsprop", 20, p => new RMSprop(p)),
        ("adadelta", 28, p => new Adadelta(p)),
        ("adam", 28, p => new Adam(p)),
        ("adamw", 28, p => new AdamW(p)),
        ("adamax", 28, p => new Adamax(p)),
        ("nadam", 28, p => new NAdam(p)),
        ("radam", 28, p => new RAdam(p)),
        ("rprop", 28, p => new Rprop(p)),
    ];

    /// <summary>The model layout of bench/model_sizes.txt holds this many parameters in this many tensors.</summary>
    public const long ModelParams = 1 << 24;

    /// <summary>The number of tensors in bench/model_sizes.txt.</summary>
    public const int ModelTensors = 200;

    /// <summary>Runs the named optimizers (or all) on <paramref name="sizes"/>; the triad is measured once, first.</summary>
    public static List<OptimizerResult> Run(IEnumerable<string> names, int[] sizes, int threads, TimeSpan budgetPerOptimizer)
    {
        double triad = MachineLimits.MeasureTriadGBps(threads, TimeSpan.FromSeconds(0.5));
        long n = sizes.Sum(s => (long)s);
        var results = new List<OptimizerResult>();
        foreach (string name in names)
        {
            var (_, bytes, create) = Optimizers.Single(o => o.Name == name);
            double seconds = TimeStep(sizes, create, budgetPerOptimizer);
            results.Add(new OptimizerResult(name, n, sizes.Length, threads, seconds * 1e9 / n, bytes * n / seconds / 1e9, triad));
        }
        return results;
    }

    /// <summary>The best time of one step over several, after warm-up steps that create the state.</summary>
    private static double TimeStep(int[] sizes, Func<IEnumerable<Tensor>, Optimizer> create, TimeSpan budget)
    {
        var g = new Generator(1);
        var ps = sizes.Select(s => Tensor.Uniform([s], -1, 1, generator: g).RequiresGrad_()).ToList();
        foreach (var p in ps) p.Grad = Tensor.Uniform([p.NumEl], -1, 1, generator: g);
        var optimizer = create(ps);
        for (int i = 0; i < 2; i++) optimizer.Step();
        double best = double.MaxValue;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 20 && (i < 3 || clock.Elapsed < budget); i++)
        {
            long start = Stopwatch.GetTimestamp();
            optimizer.Step();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return best;
    }

    /// <summary>
    /// The tensor sizes for <paramref name="parameters"/> split into <paramref name="tensors"/>: the layout of
    /// bench/model_sizes.txt when it matches (16 M in 200 tensors) and can be found, else equal splits.
    /// </summary>
    public static int[] Layout(long parameters, int tensors)
    {
        if (parameters == ModelParams && tensors == ModelTensors && FindModelSizes() is string path)
        {
            var sizes = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).Select(l => int.Parse(l.Trim(), CultureInfo.InvariantCulture)).ToArray();
            if (sizes.Length == tensors && sizes.Sum(s => (long)s) == parameters) return sizes;
        }
        var split = new int[tensors];
        for (int i = 0; i < tensors; i++) split[i] = (int)(parameters / tensors + (i < parameters % tensors ? 1 : 0));
        return split;
    }

    /// <summary>bench/model_sizes.txt in the first folder above the program or the current directory that has it.</summary>
    private static string? FindModelSizes()
    {
        foreach (string? start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (string? dir = start; dir is not null; dir = Path.GetDirectoryName(dir))
            {
                string path = Path.Combine(dir, "bench", "model_sizes.txt");
                if (File.Exists(path)) return path;
            }
        }
        return null;
    }
}
