using System.Globalization;

namespace Descent.Optim;

/// <summary>
/// The hyperparameters of one parameter group. Each optimizer has its own record deriving from this one; a scheduler
/// changes <see cref="Lr"/> (and <see cref="Momentum"/>) without knowing which optimizer it drives.
/// </summary>
public abstract record OptimizerOptions
{
    /// <summary>The learning rate α.</summary>
    public double Lr { get; set; }

    /// <summary>
    /// The momentum-like coefficient that cyclic schedules vary: SGD's and RMSprop's <c>momentum</c>, the Adam family's
    /// β₁. Null when the optimizer has none.
    /// </summary>
    public virtual double? Momentum
    {
        get => null;
        set => throw new InvalidOperationException($"{GetType().Name} has no momentum or beta1 to set");
    }

    /// <summary>Throws an argument exception naming the first hyperparameter out of range.</summary>
    public virtual void Validate() => NonNegative(Lr, "lr");

    /// <summary>The hyperparameters by PyTorch's names, for state dicts and listings.</summary>
    public virtual IReadOnlyDictionary<string, object> ToDictionary() => new Dictionary<string, object> { ["lr"] = Lr };

    /// <summary>
    /// A copy with the values of <paramref name="values"/> (PyTorch's names, as <see cref="ToDictionary"/> writes them);
    /// names it does not hold keep their current value.
    /// </summary>
    protected internal virtual OptimizerOptions WithValues(IReadOnlyDictionary<string, object> values) =>
        this with { Lr = Number(values, "lr", Lr) };

    /// <summary>Reads a number from a hyperparameter dictionary, or returns <paramref name="fallback"/>.</summary>
    protected static double Number(IReadOnlyDictionary<string, object> values, string name, double fallback)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.TryGetValue(name, out var v) ? Convert.ToDouble(v, CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>Reads a flag from a hyperparameter dictionary, or returns <paramref name="fallback"/>.</summary>
    protected static bool Flag(IReadOnlyDictionary<string, object> values, string name, bool fallback)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.TryGetValue(name, out var v) ? Convert.ToBoolean(v, CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>Reads a pair (<c>betas</c>, <c>etas</c>…) stored as a two-element array, or returns <paramref name="fallback"/>.</summary>
    protected static (double, double) Pair(IReadOnlyDictionary<string, object> values, string name, (double, double) fallback)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (!values.TryGetValue(name, out var v)) return fallback;
        return v switch
        {
            double[] { Length: 2 } a => (a[0], a[1]),
            ValueTuple<double, double> t => t,
            _ => throw new ArgumentException($"hyperparameter {name} must be a pair of numbers, got {v}", nameof(values)),
        };
    }

    /// <summary>Throws when <paramref name="value"/> is negative, NaN or infinite.</summary>
    protected static void NonNegative(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be >= 0 and finite, got {value.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>
    /// Throws unless 0 ≤ <paramref name="value"/> &lt; 1; <paramref name="what"/> names an element of the argument
    /// (<c>"betas[0]"</c>) when it is not the whole argument.
    /// </summary>
    protected static void UnitInterval(double value, string name, string? what = null)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentOutOfRangeException(name, value, $"{what ?? name} must be in [0, 1), got {value.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>Throws unless <paramref name="value"/> is finite.</summary>
    protected static void Finite(double value, string name)
    {
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite, got {value.ToString(CultureInfo.InvariantCulture)}");
    }
}

/// <summary>
/// A group of parameters with hyperparameters of their own: <paramref name="Configure"/> turns the optimizer's defaults
/// into this group's options, e.g. <c>o =&gt; o with { Lr = 0.1 }</c>.
/// </summary>
public sealed record ParamGroupSpec<TOptions>(IEnumerable<Tensor> Parameters, Func<TOptions, TOptions>? Configure = null)
    where TOptions : OptimizerOptions;

/// <summary>A group of parameters that share hyperparameters, as PyTorch's <c>optimizer.param_groups[i]</c>.</summary>
public sealed class ParamGroup
{
    internal ParamGroup(IReadOnlyList<Tensor> parameters, OptimizerOptions options)
    {
        Parameters = parameters;
        Options = options;
    }

    /// <summary>The tensors this group updates.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>This group's hyperparameters (the optimizer's own options record); replaced by a loaded state dict.</summary>
    public OptimizerOptions Options { get; internal set; }

    /// <summary>This group's learning rate.</summary>
    public double Lr
    {
        get => Options.Lr;
        set => Options.Lr = value;
    }

    /// <summary>The learning rate a scheduler started from (PyTorch's <c>initial_lr</c>); null until a scheduler sets it.</summary>
    public double? InitialLr { get; set; }
}
