using System.CommandLine;
using System.Globalization;
using Descent.Cli.Catalog;
using Descent.Functions;
using Spectre.Console;

namespace Descent.Cli.Commands;

/// <summary><c>descent functions</c> and <c>descent optimizers</c>: what exists, with parameters and defaults.</summary>
internal static class ListCommands
{
    public static Command Functions()
    {
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var command = new Command("functions", "List the test functions with their start, box and known minima") { json };
        command.SetAction(r => Cli.Run(() =>
        {
            var all = TestFunctions.All();
            if (r.GetValue(json))
            {
                Console.WriteLine(Cli.Json(all.Select(f => new { name = f.Name, formula = f.Formula, dimension = f.Dimension, start = f.Start, lower = f.Lower, upper = f.Upper, minima = f.GlobalMinima, minimum_value = f.MinimumValue })));
                return 0;
            }
            var table = new Table().AddColumns("name", "formula", "start", "global minima");
            foreach (var f in all)
                table.AddRow(Markup.Escape(f.Name), Markup.Escape(f.Formula), Markup.Escape(Vector(f.Start)),
                    Markup.Escape(f.GlobalMinima.Count == 0 ? "none" : string.Join(" ", f.GlobalMinima.Select(Vector)) + $" (f = {f.MinimumValue?.ToString("G4", CultureInfo.InvariantCulture)})"));
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    public static Command Optimizers()
    {
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var command = new Command("optimizers", "List the optimizers with their hyperparameters and defaults") { json };
        command.SetAction(r => Cli.Run(() =>
        {
            if (r.GetValue(json))
            {
                Console.WriteLine(Cli.Json(OptimizerCatalog.All.Select(o => new
                {
                    name = o.Name, summary = o.Summary,
                    hyperparameters = o.Parameters.Select(p => KeyValuePair.Create(p.Name, p.IsNone ? null : (object)p.Default))
                        .Concat(o.Names.Select(n => KeyValuePair.Create(n.Name, (object?)n.Default))).ToDictionary(),
                })));
                return 0;
            }
            var table = new Table().AddColumns("name", "what it does", "hyperparameters (defaults)");
            foreach (var o in OptimizerCatalog.All)
                table.AddRow(o.Name, Markup.Escape(o.Summary), Markup.Escape(string.Join("  ", o.Names.Select(n => $"--{n.Name} {n.Default}")
                    .Concat(o.Parameters.Select(p => $"--{p.Name} {(p.IsNone ? "none" : p.Default.ToString("G", CultureInfo.InvariantCulture))}")))));
            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    private static string Vector(double[] v) => "(" + string.Join(", ", v.Select(x => x.ToString("G4", CultureInfo.InvariantCulture))) + ")";
}
