namespace Descent.Functions;

/// <summary>What a <see cref="Minimizer"/> run found and how it got there.</summary>
public sealed class MinimizeResult
{
    internal MinimizeResult(
        double[] point, double loss, double gradientNorm, int iterations, int evaluations, StopReason reason, TimeSpan elapsed,
        IReadOnlyList<double[]> trajectory, IReadOnlyList<double> losses, IReadOnlyList<double> gradientNorms)
    {
        Point = point;
        Loss = loss;
        GradientNorm = gradientNorm;
        Iterations = iterations;
        FunctionEvaluations = evaluations;
        StopReason = reason;
        Elapsed = elapsed;
        Trajectory = trajectory;
        Losses = losses;
        GradientNorms = gradientNorms;
    }

    /// <summary>
    /// The final iterate, flattened; the parameter tensor holds it too. After divergence it is the last iterate whose
    /// loss and gradient were finite (the parameter is put back there).
    /// </summary>
    public double[] Point { get; }

    /// <summary>f at <see cref="Point"/> (always finite; a diverged run's non-finite loss is the last of <see cref="Losses"/>).</summary>
    public double Loss { get; }

    /// <summary>The gradient norm at <see cref="Point"/>.</summary>
    public double GradientNorm { get; }

    /// <summary>The number of optimizer steps taken.</summary>
    public int Iterations { get; }

    /// <summary>How many times f was evaluated (more than the iterations for LBFGS, whose step re-evaluates).</summary>
    public int FunctionEvaluations { get; }

    /// <summary>Why the run ended.</summary>
    public StopReason StopReason { get; }

    /// <summary>True when the run ended on a tolerance or the custom rule rather than a budget or divergence.</summary>
    public bool Converged => StopReason is StopReason.GradientNorm or StopReason.LossChange or StopReason.Custom;

    /// <summary>Wall-clock duration of the run.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>
    /// Every iterate x₀, x₁, …, x_K (K = <see cref="Iterations"/>), flattened; empty when recording was off. After
    /// divergence the last entry is the iterate where the loss or gradient stopped being finite.
    /// </summary>
    public IReadOnlyList<double[]> Trajectory { get; }

    /// <summary>f(x₀), f(x₁), …, f(x_K): one loss per iterate (the last may be the non-finite one of a diverged run).</summary>
    public IReadOnlyList<double> Losses { get; }

    /// <summary>‖∇f(x₀)‖, …, ‖∇f(x_K)‖: one gradient norm per iterate.</summary>
    public IReadOnlyList<double> GradientNorms { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{StopReason} after {Iterations} iterations: f = {Loss:G6} at ({string.Join(", ", Point.Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)))}), ‖∇f‖ = {GradientNorm:G3}";
}
