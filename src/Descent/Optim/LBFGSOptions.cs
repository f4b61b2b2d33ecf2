namespace Descent.Optim;

/// <summary>The line search of <see cref="LBFGS"/>.</summary>
public enum LineSearch
{
    /// <summary>No line search: a fixed step of lr along each direction (PyTorch's <c>line_search_fn=None</c>).</summary>
    None,

    /// <summary>A step satisfying the strong Wolfe conditions, found by bracketing and cubic interpolation (<c>"strong_wolfe"</c>).</summary>
    StrongWolfe,
}

/// <summary>The hyperparameters of <see cref="LBFGS"/> (PyTorch's defaults).</summary>
public sealed record LBFGSOptions : OptimizerOptions
{
    /// <summary>Creates L-BFGS options with the learning rate <paramref name="lr"/> (the step along each search direction, 1 by default).</summary>
    public LBFGSOptions(double lr = 1) => Lr = lr;

    /// <summary>The most inner iterations one <see cref="Optimizer.Step(Func{Tensor})"/> runs.</summary>
    [Hyperparameter("max_iter", Range = HyperparameterRange.AtLeastOne)]
    public int MaxIter { get; init; } = 20;

    /// <summary>The most function evaluations one step makes; null for PyTorch's default, maxIter·5/4 (<see cref="EvaluationBudget"/>).</summary>
    [Hyperparameter("max_eval", Range = HyperparameterRange.AtLeastOne)]
    public int? MaxEval { get; init; }

    /// <summary>The most function evaluations one step makes: <see cref="MaxEval"/>, or maxIter·5/4 when it is null.</summary>
    public int EvaluationBudget => MaxEval ?? MaxIter * 5 / 4;

    /// <summary>Stop when the largest gradient component is at most this (first-order optimality).</summary>
    [Hyperparameter("tolerance_grad", Range = HyperparameterRange.NonNegative)]
    public double ToleranceGrad { get; init; } = 1e-7;

    /// <summary>Stop when the step or the change of the loss is below this.</summary>
    [Hyperparameter("tolerance_change", Range = HyperparameterRange.NonNegative)]
    public double ToleranceChange { get; init; } = 1e-9;

    /// <summary>The number of past (s, y) pairs kept to approximate the inverse Hessian.</summary>
    [Hyperparameter("history_size", Range = HyperparameterRange.AtLeastOne)]
    public int HistorySize { get; init; } = 100;

    /// <summary>The line search (PyTorch's <c>line_search_fn</c>: absent for none, <c>"strong_wolfe"</c>).</summary>
    [Hyperparameter("line_search_fn")]
    public LineSearch LineSearch { get; init; }
}
