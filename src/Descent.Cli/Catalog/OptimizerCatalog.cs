using System.Globalization;
using Descent.Optim;

namespace Descent.Cli.Catalog;

/// <summary>One command-line option of an optimizer: a hyperparameter, or one element of a pair (<c>--beta1</c>), with its preset value.</summary>
internal sealed record CliHyperparameter(string Name, double Default, Hyperparameter Declared, int Element)
{
    public bool IsFlag => Declared.IsFlag;

    /// <summary>True for a tuple's element that is none by default (Adafactor's eps1: the dtype's machine epsilon), which NumbersIn gives as NaN.</summary>
    public bool IsNone => double.IsNaN(Default);

    /// <summary>The hyperparameter's own documentation, naming the element of a pair.</summary>
    public string Help => (Declared.IsTuple ? $"{Declared.TorchName}[{Element}]: " : "") + Lower(Declared.Description.TrimEnd('.'));

    private static string Lower(string text) => text.Length > 1 && char.IsUpper(text[0]) && !char.IsUpper(text[1]) ? char.ToLowerInvariant(text[0]) + text[1..] : text;
}

/// <summary>One command-line option that names something (a wrapper's <c>--base</c>), with its preset value.</summary>
internal sealed record CliName(string Name, string Default, Hyperparameter Declared);

/// <summary>An optimizer of the registry as the command line builds it: by name, from --options over its preset.</summary>
internal sealed record OptimizerEntry(OptimizerInfo Info)
{
    public string Name => Info.Name;

    /// <summary>What it does in a sentence: the principle from the class's documentation (its summary if it has none).</summary>
    public string Summary => Info.Notes.Principle.Length > 0 ? Info.Notes.Principle : Info.Notes.Summary;

    /// <summary>The numeric options the command line accepts for it (choices such as the line search, and options that are unset by default, keep their preset).</summary>
    public IReadOnlyList<CliHyperparameter> Parameters { get; } =
    [
        .. Info.Hyperparameters.Where(h => !h.Type.IsEnum && !h.IsName && h.ValueIn(Info.Preset) is not null).SelectMany(h => h.CommandLineNames.Select((name, i) =>
            new CliHyperparameter(name, h.NumbersIn(Info.Preset)[i], h, i))),
    ];

    /// <summary>The options that take a name (a wrapper's <c>--base</c>: the registry's optimizer it wraps).</summary>
    public IReadOnlyList<CliName> Names { get; } =
    [
        .. Info.Hyperparameters.Where(h => h.IsName && h.ValueIn(Info.Preset) is string).Select(h => new CliName(h.CommandLineNames[0], (string)h.ValueIn(Info.Preset)!, h)),
    ];

    /// <summary>
    /// Builds the optimizer; <paramref name="given"/> overrides the preset and may only name this optimizer's options. The
    /// names given on the command line (<c>--base adam</c>) travel with the numbers when <paramref name="given"/> is
    /// what <c>HyperparameterOptions.Given</c> returned.
    /// </summary>
    public Optimizer Build(IEnumerable<Tensor> parameters, IReadOnlyDictionary<string, double> given) =>
        Build(parameters, given, (given as GivenHyperparameters)?.Names ?? new Dictionary<string, string>());

