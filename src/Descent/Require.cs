using System.Globalization;

namespace Descent;

/// <summary>
/// The argument checks of the public boundary, in one place: every message names the argument and its value
/// ("lr must be >= 0 and finite, got -1"); the optional <c>what</c>, where given, names an element of the argument
/// (<c>betas[0]</c>).
/// </summary>
internal static class Require
{
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="value"/> is a count: a whole number from 0 to below 2^63, so that it fits a long.</summary>
    public static bool IsCount(double value) => value >= 0 && value < 9223372036854775808.0 && value == Math.Floor(value);

    /// <summary>An argument error's message without the " (Parameter 'x')" .NET appends, to quote inside another.</summary>
    public static string MessageOf(ArgumentException e)
    {
        string message = e.Message;
        int cut = e.ParamName is { Length: > 0 } name ? message.LastIndexOf($" (Parameter '{name}')", StringComparison.Ordinal) : -1;
        return cut >= 0 ? message[..cut] : message;
    }

    public static void Positive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value)) throw OutOfRange(name, value, "must be > 0 and finite");
    }

    public static void Positive(int value, string name)
    {
        if (value <= 0) throw OutOfRange(name, value, "must be >= 1");
    }

    public static void NonNegative(double value, string name, string? what = null)
    {
        if (!(value >= 0) || double.IsInfinity(value)) throw OutOfRange(name, value, "must be >= 0 and finite", what);
    }

    public static void NonNegative(int value, string name)
    {
        if (value < 0) throw OutOfRange(name, value, "must be >= 0");
    }

    public static void NonNegative(double[] values, string name)
    {
        for (int i = 0; i < values.Length; i++)
            if (!(values[i] >= 0) || double.IsInfinity(values[i]))
                throw new ArgumentOutOfRangeException(name, values[i], $"{name}[{i}] must be >= 0 and finite, got {Format(values[i])}");
    }

    /// <summary>lo &lt; value &lt;= hi (or lo &lt;= value when <paramref name="closedLow"/>).</summary>
    public static void InRange(double value, string name, double lo, double hi, bool closedLow)
    {
        bool ok = (closedLow ? value >= lo : value > lo) && value <= hi;
        if (!ok) throw OutOfRange(name, value, $"must be in {(closedLow ? "[" : "(")}{Format(lo)}, {Format(hi)}]");
    }

    public static void Defined<TEnum>(TEnum value, string name) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be one of {string.Join(", ", Enum.GetNames<TEnum>())}, got {value}");
    }

    public static void Finite(double value, string name, string? what = null)
    {
        if (!double.IsFinite(value)) throw OutOfRange(name, value, "must be finite", what);
    }

    /// <summary>0 ≤ value &lt; 1, as decay rates.</summary>
    public static void UnitInterval(double value, string name, string? what = null)
    {
        if (!(value >= 0 && value < 1)) throw OutOfRange(name, value, "must be in [0, 1)", what);
    }

    /// <summary>0 ≤ value ≤ 1.</summary>
    public static void ClosedUnitInterval(double value, string name, string? what = null)
    {
        if (!(value >= 0 && value <= 1)) throw OutOfRange(name, value, "must be in [0, 1]", what);
    }

    /// <summary>Not NaN.</summary>
    public static void Number(double value, string name, string? what = null)
    {
        if (double.IsNaN(value)) throw OutOfRange(name, value, "must be a number", what);
    }

    /// <summary>Nesterov momentum (SGD's rule, also LARS' and Signum's) needs momentum &gt; 0 and no dampening.</summary>
    public static void NesterovMomentum(bool nesterov, double momentum, double dampening)
    {
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException($"Nesterov momentum needs momentum > 0 and dampening = 0, got momentum={Format(momentum)}, dampening={Format(dampening)}", "nesterov");
    }

    private static ArgumentOutOfRangeException OutOfRange(string name, double value, string rule, string? what = null) =>
        new(name, value, $"{what ?? name} {rule}, got {Format(value)}");
}
