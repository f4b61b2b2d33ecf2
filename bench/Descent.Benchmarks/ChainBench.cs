using System.Diagnostics;
using System.Globalization;
using Descent.Kernels;
using Descent.Optim;

namespace Descent.Benchmarks;

/// <summary>
/// A chain of transforms beside the named optimizer it equals, stepped alternately in the same run on the same
/// parameters: the step times of each and their ratio. Alternating step by step (and swapping which goes first each
/// round) puts both under the same load, so the ratio holds on a busy machine where the times themselves do not.
/// With clipping, the named side is <see cref="GradientClipping.ClipGradNorm"/> then the optimizer's step.
/// </summary>
internal static class ChainBench
{
    private sealed record Pair(string Label, Func<Tensor[], Action> Named, Func<Tensor[], Action> Chain);

    public static void Run(string[] args)
    {
        long n = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 1 << 24;
        int tensors = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;
        double seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        int threads = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        // Below the gradients' 2-norm (about √(n/3) for uniform values in [−1, 1]), so that every step clips.
        double maxNorm = 0.4 * Math.Sqrt(n / 3.0);
        Pair[] pairs =
        [
            // Control: AdamW beside AdamW. Its ratio is 1 but for the machine's noise, the yardstick for the rows below.
            new("adamw | adamw (control)", p => new AdamW(p).Step, p => new AdamW(p).Step),
            new("adamw", p => new AdamW(p).Step, p => Transforms.AdamW().Create(p).Step),
            new("sgd momentum 0.9", p => new SGD(p, lr: 0.01, momentum: 0.9).Step, p => Transforms.SGD(0.01, momentum: 0.9).Create(p).Step),
            new("lion", p => new Lion(p, weightDecay: 0.1).Step, p => Transforms.Lion(weightDecay: 0.1).Create(p).Step),
            new("rmsprop momentum 0.9", p => new RMSprop(p, momentum: 0.9).Step, p => Transforms.RMSprop(momentum: 0.9).Create(p).Step),
            new("clip + adamw", p => Clipped(new AdamW(p), maxNorm), p => Transforms.Chain(Transforms.ClipByGlobalNorm(maxNorm), Transforms.AdamW()).Create(p).Step),
            new("clip + sgd momentum 0.9", p => Clipped(new SGD(p, lr: 0.01, momentum: 0.9), maxNorm),
                p => Transforms.Chain(Transforms.ClipByGlobalNorm(maxNorm), Transforms.SGD(0.01, momentum: 0.9)).Create(p).Step),
        ];
        // On one thread the step runs on this thread, whose CPU time leaves out the time it waited for a core.
        bool cpu = threads == 1 && ThreadCpuClock.IsAvailable;
        int saved = Parallelism.MaxThreads;
        Parallelism.MaxThreads = threads;
        try
        {
            Console.WriteLine($"{n:N0} float32 parameters in {tensors} tensor(s), {threads} thread(s) of {Environment.ProcessorCount} cores, ~{seconds:F0} s per pair, steps alternated");
            Console.WriteLine($"{"optimizer",-24} {"named ms",9} {"chain ms",9} {"chain/named: best",18} {"median of rounds",17}{(cpu ? $" {"CPU time, median",17}" : "")} {"rounds",7}");
            foreach (var pair in pairs)
            {
                // Both step the same parameters with the same gradients (each keeps its own state): where the arrays
                // happen to lie then cannot favour either.
                var parameters = Parameters(n, tensors, 1);
                var (named, chain) = (pair.Named(parameters), pair.Chain(parameters));
                var (a, b) = Alternate(named, chain, TimeSpan.FromSeconds(seconds));
                double bestA = a.Min(x => x.Wall), bestB = b.Min(x => x.Wall);
                var wall = a.Zip(b, (x, y) => y.Wall / x.Wall).ToList();
                var cpuRatio = a.Zip(b, (x, y) => y.Cpu / x.Cpu).ToList();
                Console.WriteLine($"{pair.Label,-24} {bestA * 1e3,9:F2} {bestB * 1e3,9:F2} {bestB / bestA,18:F3} {Median(wall),17:F3}{(cpu ? $" {Median(cpuRatio),17:F3}" : "")} {a.Count,7}");
                GC.Collect();
            }
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
    }

    private static Action Clipped(FirstOrderOptimizer optimizer, double maxNorm) => () =>
    {
        GradientClipping.ClipGradNorm(optimizer.Parameters(), maxNorm);
        optimizer.Step();
    };

    /// <summary>The wall and CPU times of each step of <paramref name="a"/> and <paramref name="b"/> taken in turn, after a warm-up.</summary>
    private static (List<(double Wall, double Cpu)> A, List<(double Wall, double Cpu)> B) Alternate(Action a, Action b, TimeSpan budget)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 3 || clock.Elapsed < TimeSpan.FromSeconds(0.5); i++)
        {
            a();
            b();
        }
        List<(double, double)> ta = [], tb = [];
        clock.Restart();
        for (int round = 0; round < 5 || clock.Elapsed < budget; round++)
        {
            // Which goes first alternates, so that neither always follows the other's cache and memory traffic.
            if (round % 2 == 0)
            {
                ta.Add(Time(a));
                tb.Add(Time(b));
            }
            else
            {
                tb.Add(Time(b));
                ta.Add(Time(a));
            }
        }
        return (ta, tb);
    }

    private static (double Wall, double Cpu) Time(Action step)
    {
        double cpu = ThreadCpuClock.IsAvailable ? ThreadCpuClock.Now() : double.NaN;
        long start = Stopwatch.GetTimestamp();
        step();
        return (Stopwatch.GetElapsedTime(start).TotalSeconds, ThreadCpuClock.IsAvailable ? ThreadCpuClock.Now() - cpu : double.NaN);
    }

    /// <summary>
    /// Parameters with uniform gradients, each gradient 2 MiB into a longer array: large arrays allocated one after the
    /// other land a multiple of 4 MiB apart, where parameter and gradient collide in the core's address-indexed
    /// structures (as `descent bench optim` explains); the state buffers are shifted by the library itself.
    /// </summary>
    private static Tensor[] Parameters(long n, int tensors, int seed)
    {
        var g = new Generator(seed);
        const int shift = (1 << 21) / sizeof(float);
        return [.. Enumerable.Range(0, tensors).Select(i =>
        {
            int size = (int)(n / tensors + (i < n % tensors ? 1 : 0));
            var p = Tensor.Uniform([size], -1, 1, generator: g).RequiresGrad_();
            p.Grad = Tensor.Uniform([size + shift], -1, 1, generator: g).Narrow(0, shift, size);
            return p;
        })];
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int h = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
    }
}