    /// <summary>Builds the optimizer from numbers and names that override its preset; each must be one of this optimizer's options.</summary>
    public Optimizer Build(IEnumerable<Tensor> parameters, IReadOnlyDictionary<string, double> given, IReadOnlyDictionary<string, string> names)
    {
        foreach (var name in given.Keys.Concat(names.Keys))
            if (!Parameters.Any(p => p.Name == name) && !Names.Any(n => n.Name == name))
                throw new UsageException($"--{name} does not apply to {Name}; it takes {string.Join(", ", Parameters.Select(p => "--" + p.Name).Concat(Names.Select(n => "--" + n.Name)))}");
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var n in Names)
        {
            if (!names.TryGetValue(n.Name, out var value)) continue;
            values[n.Declared.TorchName] = value;
            // A wrapper over another base runs it at that base's preset rate (L-BFGS's 1), unless --lr says otherwise.
            if (n.Declared.Range == HyperparameterRange.OptimizerName && !given.ContainsKey("lr") && OptimizerRegistry.Find(value) is { } named)
                values["lr"] = named.Preset.Lr;
        }
        foreach (var group in Parameters.GroupBy(p => p.Declared))
        {
            var h = group.Key;
            if (!group.Any(p => given.ContainsKey(p.Name))) continue;
            double[] numbers = [.. group.Select(p => given.GetValueOrDefault(p.Name, p.Default))];
            if (h.IsFlag && numbers[0] is not (0 or 1))
                throw new UsageException($"--{group.First().Name} is a flag: 0 or 1, got {numbers[0].ToString(CultureInfo.InvariantCulture)}");
            values[h.TorchName] = h.IsTuple ? numbers : h.IsFlag ? numbers[0] != 0 : numbers[0];
            if (h.Type == typeof(int) && numbers[0] != Math.Floor(numbers[0]))
                throw new UsageException($"--{group.First().Name} must be a whole number, got {numbers[0].ToString(CultureInfo.InvariantCulture)}");
        }
        try
        {
            return Info.Create(parameters, Info.Preset.WithValues(values));
        }
        catch (ArgumentException e) when (e.ParamName is not null)
        {
            throw new UsageException(Message(e));
        }
    }

    /// <summary>
    /// The constructor's complaint about <paramref name="e"/>'s parameter, in the command line's words: "--beta1 must be in
    /// [0, 1), got 2 (adam)" for "betas[0] must be in [0, 1), got 2"; "adam: …" when no option sets that parameter.
    /// </summary>
    private string Message(ArgumentException e)
    {
        string message = Cli.OneLine(e), parameter = e.ParamName!;
        // A tuple's element is named in the message ("betas[0] must be …"), the parameter is the tuple ("betas").
        var element = Parameters.FirstOrDefault(p => p.Declared.IsTuple && p.Declared.Name == parameter
                                                     && message.StartsWith($"{parameter}[{p.Element}] ", StringComparison.Ordinal));
        if (element is not null) return $"--{element.Name}{message[$"{parameter}[{element.Element}]".Length..]} ({Name})";
        var options = Names.Where(n => n.Declared.Name == parameter).Select(n => n.Name)
            .Concat(Parameters.Where(p => p.Declared.Name == parameter).Select(p => p.Name)).ToList();
        if (options.Count == 0) return $"{Name}: {message}";
        return options.Count == 1 && message.StartsWith(parameter + " ", StringComparison.Ordinal)
            ? $"--{options[0]}{message[parameter.Length..]} ({Name})"
            : $"{string.Join("/", options.Select(o => "--" + o))} ({Name}): {message}";
    }

    /// <summary>The learning rate this entry uses unless told otherwise.</summary>
    public double DefaultLr => Info.Preset.Lr;
}

/// <summary>The optimizers by name, in the tutorial's order: the registry's entries.</summary>
internal static class OptimizerCatalog
{
    public static IReadOnlyList<OptimizerEntry> All { get; } = [.. OptimizerRegistry.All.Select(i => new OptimizerEntry(i))];

    public static IReadOnlyDictionary<string, OptimizerEntry> ByName { get; } = All.ToDictionary(e => e.Name, StringComparer.OrdinalIgnoreCase);

    public static OptimizerEntry Find(string name) => Names.Resolve("optimizer", name, ByName);
}

/// <summary>
/// The hyperparameters given on the command line, as <c>HyperparameterOptions.Given</c> reads them: the numbers by
/// option name (the dictionary itself, which commands pass to
/// <see cref="OptimizerEntry.Build(IEnumerable{Tensor}, IReadOnlyDictionary{string, double})"/>), and the names given
/// (<c>--base adam</c>), which travel with them.
/// </summary>
internal sealed class GivenHyperparameters : Dictionary<string, double>
{
    public GivenHyperparameters() : base(StringComparer.Ordinal)
    {
    }

    /// <summary>The options that name something, by option name (<c>base</c> → <c>adam</c>).</summary>
    public Dictionary<string, string> Names { get; } = new(StringComparer.Ordinal);
}
