namespace Descent.Optim;

public sealed partial class LBFGS
{
    /// <summary>
    /// The strong-Wolfe line search of PyTorch's <c>_strong_wolfe</c> (after minFunc): brackets a step satisfying
    /// sufficient decrease (c₁) and the curvature condition (c₂), then zooms with cubic interpolation. Losses are Python
    /// floats; the slopes (dot products) and the norm of d are tensors of the parameters' dtype, and so is the step t
    /// once a tensor has touched it.
    /// </summary>
    private static (double F, double[] G, Num T, int Evals) StrongWolfe(FlatMath math,
        Func<double, double[], (double Loss, double[] Grad)> obj, Num t, double[] d, double f, double[] g, Num gtd,
        double c1 = 1e-4, double c2 = 0.9, double toleranceChange = 1e-9, int maxLs = 25)
    {
        Num dNorm = math.MaxAbs(d, 1);
        g = (double[])g.Clone();
        var (fNew, gNew) = obj(t.Value, d);
        int evals = 1;
        Num gtdNew = math.Dot(gNew, d);

        Num tPrev = 0;
        double fPrev = f;
        Num gtdPrev = gtd;
        var gPrev = g;
        bool done = false;
        int lsIter = 0;
        Num[] bracket = [], bracketGtd = [];
        double[] bracketF = [];
        double[][] bracketG = [];
        while (lsIter < maxLs)
        {
            if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev))
            {
                (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, (double[])gNew.Clone()], [gtdPrev, gtdNew]);
                break;
            }
            if (Num.Abs(gtdNew) <= -c2 * gtd)
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
            Num minStep = t + 0.01 * (t - tPrev);
            Num maxStep = t * 10;
            Num tmp = t;
            t = CubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, (minStep, maxStep));
            tPrev = tmp;
            fPrev = fNew;
            gPrev = (double[])gNew.Clone();
            gtdPrev = gtdNew;
            (fNew, gNew) = obj(t.Value, d);
            evals++;
            gtdNew = math.Dot(gNew, d);
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
            if (Num.Abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
            t = CubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1], null);

            // Keep away from the interval's ends unless progress was insufficient twice.
            Num bMax = Num.Max(bracket[0], bracket[1]), bMin = Num.Min(bracket[0], bracket[1]);
            Num eps = 0.1 * (bMax - bMin);
            if (Num.Min(bMax - t, t - bMin) < eps)
            {
                if (insufficientProgress || t >= bMax || t <= bMin)
                {
                    t = Num.Abs(t - bMax) < Num.Abs(t - bMin) ? bMax - eps : bMin + eps;
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

            (fNew, gNew) = obj(t.Value, d);
            evals++;
            gtdNew = math.Dot(gNew, d);
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
                if (Num.Abs(gtdNew) <= -c2 * gtd)
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
    /// The losses f₁, f₂ are Python floats, the slopes g₁, g₂ tensors: each operation takes the type PyTorch gives it.
    /// </summary>
    private static Num CubicInterpolate(Num x1, double f1, Num g1, Num x2, double f2, Num g2, (Num Min, Num Max)? bounds)
    {
        var (xmin, xmax) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1));
        Num d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
        Num d2Square = d1 * d1 - g1 * g2;
        if (d2Square >= 0)
        {
            Num d2 = Num.Sqrt(d2Square);
            Num minPos = x1 <= x2
                ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
            return Num.Min(Num.Max(minPos, xmin), xmax);
        }
        return (xmin + xmax) / 2.0;
    }
}
