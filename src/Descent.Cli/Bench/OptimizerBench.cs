using System.Diagnostics;
using System.Globalization;
using Descent.Kernels;
using Descent.Optim;

namespace Descent.Cli.Bench;

/// <summary>
/// One optimizer's step over a parameter layout: time per parameter and the bandwidth it reaches (best step), beside the
/// best stream-triad pass of the run; and the median step's bandwidth beside the median triad pass of its own window.
/// </summary>
internal sealed record OptimizerResult(string Optimizer, long Params, int Tensors, int Threads, double NsPerParam, double GbPerS,
    double TriadGbPerS, double MedianGbPerS, double MedianTriadGbPerS, int Repetitions);

/// <summary>
/// SparseAdam's step over an embedding table whose gradient touches a few rows, beside dense Adam's step over the same
/// table: the best step of each, the bandwidth each reaches on the bytes it must move (SparseAdam: the touched rows and
/// their indices; Adam: the whole table), and the best stream-triad pass of the run.
/// </summary>
internal sealed record SparseResult(int TableRows, int Dim, int TouchedRows, int Threads, double SparseSeconds, double SparseGbPerS,
    double DenseSeconds, double DenseGbPerS, double TriadGbPerS, int Repetitions)
{
    /// <summary>Bytes a float32 SparseAdam step moves: 28 per element of a touched row (as Adam's), 8 per row index.</summary>
    public static long SparseBytes(int touched, int dim) => 28L * touched * dim + 8L * touched;

    /// <summary>Bytes a float32 Adam step over the whole table moves.</summary>
    public static long DenseBytes(int rows, int dim) => 28L * rows * dim;
}

/// <summary>
/// Times one optimizer step over float32 parameters, in ns per parameter and in GB/s for the bytes the algorithm must
/// move (parameter read and written, gradient read, each state buffer read and written).
/// </summary>
internal static class OptimizerBench
{
    /// <summary>The elementwise optimizers of the registry, the bytes per parameter their float32 update must move, and a factory from their preset.</summary>
    public static IReadOnlyList<(string Name, int BytesPerParam, Func<IEnumerable<Tensor>, FirstOrderOptimizer> Create)> Optimizers { get; } =
    [
        .. OptimizerRegistry.All.Where(e => e.IsElementwise)
            .Select(e => (e.Name, e.BytesPerParameter, (Func<IEnumerable<Tensor>, FirstOrderOptimizer>)(p => (FirstOrderOptimizer)e.Create(p)))),
    ];

    /// <summary>The model layout of bench/model_sizes.txt holds this many parameters in this many tensors.</summary>
    public const long ModelParams = 1 << 24;

    /// <summary>The number of tensors in bench/model_sizes.txt.</summary>
    public const int ModelTensors = 200;

    /// <summary>Steps untimed before timing: past the first steps (state creation, first touch of its pages) and the JIT's tiering.</summary>
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(0.25);

    /// <summary>
    /// Runs the named optimizers (or all) on <paramref name="sizes"/>. Each timed step is followed by one stream-triad pass on
    /// the same number of threads. An optimizer's best step is read against the best triad pass of the whole run (the
    /// machine's bandwidth: a busy moment can lower it, never raise it), its median step against the median pass of its
    /// own window (the same conditions, robust to noise).
    /// </summary>
    public static List<OptimizerResult> Run(IEnumerable<string> names, int[] sizes, int threads, TimeSpan budgetPerOptimizer)
    {
        using var triad = new TriadProbe(threads);
        long n = sizes.Sum(s => (long)s);
        var timed = new List<(string Name, int Bytes, List<double> Steps, List<double> Passes)>();
        foreach (string name in names)
        {
            var (_, bytes, create) = Optimizers.Single(o => o.Name == name);
            var (steps, passes) = TimeSteps(sizes, create, budgetPerOptimizer, triad);
            timed.Add((name, bytes, steps, passes));
        }
        double machine = triad.BytesPerPass / timed.Min(t => t.Passes.Min()) / 1e9;
        return [.. timed.Select(t => new OptimizerResult(t.Name, n, sizes.Length, threads, t.Steps.Min() * 1e9 / n,
            t.Bytes * n / t.Steps.Min() / 1e9, machine, t.Bytes * n / Median(t.Steps) / 1e9, triad.BytesPerPass / Median(t.Passes) / 1e9,
            t.Steps.Count))];
    }

