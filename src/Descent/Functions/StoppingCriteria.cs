namespace Descent.Functions;

/// <summary>
/// When <see cref="Minimizer"/> stops. The rules combine: the run stops at the first iterate where any of them holds,
/// and a non-finite loss or gradient always stops it (<see cref="StopReason.Diverged"/>). Unset rules (null) are off.
/// </summary>
/// <example><code>new StoppingCriteria { MaxIterations = 5000, GradientTolerance = 1e-8, TimeBudget = TimeSpan.FromSeconds(2) }</code></example>
public sealed record StoppingCriteria
{
    /// <summary>The most optimizer steps to take (the iteration budget). Default 1000; 0 only evaluates the start.</summary>
    public int MaxIterations { get; init; } = 1000;

    /// <summary>Stop when the gradient's Euclidean norm ‖∇f(x)‖ is at most this (the point is nearly stationary).</summary>
    public double? GradientTolerance { get; init; }

    /// <summary>Stop when the loss changed by at most this (in absolute value) since the previous iterate.</summary>
    public double? LossChangeTolerance { get; init; }

    /// <summary>Stop once this much wall-clock time has passed since the start (checked after each evaluation).</summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>Stop when this returns true for an iterate (a custom rule, e.g. "the loss is below 1e-6").</summary>
    public Func<IterationInfo, bool>? StopWhen { get; init; }

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the first rule whose value is invalid.</summary>
    public void Validate()
    {
        Require.NonNegative(MaxIterations, nameof(MaxIterations));
        if (GradientTolerance is { } g) Require.NonNegative(g, nameof(GradientTolerance));
        if (LossChangeTolerance is { } l) Require.NonNegative(l, nameof(LossChangeTolerance));
        if (TimeBudget is { } t && t < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(TimeBudget), t, $"TimeBudget must be >= 0, got {t}");
    }
}

/// <summary>Why a <see cref="Minimizer"/> run ended.</summary>
public enum StopReason
{
    /// <summary>The iteration budget <see cref="StoppingCriteria.MaxIterations"/> was used up.</summary>
    MaxIterations,

    /// <summary>The gradient norm fell to <see cref="StoppingCriteria.GradientTolerance"/> or below.</summary>
    GradientNorm,

    /// <summary>The loss changed by no more than <see cref="StoppingCriteria.LossChangeTolerance"/>.</summary>
    LossChange,

    /// <summary>The <see cref="StoppingCriteria.TimeBudget"/> ran out.</summary>
    TimeBudget,

    /// <summary>The custom rule <see cref="StoppingCriteria.StopWhen"/> returned true.</summary>
    Custom,

    /// <summary>The loss or the gradient became NaN or infinite; the point is the last one before that step was taken.</summary>
    Diverged,
}

/// <summary>One iterate as the callback and <see cref="StoppingCriteria.StopWhen"/> see it.</summary>
/// <param name="Iteration">How many optimizer steps led here (0 for the start).</param>
/// <param name="Loss">f at the iterate.</param>
/// <param name="GradientNorm">The Euclidean norm of the gradient at the iterate.</param>
/// <param name="Point">The iterate's coordinates (a copy, flattened).</param>
/// <param name="Elapsed">Wall-clock time since the run started.</param>
public readonly record struct IterationInfo(int Iteration, double Loss, double GradientNorm, double[] Point, TimeSpan Elapsed);
