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
        var function = new Option<string?>("--function") { Description = "also study this landscape: " + FunctionOption.FunctionHelp };
        var start = new Option<string?>("--start") { Description = "with a --function formula: " + FunctionOption.StartHelp };
        var box = new Option<string?>("--box") { Description = "with a --function formula: " + FunctionOption.BoxHelp };
        var command = new Command("lab", "Run the optimizers side by side on classic landscapes and real data, and write an illustrated report (lab/index.html)")
        {
            quick, output, steps, lr, seed, function, start, box,
        };
        command.SetAction(r => Cli.Run(() => Run(r.GetValue(quick), r.GetValue(output)!, r.GetValue(steps), r.GetValue(lr), r.GetValue(seed),
            r.GetValue(function), r.GetValue(start), r.GetValue(box))));
        return command;
    }

    internal static int Run(bool quick, string output, int? steps, double? lr, long seed, string? function = null, string? start = null, string? box = null)
    {
        int n = steps ?? (quick ? 200 : 500);
        if (n < 1) throw new UsageException($"--steps must be >= 1, got {n}");
        if (lr is double fixedLr && !(fixedLr > 0 && double.IsFinite(fixedLr))) throw new UsageException($"--lr must be > 0, got {fixedLr}");
        if (File.Exists(output)) throw new UsageException($"--out names the folder to write index.html and its charts into, and '{output}' is a file");
        var functions = Functions(function, start, box);
        var clock = Stopwatch.StartNew();
        var optimizers = Tutorial.Concat(Extra).Select(OptimizerCatalog.Find).ToList();
        var landscapes = new List<LandscapeResult>();
        foreach (var f in functions)
        {
            Progress($"landscape {f.Name}: {optimizers.Count} optimizers" + (lr is null ? ", searching learning rates" : ""));
            landscapes.Add(LandscapeStudy.Run(f, optimizers, n, quick, lr));
        }
        Progress("the quadratic's closed form beside Descent's iterates");
        var theory = TheoryStudy.Data(quick);
        var (dataName, curves) = DataStudy.Run(quick, Tutorial.Select(OptimizerCatalog.Find).ToList(), seed, Progress);
        Progress("drawing the report");
        Directory.CreateDirectory(output);
        var results = new LabResults(landscapes, n, theory, dataName, curves, optimizers, quick, clock.Elapsed.TotalSeconds);
        string index = new LabReport(output).Write(results);
        Console.WriteLine($"Report written to {Path.GetFullPath(index)} ({clock.Elapsed.TotalSeconds:F0} s)");
        return 0;
    }

    /// <summary>The built-in landscapes, then the one of <c>--function</c> unless it is one of them already.</summary>
    private static List<TestFunction> Functions(string? function, string? start, string? box)
    {
        var functions = Landscapes.Select(TestFunctions.ByName).ToList();
        if (function is null)
        {
            if (start is not null || box is not null) throw new UsageException("--start and --box shape the landscape of --function; give --function too");
            return functions;
        }
        var chosen = FunctionOption.Resolve(function, start, box);
        if (!chosen.IsExpression && (start is not null || box is not null))
            throw new UsageException($"--start and --box shape a --function formula; the test function {chosen.Function.Name} keeps its own start and box in the lab");
        if (chosen.Function.Dimension != 2) throw new UsageException($"the lab draws functions of x and y; {chosen.Function.Name} has {chosen.Function.Dimension} dimension(s)");
        if (!functions.Any(f => f.Name == chosen.Function.Name)) functions.Add(chosen.Function);
        return functions;
    }

    private static void Progress(string message) => Console.WriteLine($"[lab] {message}");
}
