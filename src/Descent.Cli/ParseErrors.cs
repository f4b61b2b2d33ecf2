using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Descent.Cli;

/// <summary>
/// The one line a command line that does not parse gets: the option and what it expects (<c>--lr: 'abc' is not a
/// number</c>), an unknown option or command with the closest known one, in place of System.CommandLine's messages (which
/// name .NET types, take a line each and come with the help text).
/// </summary>
internal static class ParseErrors
{
    /// <summary>The message for the first of <paramref name="result"/>'s errors (it has at least one), without "error: ".</summary>
    public static string Describe(ParseResult result)
    {
        var error = result.Errors[0];
        var command = result.CommandResult.Command;
        string path = CommandPath(result.CommandResult);
        var option = error.SymbolResult switch
        {
            OptionResult o => o,
            ArgumentResult { Parent: OptionResult o } => o,
            _ => null,
        };
        if (option is not null) return ForOption(option);
        if (result.UnmatchedTokens.Count > 0) return ForUnmatched(result.UnmatchedTokens[0], command, path);
        if (command.Subcommands.Count > 0 && command.Action is null)
            return $"'{path}' needs a command: {string.Join(", ", command.Subcommands.Select(c => c.Name))} (see '{path} --help')";
        return Cli.OneLine(new InvalidOperationException(error.Message));
    }

    private static string ForOption(OptionResult result)
    {
        var option = result.Option;
        string name = option.Name;
        var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        var element = type.IsArray ? type.GetElementType()! : type;
        var tokens = result.Tokens.Select(t => t.Value).ToList();
        if (tokens.Count == 0) return $"{name} needs a value: {Kind(element)}";
        if (!type.IsArray && tokens.Count > 1) return $"{name} takes one value, got {tokens.Count}: {string.Join(", ", tokens.Select(t => $"'{t}'"))}";
        foreach (string token in tokens)
            if (Problem(token, element) is { } problem) return $"{name}: '{token}' {problem}";
        return $"{name}: {string.Join(" ", tokens.Select(t => $"'{t}'"))} is not {Kind(element)}";
    }

    private static string ForUnmatched(string token, Command command, string path)
    {
        if (token.StartsWith('-') && !double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            var names = command.Options.Where(o => !o.Hidden).Select(o => o.Name).ToList();
            return NameMatching.Suggest(token, names) is { } closest
                ? $"unknown option '{token}' for '{path}'. Did you mean '{closest}'?"
                : $"unknown option '{token}' for '{path}' (see '{path} --help')";
        }
        if (command.Subcommands.Count > 0)
        {
            var names = command.Subcommands.Select(c => c.Name).ToList();
            string hint = NameMatching.Suggest(token, names) is { } closest ? $" Did you mean '{closest}'?" : "";
            return $"unknown command '{token}' for '{path}'.{hint} Known: {string.Join(", ", names)}.";
        }
        return $"unexpected argument '{token}' for '{path}': every value follows its option (see '{path} --help')";
    }

    /// <summary>What is wrong with <paramref name="token"/> as a value of <paramref name="type"/>, or null when it parses.</summary>
    private static string? Problem(string token, Type type)
    {
        const NumberStyles integer = NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite;
        if (type == typeof(double) || type == typeof(float))
            return double.TryParse(token, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out _) ? null : "is not a number";
        if (type == typeof(int) || type == typeof(long))
        {
            bool fits = type == typeof(int) ? int.TryParse(token, integer, CultureInfo.InvariantCulture, out _) : long.TryParse(token, integer, CultureInfo.InvariantCulture, out _);
            if (fits) return null;
            bool whole = System.Numerics.BigInteger.TryParse(token, integer, CultureInfo.InvariantCulture, out _);
            return whole ? $"is out of range: {Kind(type)}" : "is not a whole number";
        }
        if (type == typeof(bool)) return bool.TryParse(token, out _) ? null : "is not true or false";
        return $"is not {Kind(type)}";
    }

    /// <summary>What an option of <paramref name="type"/> takes, in words.</summary>
    private static string Kind(Type type) =>
        type == typeof(double) || type == typeof(float) ? "a number"
        : type == typeof(int) ? $"a whole number from {int.MinValue} to {int.MaxValue}"
        : type == typeof(long) ? $"a whole number from {long.MinValue} to {long.MaxValue}"
        : type == typeof(bool) ? "true or false"
        : type == typeof(string) ? "a text"
        : $"a {type.Name}";

    /// <summary>The command's name as typed, from the root: "descent train", "descent bench optim".</summary>
    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Add(c.Parent is null ? "descent" : c.Command.Name);
        names.Reverse();
        return string.Join(" ", names);
    }
}
