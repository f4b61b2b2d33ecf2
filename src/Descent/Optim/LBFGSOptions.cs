using System.Globalization;

namespace Descent.Optim;

/// <summary>The hyperparameters of <see cref="LBFGS"/> (PyTorch's defaults).</summary>
public sealed record LBFGSOptions : OptimizerOptions
{
    /// <summary>Creates L-BFGS options with the learning rate <paramref name="lr"/> (the step along each search direction, 1 by default).</summary>
    public LBFGSOptions(double lr = 1) => Lr = lr;

    /// <summary>The most inner iterations one <see cref="Optimizer.Step(Func{Tensor})"/> runs.</summary>
    public int MaxIter { get; init; } = 20;

    /// <summary>The most function evaluations one step makes (PyTorch's default: maxIter·5/4).</summary>
    public int MaxEval { get; init; } = 25;

    /// <summary>Stop when the largest gradient component is at most this (first-order optimality).</summary>
    public double ToleranceGrad { get; init; } = 1e-7;

    /// <summary>Stop when the step or the change of the loss is below this.</summary>
    public double ToleranceChange { get; init; } = 1e-9;

    /// <summary>The number of past (s, y) pairs kept to approximate the inverse Hessian.</summary>
    public int HistorySize { get; init; } = 100;

    /// <summary>The line search: null (a fixed step of lr) or <c>"strong_wolfe"</c>.</summary>
    public string? LineSearchFn { get; init; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Positive(MaxIter, "maxIter");
        Positive(MaxEval, "maxEval");
        NonNegative(ToleranceGrad, "toleranceGrad");
        NonNegative(ToleranceChange, "toleranceChange");
        Positive(HistorySize, "historySize");
        if (LineSearchFn is not (null or "strong_wolfe"))
            throw new ArgumentOutOfRangeException("lineSearchFn", LineSearchFn, $"lineSearchFn must be null or \"strong_wolfe\", got \"{LineSearchFn}\"");
    }

    private static void Positive(int value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"{name} must be >= 1, got {value.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> ToDictionary()
    {
        var d = new Dictionary<string, object>
        {
            ["lr"] = Lr, ["max_iter"] = (long)MaxIter, ["max_eval"] = (long)MaxEval, ["tolerance_grad"] = ToleranceGrad,
            ["tolerance_change"] = ToleranceChange, ["history_size"] = (long)HistorySize,
        };
        if (LineSearchFn is not null) d["line_search_fn"] = LineSearchFn;
        return d;
    }

    /// <inheritdoc/>
    protected internal override OptimizerOptions WithValues(IReadOnlyDictionary<string, object> values) => this with
    {
        Lr = Number(values, "lr", Lr), MaxIter = (int)Number(values, "max_iter", MaxIter), MaxEval = (int)Number(values, "max_eval", MaxEval),
        ToleranceGrad = Number(values, "tolerance_grad", ToleranceGrad), ToleranceChange = Number(values, "tolerance_change", ToleranceChange),
        HistorySize = (int)Number(values, "history_size", HistorySize),
        LineSearchFn = values.TryGetValue("line_search_fn", out var f) ? f as string : null,
    };
}
