using System.CommandLine;
using System.Diagnostics;
using Descent.Cli.Catalog;
using Descent.Cli.Lab;
using Descent.Functions;

namespace Descent.Cli.Commands;

/// <summary><c>descent lab</c>: runs the optimizers side by side on landscapes and real data and writes an illustrated report.</summary>
internal static class LabCommand
{
    /// <summary>The landscapes of the lab, in the order the report shows them.</summary>
    public static readonly string[] Landscapes = ["rosenbrock", "beale", "himmelblau", "rastrigin", "saddle", "ill-conditioned-quadratic"];

    /// <summary>The optimizers of the tutorial, then the rest of the family.</summary>
    public static readonly string[] Tutorial = ["gd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam"];

    public static readonly string[] Extra = [.. Descent.Optim.OptimizerRegistry.All.Select(e => e.Name).Except(Tutorial)];

    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "fewer steps, a smaller learning-rate grid and the digits table instead of MNIST (well under a minute)" };
        var output = new Option<string>("--out") { Description = "folder for index.html and its charts", DefaultValueFactory = _ => "lab" };
        var steps = new Option<int?>("--steps") { Description = "iterations per landscape run (default 500, 200 with --quick)" };
        var lr = new Option<double?>("--lr") { Description = "use this learning rate for every optimizer instead of searching" };
        var seed = new Option<long>("--seed") { Description = "seed for the data study", DefaultValueFactory = _ => 0 };
        var command = new Command("lab", "Run the optimizers side by side on classic landscapes and real data, and write an illustrated report (lab/index.html)")
        {
            quick, output, steps, lr, seed,
        };
        command.SetAction(r => Cli.Run(() => Run(r.GetValue(quick), r.GetValue(output)!, r.GetValue(steps), r.GetValue(lr), r.GetValue(seed))));
        return command;
    }

    internal static int Run(bool quick, string output, int? steps, double? lr, long seed)
    {
        int n = steps ?? (quick ? 200 : 500);
        if (n < 1) throw new UsageException($"--steps must be >= 1, got {n}");
        if (lr is double fixedLr && !(fixedLr > 0 && double.IsFinite(fixedLr))) throw new UsageException($"--lr must be > 0, got {fixedLr}");
        var clock = Stopwatch.StartNew();
        var optimizers = Tutorial.Concat(Extra).Select(OptimizerCatalog.Find).ToList();
        var landscapes = new List<LandscapeResult>();
        foreach (var name in Landscapes)
        {
            Progress($"landscape {name}: {optimizers.Count} optimizers" + (lr is null ? ", searching learning rates" : ""));
            landscapes.Add(LandscapeStudy.Run(TestFunctions.ByName(name), optimizers, n, quick, lr));
        }
        var (dataName, curves) = DataStudy.Run(quick, Tutorial.Select(OptimizerCatalog.Find).ToList(), seed, Progress);
        Progress("drawing the report");
        Directory.CreateDirectory(output);
        var results = new LabResults(landscapes, dataName, curves, optimizers, quick, clock.Elapsed.TotalSeconds);
        string index = new LabReport(output).Write(results);
        Console.WriteLine($"Report written to {Path.GetFullPath(index)} ({clock.Elapsed.TotalSeconds:F0} s)");
        return 0;
    }

    private static void Progress(string message) => Console.WriteLine($"[lab] {message}");
}
