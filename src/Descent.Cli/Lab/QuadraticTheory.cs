using Descent.Functions;

namespace Descent.Cli.Lab;

/// <summary>How the two roots of one direction's heavy-ball recurrence lie, which fixes the shape of its closed form.</summary>
internal enum Damping
{
    /// <summary>No momentum: plain gradient descent, one root 1 − αa.</summary>
    None,

    /// <summary>Complex roots ρe^{±iθ}: the iterate spirals in (or out) at rate ρ = √μ.</summary>
    Under,

    /// <summary>A double root σ: critical damping, x_t = x₀ σ^t (1 + c t).</summary>
    Critical,

    /// <summary>Two distinct real roots: the slower one wins.</summary>
    Over,
}

/// <summary>
/// Gradient descent and heavy-ball momentum on a quadratic, in closed form, as in Goh's "Why Momentum Really Works"
/// (Distill, 2017). In the eigenbasis of the Hessian each direction of curvature a is its own 1-D problem f = a x²/2
/// with gradient a·x, and PyTorch's momentum (b ← μb + g, x ← x − αb, first step b = g) becomes the recurrence
/// x_{t+1} = (1 + μ − αa) x_t − μ x_{t−1} with x_{−1} = x₀ (the ball starts at rest). With β = 1 + μ − αa, the
/// roots of σ² − βσ + μ = 0 are s·ρe^{±iθ} or s·ρe^{±φ} (s the sign of β) with ρ = √μ and cos θ = |β|/(2ρ),
/// cosh φ = |β|/(2ρ); then
/// <code>
/// x_t = x₀ s^t ρ^t (cos tθ + k sin tθ / sin θ),      k = cos θ − sρ      (complex roots)
/// x_t = x₀ σ^t (1 + k t),                            k = 1 − σ, σ = β/2  (double root)
/// x_t = x₀ s^t ρ^t (cosh tφ + k sinh tφ / sinh φ),   k = cosh φ − sρ     (real roots)
/// x_t = x₀ (1 − αa)^t                                                     (μ = 0)
/// </code>
/// The real form never divides by σ₁ − σ₂ = 2sρ sinh φ as such: sinh tφ / sinh φ stays near t as φ → 0, so the
/// closed form is as accurate beside the double root as on it; taking the angle of s·σ rather than σ (θ in (0, π/2]
/// instead of near π when β &lt; 0) does the same for the complex side.
/// </summary>
internal static class QuadraticTheory
{
    /// <summary>
    /// The curvatures of a separable quadratic f = Σ aᵢ xᵢ²/2, read off its gradient at the unit vectors (so a function
    /// that leaves out the ½ gets 2aᵢ); throws when f is not separable there (a gradient with an off-diagonal term).
    /// </summary>
    public static double[] Curvatures(TestFunction f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var a = new double[f.Dimension];
        for (int i = 0; i < a.Length; i++)
        {
            var unit = new double[f.Dimension];
            unit[i] = 1;
            double[] g = f.Gradient(unit);
            for (int j = 0; j < g.Length; j++)
                if (j != i && g[j] != 0)
                    throw new ArgumentException($"{f.Name} is not a separable quadratic: ∂f/∂x{j} at unit vector {i} is {g[j]}", nameof(f));
            a[i] = g[i];
        }
        return a;
    }

    /// <summary>The iterates x₀ … x_steps of one direction of curvature <paramref name="a"/>, from the closed form.</summary>
    public static double[] Iterates(double a, double lr, double momentum, double x0, int steps)
    {
        if (!double.IsFinite(x0)) throw new ArgumentOutOfRangeException(nameof(x0), x0, $"x0 must be finite, got {x0}");
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        var form = ClosedForm.Of(a, lr, momentum);
        var x = new double[steps + 1];
        for (int t = 0; t <= steps; t++) x[t] = x0 * form.Factor(t);
        return x;
    }

    /// <summary>The rate of one direction: the spectral radius max |σ| of its recurrence (|1 − αa| without momentum).</summary>
    public static double Rate(double a, double lr, double momentum) => ClosedForm.Of(a, lr, momentum).Rate;

