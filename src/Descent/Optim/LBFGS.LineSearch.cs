namespace Descent.Optim;

public sealed partial class LBFGS
{
    /// <summary>
    /// The strong-Wolfe line search of PyTorch's <c>_strong_wolfe</c> (after minFunc): brackets a step satisfying
    /// sufficient decrease (c₁) and the curvature condition (c₂), then zooms with cubic interpolation.
    /// </summary>
    private static (double F, double[] G, double T, int Evals) StrongWolfe(
        Func<double, double[], (double Loss, double[] Grad)> obj, double t, double[] d, double f, double[] g, double gtd,
        double c1 = 1e-4, double c2 = 0.9, double toleranceChange = 1e-9, int maxLs = 25)
    {
        double dNorm = MaxAbs(d, 1);
        g = (double[])g.Clone();
        var (fNew, gNew) = obj(t, d);
        int evals = 1;
        double gtdNew = Dot(gNew, d);

        double tPrev = 0, fPrev = f, gtdPrev = gtd;
        var gPrev = g;
        bool done = false;
        int lsIter = 0;
        double[] bracket = [], bracketF = [], bracketGtd = [];
        double[][] bracketG = [];
        while (lsIter < maxLs)
        {
            if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev))
            {
                (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, (double[])gNew.Clone()], [gtdPrev, gtdNew]);
                break;
            }
            if (Math.Abs(gtdNew) <= -c2 * gtd)
            {
                (bracket, bracketF, bracketG) = ([t], [fNew], [gNew]);
                done = true;
                break;
            }
            if (gtdNew >= 0)
            {
                (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, (double[])gNew.Clone()], [gtdPrev, gtdNew]);
                break;
            }
            // Extrapolate between t + 0.01(t − tPrev) and 10t.
            double minStep = t + 0.01 * (t - tPrev);
            double maxStep = t * 10;
            double tmp = t;
            t = CubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, (minStep, maxStep));
            tPrev = tmp;
            fPrev = fNew;
            gPrev = (double[])gNew.Clone();
            gtdPrev = gtdNew;
            (fNew, gNew) = obj(t, d);
            evals++;
            gtdNew = Dot(gNew, d);
            lsIter++;
        }
        if (lsIter == maxLs)
        {
            (bracket, bracketF, bracketG) = ([0, t], [f, fNew], [g, gNew]);
        }

        // Zoom until the interval is small or a point satisfies the strong Wolfe conditions.
        bool insufficientProgress = false;
        var (low, high) = bracketF[0] <= bracketF[^1] ? (0, 1) : (1, 0);
        while (!done && lsIter < maxLs)
        {
            if (Math.Abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
            t = CubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1], null);

            // Keep away from the interval's ends unless progress was insufficient twice.
            double bMax = PyMax(bracket[0], bracket[1]), bMin = PyMin(bracket[0], bracket[1]);
            double eps = 0.1 * (bMax - bMin);
            if (PyMin(bMax - t, t - bMin) < eps)
            {
                if (insufficientProgress || t >= bMax || t <= bMin)
                {
                    t = Math.Abs(t - bMax) < Math.Abs(t - bMin) ? bMax - eps : bMin + eps;
                    insufficientProgress = false;
                }
                else
                {
                    insufficientProgress = true;
                }
            }
            else
            {
                insufficientProgress = false;
            }

            (fNew, gNew) = obj(t, d);
            evals++;
            gtdNew = Dot(gNew, d);
            lsIter++;

            if (fNew > f + c1 * t * gtd || fNew >= bracketF[low])
            {
                bracket[high] = t;
                bracketF[high] = fNew;
                bracketG[high] = (double[])gNew.Clone();
                bracketGtd[high] = gtdNew;
                (low, high) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0);
            }
            else
            {
                if (Math.Abs(gtdNew) <= -c2 * gtd)
                {
                    done = true;
                }
                else if (gtdNew * (bracket[high] - bracket[low]) >= 0)
                {
                    bracket[high] = bracket[low];
                    bracketF[high] = bracketF[low];
                    bracketG[high] = bracketG[low];
                    bracketGtd[high] = bracketGtd[low];
                }
                bracket[low] = t;
                bracketF[low] = fNew;
                bracketG[low] = (double[])gNew.Clone();
                bracketGtd[low] = gtdNew;
            }
        }
        return (bracketF[low], bracketG[low], bracket[low], evals);
    }

    /// <summary>
    /// The minimiser of the cubic through (x₁, f₁) and (x₂, f₂) with slopes g₁, g₂, clamped to the bounds (by default the
    /// interval between the points); the bounds' midpoint when the cubic has no minimum (PyTorch's <c>_cubic_interpolate</c>).
    /// </summary>
    internal static double CubicInterpolate(double x1, double f1, double g1, double x2, double f2, double g2, (double Min, double Max)? bounds)
    {
        var (xmin, xmax) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1));
        double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
        double d2Square = d1 * d1 - g1 * g2;
        if (d2Square >= 0)
        {
            double d2 = Math.Sqrt(d2Square);
            double minPos = x1 <= x2
                ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
            return PyMin(PyMax(minPos, xmin), xmax);
        }
        return (xmin + xmax) / 2.0;
    }
}
