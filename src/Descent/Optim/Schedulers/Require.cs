using System.Globalization;

namespace Descent.Optim.Schedulers;

/// <summary>Argument checks shared by the schedulers; every message names the argument and its value.</summary>
internal static class Require
{
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static void Positive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value)) throw OutOfRange(name, value, "must be > 0 and finite");
    }

    public static void Positive(int value, string name)
    {
        if (value <= 0) throw OutOfRange(name, value, "must be >= 1");
    }

    public static void NonNegative(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value)) throw OutOfRange(name, value, "must be >= 0 and finite");
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

    /// <summary>Throws unless every group's options have a momentum (or beta1) that a cyclic schedule can vary.</summary>
    public static void HasMomentum(Optimizer optimizer, string scheduler)
    {
        for (int i = 0; i < optimizer.ParamGroups.Count; i++)
            if (optimizer.ParamGroups[i].Momentum is null)
                throw new ArgumentException(
                    $"cycleMomentum is true but parameter group {i} ({optimizer.ParamGroups[i].Options.GetType().Name}) has no momentum or beta1; " +
                    $"pass cycleMomentum: false to {scheduler}", "cycleMomentum");
    }

    private static ArgumentOutOfRangeException OutOfRange(string name, double value, string rule) =>
        new(name, value, $"{name} {rule}, got {Format(value)}");
}
