using System.CommandLine;
using System.Globalization;
using Descent.Cli.Catalog;
using Descent.Functions;
using Descent.Plotting;
using Spectre.Console;

namespace Descent.Cli.Commands;

/// <summary><c>descent minimize</c>: one optimizer on one test function, with an optional drawing of its path.</summary>
internal static class MinimizeCommand
{
    public static Command Create()
    {
        var function = new Option<string>("--function") { Description = FunctionOption.FunctionHelp, DefaultValueFactory = _ => "rosenbrock" };
        var optimizer = new Option<string>("--optimizer") { Description = "optimizer (see 'descent optimizers')", DefaultValueFactory = _ => "adam" };
        var steps = new Option<int>("--steps") { Description = "maximum number of iterations", DefaultValueFactory = _ => 1000 };
        var tolerance = new Option<double?>("--tolerance") { Description = "stop when the gradient norm falls below this" };
        var start = new Option<string?>("--start") { Description = FunctionOption.StartHelp };
        var box = new Option<string?>("--box") { Description = FunctionOption.BoxHelp };
        var plot = new Option<string?>("--plot") { Description = "draw the path over the contours to FILE.png or FILE.svg (2-D functions)" };
        var json = new Option<bool>("--json") { Description = "print the result as JSON" };
        var hyper = new HyperparameterOptions();
        var command = new Command("minimize", "Minimise a test function with one optimizer") { function, optimizer, steps, tolerance, start, box, plot, json };
        hyper.AddTo(command);
        command.SetAction(r => Cli.Run(() => Run(r.GetValue(function)!, r.GetValue(optimizer)!, hyper.Given(r), r.GetValue(steps),
            r.GetValue(tolerance), r.GetValue(start), r.GetValue(plot), r.GetValue(json), r.GetValue(box))));
        return command;
    }

    internal static int Run(string functionName, string optimizerName, Dictionary<string, double> hyper, int steps, double? tolerance, string? start, string? plot, bool json, string? box = null)
    {
        if (steps < 1) throw new UsageException($"--steps must be >= 1, got {steps}");
        if (tolerance is double t && !(t > 0)) throw new UsageException($"--tolerance must be > 0, got {t}");
        var chosen = FunctionOption.Resolve(functionName, start, box);
        var f = chosen.Function;
        string title = chosen.IsExpression ? f.Formula : f.Name;
        var entry = OptimizerCatalog.Find(optimizerName);
        double[] x0 = chosen.Start;
        if (plot is not null && f.Dimension != 2) throw new UsageException($"--plot draws 2-D functions; {f.Name} has {f.Dimension} dimensions");
        if (plot is not null && !(plot.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || plot.EndsWith(".svg", StringComparison.OrdinalIgnoreCase)))
            throw new UsageException($"--plot must name a .png or .svg file, got '{plot}'");
        var stop = new StoppingCriteria { MaxIterations = steps, GradientTolerance = tolerance };
        var (x, fx) = Minimizer.StartFor(f.Value, x0, entry.Info); // a row matrix for an optimizer of matrices
        var result = Minimizer.Minimize(fx, x, entry.Build([x], hyper), stop);
        if (plot is not null)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(plot));
            if (dir is not null) Directory.CreateDirectory(dir);
            var trajectory = new Trajectory(entry.Name, result.Trajectory.Select(p => p[0]).ToArray(), result.Trajectory.Select(p => p[1]).ToArray());
            var files = Charts.Contour(plot, $"{entry.Name} on {title}", (a, b) => f.Value([a, b]), new PlotBox(chosen.Lower[0], chosen.Upper[0], chosen.Lower[1], chosen.Upper[1]),
                [trajectory], f.GlobalMinima.Select(m => new Point2(m[0], m[1])).ToList(), logLevels: f.MinimumValue is not null);
            if (!json) Console.WriteLine($"Path drawn to {(plot.EndsWith(".svg", StringComparison.OrdinalIgnoreCase) ? files.SvgPath : files.PngPath)}");
        }
        if (json)
        {
            Console.WriteLine(Cli.Json(new Dictionary<string, object?>
            {
                ["function"] = f.Name, ["formula"] = f.Formula, ["optimizer"] = entry.Name, ["start"] = x0, ["point"] = result.Point, ["loss"] = result.Loss,
                ["gradient_norm"] = result.GradientNorm, ["iterations"] = result.Iterations, ["stop_reason"] = result.StopReason.ToString(),
                ["seconds"] = result.Elapsed.TotalSeconds,
            }));
        }
        else
        {
            var table = new Table().AddColumns("function", "optimizer", "iterations", "final point", "f", "‖∇f‖", "stopped by");
            table.AddRow(Markup.Escape(title), entry.Name, result.Iterations.ToString(CultureInfo.InvariantCulture),
                "(" + string.Join(", ", result.Point.Select(v => v.ToString("G6", CultureInfo.InvariantCulture))) + ")",
                result.Loss.ToString("G6", CultureInfo.InvariantCulture), result.GradientNorm.ToString("G3", CultureInfo.InvariantCulture), result.StopReason.ToString());
            AnsiConsole.Write(table);
        }
        // The result above is the last finite point; the run still failed.
        return result.StopReason == StopReason.Diverged
            ? throw new RunException($"{entry.Name} diverged on {title}: the loss or its gradient was not finite after {result.Iterations} iteration{(result.Iterations == 1 ? "" : "s")}; lower --lr")
            : 0;
    }
}
