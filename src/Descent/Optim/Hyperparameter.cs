using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace Descent.Optim;

/// <summary>The values a hyperparameter may take; a tuple's range applies to each element.</summary>
public enum HyperparameterRange
{
    /// <summary>Any value of its type (flags, choices).</summary>
    Any,

    /// <summary>A finite number.</summary>
    Finite,

    /// <summary>A finite number ≥ 0.</summary>
    NonNegative,

    /// <summary>A number in [0, 1), as decay rates.</summary>
    UnitInterval,

    /// <summary>A number in [0, 1].</summary>
    ClosedUnitInterval,

    /// <summary>An integer ≥ 1, as counts.</summary>
    AtLeastOne,

    /// <summary>The name of an entry of <see cref="OptimizerRegistry"/> (a wrapper's base optimizer), or none.</summary>
    OptimizerName,
}

/// <summary>
/// Declares an options property as a hyperparameter: its PyTorch name and its valid range. Validation, the state dict,
/// the command line and the listings all read these declarations.
/// </summary>
/// <param name="torchName">The name PyTorch gives it in a parameter group.</param>
/// <param name="line">Left to the compiler: the line of the declaration.</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class HyperparameterAttribute(string torchName, [CallerLineNumber] int line = 0) : Attribute
{
    /// <summary>The name PyTorch gives it in a parameter group (<c>weight_decay</c>, <c>betas</c>).</summary>
    public string TorchName { get; } = torchName;

    /// <summary>
    /// The line it is declared on, which orders a record's hyperparameters as its source does: reflection promises no
    /// order of properties, and NativeAOT keeps no metadata tokens to sort by.
    /// </summary>
    public int Line { get; } = line;

    /// <summary>The values it may take.</summary>
    public HyperparameterRange Range { get; set; }

    /// <summary>
    /// The coefficient that cyclic schedules vary as "momentum": SGD's and RMSprop's momentum, the first element of the
    /// Adam family's betas. At most one per options type.
    /// </summary>
    public bool Cycled { get; set; }

    /// <summary>The command-line names of a tuple's elements (<c>beta1</c>, <c>beta2</c>).</summary>
    public string[]? ElementNames { get; set; }

    /// <summary>
    /// The command-line name when it is not PyTorch's name with dashes: the wrappers' <c>lookahead_base</c> and
    /// <c>sam_base</c> are both <c>--base</c>.
    /// </summary>
    public string? CommandLineName { get; set; }
}

