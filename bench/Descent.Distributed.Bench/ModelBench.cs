using System.Diagnostics;
using System.Globalization;
using Descent;
using Descent.Cli;
using Descent.Cli.Catalog;
using Descent.Distributed;
using Descent.Kernels;
using Descent.NN;
using Descent.Optim;
using Descent.Parallel;
using F = Descent.NN.Functional;

/// <summary>
/// Data-parallel training steps of the command line's MNIST models (its own <see cref="ModelCatalog"/> and
/// <see cref="DataCatalog"/>), on real batches of 128 cut into one shard per rank as <c>descent train --distributed</c>
/// cuts them, with Adam. Per step: the wall time, the backward passes' compute, the seconds the communication thread spent
/// reducing the gradient (<see cref="DistributedDataParallel.CommunicationSeconds"/>), the seconds the training thread
/// waited for it after the last backward pass (<see cref="DistributedDataParallel.WaitSeconds"/>), and the share of the
/// reduction hidden behind the backward pass, 1 − wait / reduction. Then the gradient's bytes through MPI_Allreduce,
/// AllToAll + AllGather and a memcpy (<see cref="Collectives"/>).
/// </summary>
/// <remarks>
/// Started without mpirun it runs one process (<see cref="Communicator.Single"/>) with <c>--shards</c> shards and no
/// communication: the one-process step time to set beside the ranks'. The batches are sliced before the clock starts,
/// so data loading is excluded (<c>descent train</c> includes it: throughput.py times that).
/// </remarks>
internal static class ModelBench
{
    private const int BatchSize = 128; // descent train's default --batch-size
    private const int WarmupSteps = 30; // past .NET's tier-up to optimised code, as descent bench train
    private static readonly TimeSpan WarmupTime = TimeSpan.FromSeconds(1);

    private sealed record Options(IReadOnlyList<string> Models, int Steps, int Repetitions, double BucketMegabytes, int? Shards);

    /// <summary>One repetition's figures, each over its steps; times in seconds per step.</summary>
    private sealed record Repetition(double Step, double Backward, double Reduction, double LastReduction, double Wait, double Hidden, double SamplesPerSecond);

    /// <summary>A model's size, its gradient's bytes and buckets, and its repetitions.</summary>
    private sealed record ModelRun(string Model, long Parameters, long GradientBytes, int Buckets, Repetition[] Repetitions)
    {
        public double Reduction => Median(Repetitions.Select(r => r.Reduction));

        public double LastReduction => Median(Repetitions.Select(r => r.LastReduction));
    }

