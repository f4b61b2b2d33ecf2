namespace Descent.Kernels;

/// <summary>Special functions the base library lacks, accurate to a few units in the last place of a double.</summary>
internal static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double OneOverSqrtPi = 0.5641895835477563;

    /// <summary>The error function.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        if (Math.Abs(x) < 2.5) return ErfSeries(x);
        return x > 0 ? 1 - ErfcLarge(x) : ErfcLarge(-x) - 1;
    }

    /// <summary>The complementary error function 1 − erf(x), without cancellation for large x.</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return x;
        if (x >= 2.5) return ErfcLarge(x);
        if (x <= -2.5) return 2 - ErfcLarge(-x);
        return 1 - ErfSeries(x);
    }

    // erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)): every term positive, so no cancellation.
    private static double ErfSeries(double x)
    {
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; n < 200; n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (Math.Abs(term) <= 1e-17 * Math.Abs(sum)) break;
        }
        return TwoOverSqrtPi * Math.Exp(-x2) * sum;
    }

    // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))) for x > 0, evaluated from the tail.
    private static double ErfcLarge(double x)
    {
        double f = x;
        for (int n = 120; n >= 1; n--) f = x + n * 0.5 / f;
        return OneOverSqrtPi * Math.Exp(-x * x) / f;
    }

    /// <summary>The standard normal density.</summary>
    public static double NormalPdf(double x) => Math.Exp(-0.5 * x * x) * 0.3989422804014327;

    /// <summary>The standard normal CDF Φ(x).</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x * 0.7071067811865476);
}