    /// <summary>Which of the closed forms applies to a direction.</summary>
    public static Damping DampingOf(double a, double lr, double momentum) => ClosedForm.Of(a, lr, momentum).Damping;

    /// <summary>
    /// A bound on |x_t / x₀|: r^t (1 + |k| t) with r the rate, since |sin tθ / sin θ| ≤ t, ρ^t cosh tφ ≤ r^t and
    /// ρ^t sinh tφ / sinh φ ≤ t r^t. Hence the direction converges exactly when its rate is below 1.
    /// </summary>
    public static double Envelope(double a, double lr, double momentum, int t)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        var form = ClosedForm.Of(a, lr, momentum);
        return Math.Pow(form.Rate, t) * (1 + Math.Abs(form.K) * t);
    }

    /// <summary>The parameters of one direction's closed form; <see cref="Factor"/> is x_t / x₀.</summary>
    private readonly record struct ClosedForm(Damping Damping, double Sign, double Rho, double Angle, double SinAngle, double K, double Rate)
    {
        /// <summary>Past this tφ, e^{−2tφ} is below the last bit and cosh tφ = sinh tφ = e^{tφ}/2 (no overflow of cosh times an underflowing ρ^t).</summary>
        private const double Asymptotic = 20;

        public static ClosedForm Of(double a, double lr, double momentum)
        {
            if (!double.IsFinite(a)) throw new ArgumentOutOfRangeException(nameof(a), a, $"a (the curvature) must be finite, got {a}");
            if (!(lr >= 0) || double.IsInfinity(lr)) throw new ArgumentOutOfRangeException(nameof(lr), lr, $"lr must be >= 0 and finite, got {lr}");
            if (!(momentum >= 0) || double.IsInfinity(momentum))
                throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"momentum must be >= 0 and finite, got {momentum}");
            // One rounding, as SGD's fused x − α·g takes one for the gradient step.
            double beta = Math.FusedMultiplyAdd(-lr, a, 1 + momentum);
            if (momentum == 0) return new(Damping.None, Math.Sign(beta), 0, 0, 0, 0, Math.Abs(beta));
            double rho = Math.Sqrt(momentum);
            double disc = Math.FusedMultiplyAdd(beta, beta, -4 * momentum); // β² − 4μ = 4μ (cos²θ − 1)
            if (disc == 0)
            {
                double sigma = beta / 2;
                return new(Damping.Critical, Math.Sign(sigma), Math.Abs(sigma), 0, 0, 1 - sigma, Math.Abs(sigma));
            }
            double sign = beta >= 0 ? 1 : -1;
            if (disc < 0)
            {
                // For β < 0 the angle is π − θ: near the double root tθ would be close to a multiple of π, where its
                // rounding is most of sin tθ; the reflected form (−1)^t ρ^t (cos tθ' + k sin tθ' / sin θ') keeps θ' small.
                double cos = Math.Abs(beta) / (2 * rho), sin = Math.Sqrt(-disc) / (2 * rho);
                return new(Damping.Under, sign, rho, Math.Atan2(sin, cos), sin, cos - sign * rho, rho);
            }
            double cosh = Math.Abs(beta) / (2 * rho), sinh = Math.Sqrt(disc) / (2 * rho);
            return new(Damping.Over, sign, rho, Math.Asinh(sinh), sinh, cosh - sign * rho, (Math.Abs(beta) + Math.Sqrt(disc)) / 2);
        }

        public double Factor(int t)
        {
            double sign = (t & 1) == 0 ? 1 : Sign;
            switch (Damping)
            {
                case Damping.None:
                    return Math.Pow(Rate * Sign, t);
                case Damping.Critical:
                    return sign * Math.Pow(Rho, t) * (1 + K * t);
                case Damping.Under:
                    return sign * Math.Pow(Rho, t) * (Math.Cos(t * Angle) + K * Math.Sin(t * Angle) / SinAngle);
                default:
                    double phase = t * Angle;
                    return phase <= Asymptotic
                        ? sign * Math.Pow(Rho, t) * (Math.Cosh(phase) + K * Math.Sinh(phase) / SinAngle)
                        : sign * Math.Pow(Rate, t) * (1 + K / SinAngle) / 2;
            }
        }
    }
}