    public static int Run(string[] args)
    {
        Options options;
        Communicator world;
        try
        {
            options = Parse(args);
            world = MpiCommunicator.IsLaunchedByMpirun ? DistributedLaunch.Connect() : Communicator.Single;
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"Descent.Distributed.Bench model: {e.Message}");
            return 2;
        }
        using (world)
        {
            int shards = options.Shards ?? world.Size;
            if (shards % world.Size != 0 || BatchSize % shards != 0)
            {
                Console.Error.WriteLine($"Descent.Distributed.Bench model: --shards {shards} must be a multiple of the {world.Size} ranks and divide the batch of {BatchSize}");
                return 2;
            }
            var data = DataCatalog.Load("mnist", seed: 0);
            if (world.IsRoot) WriteHeader(world, shards, options);
            var runs = options.Models.Select(name => Measure(name, data, world, shards, options)).ToList();
            bool communicates = world.Size > 1;
            if (world.IsRoot) WriteSteps(runs, communicates);
            if (world is MpiCommunicator mpi && communicates) Bandwidths(mpi, runs);
        }
        return 0;
    }

    private static void WriteSteps(List<ModelRun> runs, bool communicates)
    {
        Console.WriteLine("| model | parameters | gradient | buckets | step | backward | reduction | last rank's | waited | hidden | samples/s |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var run in runs)
        {
            var reps = run.Repetitions;
            string Communication(Func<Repetition, double> figure, Func<double, string> format) => communicates ? Spread(reps, figure, format) : "—";
            Console.WriteLine($"| {run.Model} | {run.Parameters:N0} | {Show.Bytes(run.GradientBytes)} | {run.Buckets} | {Spread(reps, r => r.Step, Show.Time)} " +
                              $"| {Spread(reps, r => r.Backward, Show.Time)} | {Communication(r => r.Reduction, Show.Time)} | {Communication(r => r.LastReduction, Show.Time)} | {Communication(r => r.Wait, Show.Time)} " +
                              $"| {Communication(r => r.Hidden, h => $"{100 * h:0}%")} | {Spread(reps, r => r.SamplesPerSecond, s => s.ToString("N0", CultureInfo.InvariantCulture))} |");
        }
        Console.WriteLine();
    }

    /// <summary>Builds the model as <c>descent train</c> does, warms up, and times the repetitions on every rank.</summary>
    private static ModelRun Measure(string name, PreparedData data, Communicator world, int shards, Options options)
    {
        Tensor.ManualSeed(0);
        var model = ModelCatalog.Build(name, data);
        var optimizer = new Adam(model.Parameters());
        // As descent train: the sum of the shards' gradients, each shard's loss weighted by its share of the batch.
        using var parallel = new DistributedDataParallel(model, world, shards, average: false, bucketMegabytes: options.BucketMegabytes);
        var batches = Slice(data, parallel, shards, WarmupSteps + options.Steps);
        var clock = new StepClock();
        WarmUp(world, parallel, optimizer, batches, clock);
        var repetitions = new Repetition[options.Repetitions];
        for (int r = 0; r < repetitions.Length; r++)
        {
            world.Barrier();
            var steps = new double[options.Steps * 4]; // per step: wall, backward compute, reduction, wait
            for (int i = 0; i < options.Steps; i++)
            {
                clock.Reset(parallel);
                long start = Stopwatch.GetTimestamp();
                Step(parallel, optimizer, batches[(WarmupSteps + i) % batches.Count], clock);
                double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
                var (reduction, wait) = clock.Since(parallel);
                (steps[i * 4], steps[i * 4 + 1], steps[i * 4 + 2], steps[i * 4 + 3]) = (wall, clock.Backward - wait, reduction, wait);
            }
            repetitions[r] = Combine(world, steps, options.Steps);
        }
        long parameters = model.Parameters().Sum(p => (long)p.NumEl);
        long bytes = model.Parameters().Where(p => p.RequiresGrad).Sum(p => (long)p.NumEl * p.DType.ElementSize());
        return new ModelRun(name, parameters, bytes, parallel.BucketCount, repetitions);
    }

    /// <summary>
    /// At least <see cref="WarmupSteps"/> steps and <see cref="WarmupTime"/>: rank 0 times the first steps and says how
    /// many more every rank takes, since the ranks must run the same collectives in the same order.
    /// </summary>
    private static void WarmUp(Communicator world, DistributedDataParallel parallel, Optimizer optimizer, List<(Tensor X, Tensor Y)[]> batches, StepClock clock)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < WarmupSteps; i++) Step(parallel, optimizer, batches[i % batches.Count], clock);
        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double[] more = [Math.Max(0, Math.Ceiling((WarmupTime.TotalSeconds - elapsed) / (elapsed / WarmupSteps)))];
        world.Broadcast<double>(more, 0);
        for (int i = 0; i < (int)more[0]; i++) Step(parallel, optimizer, batches[(WarmupSteps + i) % batches.Count], clock);
    }

    /// <summary>
    /// One optimizer step as the trainer takes it: begin the step and zero the gradients, then forward and backward each
    /// local shard through the wrapper (its loss weighted by 1 / S; the last backward reduces), then Adam.
    /// </summary>
    private static void Step(DistributedDataParallel parallel, Optimizer optimizer, (Tensor X, Tensor Y)[] shards, StepClock clock)
    {
        using var scope = new TensorScope();
        parallel.BeginStep();
        optimizer.ZeroGrad(setToNone: false);
        foreach (var (x, y) in shards)
        {
            var loss = F.CrossEntropy(parallel.Forward(x), y);
            if (parallel.Shards > 1) loss *= 1.0 / parallel.Shards;
            long start = Stopwatch.GetTimestamp();
            loss.Backward();
            clock.Backward += Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        ((FirstOrderOptimizer)optimizer).Step();
    }

    /// <summary>
    /// This rank's shards of <paramref name="count"/> consecutive MNIST batches of 128 (cycling over the training set): shard
    /// s of a batch is its s-th slice of 128 / S rows, sliced and made contiguous before any timing.
    /// </summary>
    private static List<(Tensor X, Tensor Y)[]> Slice(PreparedData data, DistributedDataParallel parallel, int shards, int count)
    {
        int per = BatchSize / shards, batchesInSet = data.Train.Count / BatchSize;
        var batches = new List<(Tensor X, Tensor Y)[]>();
        for (int b = 0; b < Math.Min(count, batchesInSet); b++)
            batches.Add([.. Enumerable.Range(parallel.FirstShard, parallel.LocalShards).Select(s =>
            {
                int start = b * BatchSize + s * per;
                return (data.Train.Features.Narrow(0, start, per).Contiguous(), data.Train.Labels.Narrow(0, start, per).Contiguous());
            })]);
        return batches;
    }

    /// <summary>
    /// A repetition's figures over every rank: a step's wall time is the slowest rank's, its other times the ranks'
    /// mean, and the reduction's time on the rank that started it last (the least, since it waits for no other rank:
    /// what the reduction costs without the ranks' skew); then the median over the steps, the hidden share from the sums (1 − Σ wait / Σ reduction), and samples/s
    /// from the total wall time.
    /// </summary>
    private static Repetition Combine(Communicator world, double[] local, int steps)
    {
        int n = world.Size;
        var all = new double[local.Length * n];
        world.AllGather<double>(local, all, [.. Enumerable.Repeat(local.Length, n)]);
        double At(int rank, int step, int field) => all[rank * local.Length + step * 4 + field];
        double[] Over(int field, Func<IEnumerable<double>, double> ranks) =>
            [.. Enumerable.Range(0, steps).Select(i => ranks(Enumerable.Range(0, n).Select(r => At(r, i, field))))];
        var wall = Over(0, v => v.Max());
        var backward = Over(1, v => v.Average());
        var reduction = Over(2, v => v.Average());
        var last = Over(2, v => v.Min());
        var wait = Over(3, v => v.Average());
        double hidden = reduction.Sum() > 0 ? 1 - wait.Sum() / reduction.Sum() : double.NaN;
        return new Repetition(Median(wall), Median(backward), Median(reduction), Median(last), Median(wait), hidden, BatchSize * steps / wall.Sum());
    }

    /// <summary>The gradient's bytes of each model through the collectives, beside its reduction in training.</summary>
    private static void Bandwidths(MpiCommunicator world, List<ModelRun> runs)
    {
        var collectives = new Collectives(world);
        if (world.IsRoot)
        {
            Console.WriteLine("| model | gradient | reduction in training (last rank's) | GB/s | AllToAll + AllGather | GB/s | MPI_Allreduce | GB/s | memcpy | GB/s |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        }
        foreach (var run in runs)
        {
            var (bytes, reduction) = (run.GradientBytes, run.LastReduction);
            double exchange = collectives.Exchange(bytes);
            double allReduce = collectives.AllReduce(bytes);
            double memcpy = collectives.Memcpy(bytes);
            if (world.IsRoot)
                Console.WriteLine($"| {run.Model} | {Show.Bytes(bytes)} | {Show.Time(reduction)} | {Show.Rate(bytes, reduction)} | {Show.Time(exchange)} | {Show.Rate(bytes, exchange)} " +
                                  $"| {Show.Time(allReduce)} | {Show.Rate(bytes, allReduce)} | {Show.Time(memcpy)} | {Show.Rate(bytes, memcpy)} |");
        }
        if (world.IsRoot)
            Console.WriteLine($"\nGB/s: gradient bytes / time per rank; with {world.Size} ranks the ring all-reduce's bus bandwidth is {2.0 * (world.Size - 1) / world.Size:0.##} × that.");
    }

    private static void WriteHeader(Communicator world, int shards, Options options)
    {
        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        string library = world is MpiCommunicator mpi ? $", {mpi.LibraryName}" : "";
        Console.WriteLine($"{world.Size} rank(s) × {Parallelism.MaxThreads} kernel thread(s) (ProcessorCount {Environment.ProcessorCount}){library}, .NET {Environment.Version}, load average {load}");
        Console.WriteLine($"MNIST batches of {BatchSize} in {shards} shard(s) of {BatchSize / shards}, Adam, buckets of {options.BucketMegabytes.ToString(CultureInfo.InvariantCulture)} MB " +
                          $"(the first at most 1 MB); {options.Steps} timed steps × {options.Repetitions} repetitions after {WarmupSteps} steps and {WarmupTime.TotalSeconds:0} s of warm-up");
        Console.WriteLine("Per step, median over the steps of each repetition, then median (min–max) over the repetitions. step: wall time (slowest rank); " +
                          "backward: the backward passes without the wait; reduction: the communication thread's time (ranks' mean); last rank's: that of the rank that started it last, " +
                          "which waits for no other; waited: the training thread's wait after the last backward; " +
                          "hidden: 1 − Σ waited / Σ reduction");
        Console.WriteLine();
    }

    private static Options Parse(string[] args)
    {
        var models = new List<string>();
        int steps = 100, repetitions = 3;
        double bucket = 25;
        int? shards = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--steps": steps = PositiveInt("--steps", Value()); break;
                case "--repetitions": repetitions = PositiveInt("--repetitions", Value()); break;
                case "--shards": shards = PositiveInt("--shards", Value()); break;
                case "--bucket-mb":
                    string text = Value();
                    bucket = double.TryParse(text, CultureInfo.InvariantCulture, out double mb) && mb > 0 && double.IsFinite(mb)
                        ? mb : throw new UsageException($"--bucket-mb must be a number > 0, got '{text}'");
                    break;
                case var option when option.StartsWith('-'): throw new UsageException($"unknown option '{option}' (known: --steps, --repetitions, --bucket-mb, --shards)");
                default: models.Add(ModelName(args[i])); break;
            }
        }
        return new Options(models.Count > 0 ? models : ["mlp", "cnn"], steps, repetitions, bucket, shards);
    }

    private static string ModelName(string name) => Names.Resolve("model", name, ModelCatalog.Names.ToDictionary(n => n, n => n));

    private static int PositiveInt(string option, string text) =>
        int.TryParse(text, CultureInfo.InvariantCulture, out int n) && n >= 1 ? n : throw new UsageException($"{option} must be an integer >= 1, got '{text}'");

    private static string Spread(Repetition[] reps, Func<Repetition, double> figure, Func<double, string> format)
    {
        var values = reps.Select(figure).ToArray();
        return values.Length == 1 ? format(values[0]) : $"{format(Median(values))} ({format(values.Min())}–{format(values.Max())})";
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>The backward passes' time within a step, and the wrapper's counters at the step's start.</summary>
    private sealed class StepClock
    {
        private double _reduction, _wait;

        public double Backward { get; set; }

        public void Reset(DistributedDataParallel parallel)
        {
            Backward = 0;
            (_reduction, _wait) = (parallel.CommunicationSeconds, parallel.WaitSeconds);
        }

        /// <summary>The reduction's and the wait's seconds since <see cref="Reset"/>.</summary>
        public (double Reduction, double Wait) Since(DistributedDataParallel parallel) =>
            (parallel.CommunicationSeconds - _reduction, parallel.WaitSeconds - _wait);
    }
}