    /// <summary>The times of timed steps, each followed by a timed triad pass, after a warm-up that creates the state.</summary>
    private static (List<double> Steps, List<double> Passes) TimeSteps(int[] sizes, Func<IEnumerable<Tensor>, FirstOrderOptimizer> create, TimeSpan budget, TriadProbe triad)
    {
        var g = new Generator(1);
        var ps = sizes.Select(s => Tensor.Uniform([s], -1, 1, generator: g).RequiresGrad_()).ToList();
        foreach (var p in ps) p.Grad = ShiftedGradient(p, g);
        return TimeSteps(create(ps), budget, triad);
    }

    /// <summary>
    /// SparseAdam over a float32 table [<paramref name="rows"/>, <paramref name="dim"/>] whose row-sparse gradient
    /// touches <paramref name="touched"/> rows spread over it, then Adam over the same table with a dense gradient.
    /// </summary>
    public static SparseResult RunSparse(int rows, int dim, int touched, int threads, TimeSpan budget)
    {
        using var triad = new TriadProbe(threads);
        var g = new Generator(1);
        var table = Tensor.Uniform([rows, dim], -1, 1, generator: g).RequiresGrad_();
        // Evenly spread rows, each moved by a random offset within its stride: no two share a cache line of state.
        long stride = rows / touched;
        var indices = Enumerable.Range(0, touched).Select(i => i * stride + (long)(g.NextDouble() * stride)).ToArray();
        table.SparseGrad = new RowSparseGrad(Tensor.FromArray(indices), Tensor.Uniform([touched, dim], -1, 1, generator: g), [rows, dim]);
        var (sparseSteps, sparsePasses) = TimeSteps(new SparseAdam([table]), budget, triad);
        table.Grad = ShiftedGradient(table, g); // replaces the sparse gradient
        var (denseSteps, densePasses) = TimeSteps(new Adam([table]), budget, triad);
        double machine = triad.BytesPerPass / Math.Min(sparsePasses.Min(), densePasses.Min()) / 1e9;
        return new SparseResult(rows, dim, touched, threads, sparseSteps.Min(), SparseResult.SparseBytes(touched, dim) / sparseSteps.Min() / 1e9,
            denseSteps.Min(), SparseResult.DenseBytes(rows, dim) / denseSteps.Min() / 1e9, machine, Math.Min(sparseSteps.Count, denseSteps.Count));
    }

    /// <summary>
    /// A uniform gradient shaped like <paramref name="parameter"/> that starts 2 MiB into a longer array. The garbage
    /// collector places large arrays made one after the other a multiple of 4 MiB apart, and a parameter and gradient
    /// exactly 256 MiB apart (as at 64M parameters) collide in the core's address-indexed structures and slow the step
    /// several times over: a cost of where this harness happened to allocate, not of the optimizer. The optimizer's own
    /// state buffers start 64 KiB × their number into theirs (see ParamState); 2 MiB is none of those shifts.
    /// </summary>
    private static Tensor ShiftedGradient(Tensor parameter, Generator g)
    {
        const int shift = (1 << 21) / sizeof(float);
        return Tensor.Uniform([parameter.NumEl + shift], -1, 1, generator: g).Narrow(0, shift, parameter.NumEl).View(parameter.Shape);
    }

    /// <summary>The times of timed steps of <paramref name="optimizer"/>, each followed by a timed triad pass, after a warm-up.</summary>
    private static (List<double> Steps, List<double> Passes) TimeSteps(FirstOrderOptimizer optimizer, TimeSpan budget, TriadProbe triad)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 3 || clock.Elapsed < WarmUp; i++) optimizer.Step();
        List<double> steps = [], passes = [];
        clock.Restart();
        for (int i = 0; i < 5 || (i < 10_000 && clock.Elapsed < budget); i++)
        {
            long start = Stopwatch.GetTimestamp();
            optimizer.Step();
            steps.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            passes.Add(triad.PassSeconds());
        }
        return (steps, passes);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int h = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
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