/// <summary>One declared hyperparameter of an options record, as the listings and the command line see it.</summary>
public sealed class Hyperparameter
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyList<Hyperparameter>> Cache = new();
    private readonly PropertyInfo _property;

    private Hyperparameter(PropertyInfo property, HyperparameterAttribute declared)
    {
        _property = property;
        Name = char.ToLowerInvariant(property.Name[0]) + property.Name[1..];
        TorchName = declared.TorchName;
        Range = declared.Range;
        Cycled = declared.Cycled;
        Type = property.PropertyType;
        if (IsTuple && declared.ElementNames?.Length != TupleLength)
            throw new InvalidOperationException($"{property.DeclaringType?.Name}.{property.Name} is a tuple of {TupleLength} and must name its elements");
        CommandLineNames = IsTuple ? declared.ElementNames! : [declared.CommandLineName ?? TorchName.Replace('_', '-')];
        bool count = Type == typeof(int) || Type == typeof(int?);
        if ((Range == HyperparameterRange.AtLeastOne) != count && !(count && Range == HyperparameterRange.Any))
            throw new InvalidOperationException($"{property.DeclaringType?.Name}.{property.Name}: range {Range} does not fit a {Type.Name}");
        if ((Range == HyperparameterRange.OptimizerName) != IsName && !(IsName && Range == HyperparameterRange.Any))
            throw new InvalidOperationException($"{property.DeclaringType?.Name}.{property.Name}: range {Range} does not fit a {Type.Name}");
    }

    /// <summary>The C# name, as the optimizer's constructor argument and error messages spell it (<c>weightDecay</c>).</summary>
    public string Name { get; }

    /// <summary>PyTorch's name (<c>weight_decay</c>), used in state dicts.</summary>
    public string TorchName { get; }

    /// <summary>The values it may take.</summary>
    public HyperparameterRange Range { get; }

    /// <summary>Whether cyclic schedules vary it as momentum (a pair: its first element).</summary>
    public bool Cycled { get; }

    /// <summary>
    /// Its type: <see cref="double"/>, <see cref="bool"/>, <see cref="int"/>, an enum, a name (<see cref="string"/>), or a tuple of doubles: a pair
    /// <c>(double, double)</c>, a pair whose first element may be none <c>(double?, double)</c>, or a triple.
    /// </summary>
    public Type Type { get; }

    /// <summary>True for a flag.</summary>
    public bool IsFlag => Type == typeof(bool);

    /// <summary>True for a name (a string, such as a wrapper's base optimizer); null is none.</summary>
    public bool IsName => Type == typeof(string);

    /// <summary>True for a pair of numbers (<c>betas</c>; Adafactor's <c>eps</c>, whose first element may be none).</summary>
    public bool IsPair => Type == typeof((double, double)) || Type == typeof((double?, double));

    /// <summary>True for a tuple of numbers, each element its own command-line option: a pair, or a triple (Muon's <c>ns_coefficients</c>).</summary>
    public bool IsTuple => IsPair || Type == typeof((double, double, double));

    /// <summary>The number of elements of a tuple (0 for the other kinds).</summary>
    private int TupleLength => IsTuple ? (Type == typeof((double, double, double)) ? 3 : 2) : 0;

    /// <summary>Whether a tuple's first element may be none (Adafactor's <c>eps1</c>: the dtype's machine epsilon).</summary>
    private bool FirstMayBeNone => Type == typeof((double?, double));

    /// <summary>What it is, from its property's documentation ("" when the documentation file is not beside the assembly).</summary>
    public string Description => OptimizerNotes.SummaryOf($"P:{_property.DeclaringType!.FullName}.{_property.Name}");

    /// <summary>The command-line option names: one, or one per element of a tuple (<c>beta1</c>, <c>beta2</c>).</summary>
    public IReadOnlyList<string> CommandLineNames { get; }

    /// <summary>Its value in <paramref name="options"/> (null only for an optional number that is not set).</summary>
    public object? ValueIn(OptimizerOptions options) => _property.GetValue(options);

    /// <summary>
    /// Its value in <paramref name="options"/> as numbers: one, or the elements of a tuple (an element that is none is
    /// NaN); flags are 0 or 1; a name has none.
    /// </summary>
    public double[] NumbersIn(OptimizerOptions options) => ValueIn(options) switch
    {
        ITuple when IsTuple => [.. ElementsIn(options).Select(e => e ?? double.NaN)],
        bool f => [f ? 1 : 0],
        Enum e => [Convert.ToInt32(e, CultureInfo.InvariantCulture)],
        null or string => [],
        var v => [Convert.ToDouble(v, CultureInfo.InvariantCulture)],
    };

    /// <summary>The hyperparameters an options type declares, the base's (<c>lr</c>) first, then in declaration order.</summary>
    public static IReadOnlyList<Hyperparameter> Of([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type optionsType)
    {
        ArgumentNullException.ThrowIfNull(optionsType);
        // Not GetOrAdd's factory: a lambda's parameter would lose the annotation that keeps the properties when trimmed.
        if (Cache.TryGetValue(optionsType, out var known)) return known;
        return Cache.GetOrAdd(optionsType, Declared(optionsType));
    }

    private static Hyperparameter[] Declared([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type t)
    {
        Hyperparameter[] declared =
        [
            .. t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Select(p => (Property: p, Declared: p.GetCustomAttribute<HyperparameterAttribute>()))
                .Where(x => x.Declared is not null)
                .OrderBy(x => Depth(x.Property.DeclaringType!)).ThenBy(x => x.Declared!.Line).ThenBy(x => x.Property.Name, StringComparer.Ordinal)
                .Select(x => new Hyperparameter(x.Property, x.Declared!)),
        ];
        if (declared.Count(h => h.Cycled) > 1)
            throw new InvalidOperationException($"{t.Name} marks more than one hyperparameter as the cycled momentum");
        return declared;
    }

    private static int Depth(Type t)
    {
        int depth = 0;
        for (var b = t.BaseType; b is not null; b = b.BaseType) depth++;
        return depth;
    }

    /// <summary>Throws when <paramref name="options"/>' value is outside the range, naming the hyperparameter and the value.</summary>
    internal void Check(OptimizerOptions options)
    {
        if (IsTuple)
        {
            var elements = ElementsIn(options);
            for (int i = 0; i < elements.Length; i++)
                if (elements[i] is double e) CheckNumber(e, $"{Name}[{i}]"); // none only where the type allows it
            return;
        }
        switch (ValueIn(options))
        {
            case double d:
                CheckNumber(d, Name);
                break;
            case int i when Range == HyperparameterRange.AtLeastOne:
                Require.Positive(i, Name);
                break;
            case Enum e when !Enum.IsDefined(e.GetType(), e):
                throw new ArgumentOutOfRangeException(Name, e, $"{Name} must be one of {string.Join(", ", Enum.GetNames(e.GetType()))}, got {e}");
            case string s when Range == HyperparameterRange.OptimizerName && OptimizerRegistry.Find(s) is null:
                throw new ArgumentException($"{Name} must name an optimizer ({string.Join(", ", OptimizerRegistry.All.Select(e => e.Name))}), got '{s}'", Name);
        }
    }

    private void CheckNumber(double value, string what)
    {
        switch (Range)
        {
            case HyperparameterRange.Finite: Require.Finite(value, Name, what); break;
            case HyperparameterRange.NonNegative: Require.NonNegative(value, Name, what); break;
            case HyperparameterRange.UnitInterval: Require.UnitInterval(value, Name, what); break;
            case HyperparameterRange.ClosedUnitInterval: Require.ClosedUnitInterval(value, Name, what); break;
            default: Require.Number(value, Name, what); break;
        }
    }

    /// <summary>
    /// The value as a state dict holds it: numbers as double, counts as long, tuples as double[] (double?[] with null
    /// for an element that is none, as PyTorch's <c>(None, 1e-3)</c>), choices as PyTorch's string (none: absent).
    /// </summary>
    internal object? ToStateValue(OptimizerOptions options) => ValueIn(options) switch
    {
        ITuple when IsTuple => ElementsIn(options) is var e && e.All(x => x is not null) ? e.Select(x => x!.Value).ToArray() : e,
        int i => (long)i,
        Enum e => Convert.ToInt32(e, CultureInfo.InvariantCulture) == 0 ? null : Snake(e.ToString()),
        var v => v,
    };

    /// <summary>Sets this hyperparameter on a copy being built from a state dict value.</summary>
    internal void SetFromStateValue(OptimizerOptions copy, object? value)
    {
        object converted = Type switch
        {
            _ when Type == typeof(double) => NumberOf(value),
            _ when Type == typeof(double?) => value is null ? null! : NumberOf(value),
            _ when Type == typeof(bool) => value as bool? ?? throw Mismatch(value, "true or false"),
            _ when Type == typeof(int) => IntegerOf(value),
            _ when Type == typeof(int?) => value is null ? null! : IntegerOf(value),
            _ when IsName => value is null ? null! : value as string ?? throw Mismatch(value, "a name"),
            _ when IsTuple => TupleOf(ElementsOf(value)),
            _ when Type.IsEnum => value is null ? Enum.ToObject(Type, 0) : ParseChoice(value),
            _ => throw new InvalidOperationException($"hyperparameter {TorchName} has an unsupported type {Type.Name}"),
        };
        _property.SetValue(copy, converted);
    }

    /// <summary>A state dict's number: any integer or floating-point value (a file gives doubles, code may give ints); null for anything else.</summary>
    internal static double? AsNumber(object? value) => value switch
    {
        double d => d,
        float or int or long or short or byte or uint or ulong or decimal => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        _ => null,
    };

    private double NumberOf(object? value) => AsNumber(value) ?? throw Mismatch(value, "a number");

    /// <summary>A state dict's count: a whole number within <see cref="int"/>'s range.</summary>
    private int IntegerOf(object? value)
    {
        double d = NumberOf(value);
        return d == Math.Floor(d) && d >= int.MinValue && d <= int.MaxValue ? (int)d : throw Mismatch(value, "a whole number");
    }

    private ArgumentException Mismatch(object? value, string expected) =>
        new($"hyperparameter {TorchName} must be {expected}, got {Describe(value)}", "value");

    /// <summary>A state dict's value as a message quotes it: <c>none</c>, <c>"text"</c>, a number, <c>True</c>.</summary>
    internal static string Describe(object? value) => value switch
    {
        null => "none",
        string text => $"\"{text}\"",
        double d => Require.Format(d),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? value.GetType().Name,
    };

    /// <summary>Sets a number (a tuple's first element) on a copy.</summary>
    internal void SetNumber(OptimizerOptions copy, double value)
    {
        if (ValueIn(copy) is null) throw new InvalidOperationException($"{copy.GetType().Name} has no {TorchName} to set");
        if (IsTuple)
        {
            var elements = ElementsIn(copy);
            elements[0] = value;
            _property.SetValue(copy, TupleOf(elements));
        }
        else _property.SetValue(copy, value);
    }

    /// <summary>A tuple's elements in <paramref name="options"/>, null where one is none.</summary>
    private double?[] ElementsIn(OptimizerOptions options)
    {
        var tuple = (ITuple)ValueIn(options)!;
        return [.. Enumerable.Range(0, tuple.Length).Select(i => (double?)tuple[i])];
    }

    /// <summary>A tuple's elements from a state dict value: double[] or double?[] (from a file or the command line) or the tuple itself.</summary>
    private double?[] ElementsOf(object? value)
    {
        double?[]? elements = value switch
        {
            double[] a => [.. a.Select(x => (double?)x)],
            double?[] a => a,
            ITuple t => [.. Enumerable.Range(0, t.Length).Select(i => t[i] is null ? null : (double?)Convert.ToDouble(t[i], CultureInfo.InvariantCulture))],
            _ => null,
        };
        if (elements is null || elements.Length != TupleLength)
            throw new ArgumentException($"hyperparameter {TorchName} must be {TupleLength} numbers, got {value ?? "null"}", nameof(value));
        return elements;
    }

    /// <summary>
    /// The tuple of this hyperparameter's type from its elements. Where the type allows none, null and NaN (how the
    /// command line gives an element it was not told) are none; anywhere else none is refused.
    /// </summary>
    private object TupleOf(double?[] e)
    {
        if (FirstMayBeNone) return (e[0] is double first && !double.IsNaN(first) ? first : (double?)null, Required(e, 1));
        return TupleLength == 3 ? (Required(e, 0), Required(e, 1), Required(e, 2)) : (Required(e, 0), Required(e, 1));
    }

    private double Required(double?[] elements, int i) => elements[i]
        ?? throw new ArgumentException($"hyperparameter {TorchName}[{i}] must be a number, got none", "value");

    private object ParseChoice(object value)
    {
        if (value.GetType() == Type) return value; // code may give the choice itself (WithValues)
        string text = value as string ?? throw Mismatch(value, "a name");
        foreach (var name in Enum.GetNames(Type))
            if (Snake(name) == text || name == text) return Enum.Parse(Type, name);
        throw new ArgumentException($"hyperparameter {TorchName} must be one of {string.Join(", ", Enum.GetNames(Type).Skip(1).Select(Snake))} or absent, got \"{text}\"", nameof(value));
    }

    /// <summary>PyTorch's spelling of a choice: <c>StrongWolfe</c> → <c>strong_wolfe</c>.</summary>
    internal static string Snake(string name)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
