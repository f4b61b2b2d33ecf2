using System.CommandLine;
using Descent.Cli.Catalog;

namespace Descent.Cli.Commands;

/// <summary>The optimizer hyperparameter options (--lr, --momentum, …) shared by the commands that build an optimizer.</summary>
internal sealed class HyperparameterOptions
{
    private readonly List<(string Name, Option<double?> Option)> _options = [];

    public HyperparameterOptions()
    {
        var names = OptimizerCatalog.All.SelectMany(e => e.Parameters).GroupBy(p => p.Name).Select(g => g.First());
        foreach (var p in names)
            _options.Add((p.Name, new Option<double?>("--" + p.Name) { Description = p.Help + (p.IsFlag ? " (0 or 1)" : "") + " (the optimizer's preset when omitted)" }));
    }

    public void AddTo(Command command)
    {
        foreach (var (_, option) in _options) command.Options.Add(option);
    }

    /// <summary>The hyperparameters given on the command line.</summary>
    public Dictionary<string, double> Given(ParseResult result)
    {
        var given = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, option) in _options)
            if (result.GetValue(option) is double v)
            {
                if (!double.IsFinite(v)) throw new UsageException($"--{name} must be a finite number, got {v}");
                given[name] = v;
            }
        return given;
    }
}
