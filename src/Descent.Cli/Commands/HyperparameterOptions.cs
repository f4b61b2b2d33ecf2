using System.CommandLine;
using Descent.Cli.Catalog;

namespace Descent.Cli.Commands;

/// <summary>The optimizer hyperparameter options (--lr, --momentum, --base, …) shared by the commands that build an optimizer.</summary>
internal sealed class HyperparameterOptions
{
    private readonly List<(string Name, Option<double?> Option)> _options = [];
    private readonly List<(string Name, Option<string?> Option)> _names = [];

    public HyperparameterOptions()
    {
        var numbers = OptimizerCatalog.All.SelectMany(e => e.Parameters).GroupBy(p => p.Name).Select(g => g.First());
        foreach (var p in numbers)
            _options.Add((p.Name, new Option<double?>("--" + p.Name) { Description = p.Help + (p.IsFlag ? " (0 or 1)" : "") + " (the optimizer's preset when omitted)" }));
        // A name option (--base) serves several optimizers: its help says each one's preset.
        foreach (var takers in OptimizerCatalog.All.SelectMany(e => e.Names.Select(n => (Entry: e, Name: n))).GroupBy(x => x.Name.Name))
            _names.Add((takers.Key, new Option<string?>("--" + takers.Key)
            {
                Description = $"the optimizer it wraps, by name ({string.Join(", ", takers.Select(x => $"{x.Entry.Name}: {x.Name.Default}"))} when omitted)",
            }));
    }

    public void AddTo(Command command)
    {
        foreach (var (_, option) in _options) command.Options.Add(option);
        foreach (var (_, option) in _names) command.Options.Add(option);
    }

    /// <summary>The hyperparameters given on the command line: the numbers, and the names in <see cref="GivenHyperparameters.Names"/>.</summary>
    public GivenHyperparameters Given(ParseResult result)
    {
        var given = new GivenHyperparameters();
        foreach (var (name, option) in _options)
            if (result.GetValue(option) is double v)
            {
                if (!double.IsFinite(v)) throw new UsageException($"--{name} must be a finite number, got {v}");
                given[name] = v;
            }
        foreach (var (name, option) in _names)
            if (result.GetValue(option) is string text) given.Names[name] = text;
        return given;
    }
}
