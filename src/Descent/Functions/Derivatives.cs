namespace Descent.Functions;

/// <summary>
/// Derivatives of ordinary C# functions. Functions written on tensors are differentiated exactly by autograd; functions
/// of doubles by central differences.
/// </summary>
/// <remarks>
/// Central differences: f′(x) ≈ (f(x + h) − f(x − h)) / 2h with the step h = ∛ε · max(1, |x|) per coordinate, ε the
/// float64 machine epsilon (2.2e−16), so h ≈ 6e−6 near 0. The truncation error is h² |f‴| / 6 and the rounding error
/// about ε |f| / h; this step balances the two, leaving an absolute error of roughly ε^⅔ ≈ 4e−11 times the scale of
/// |f| and |f‴| (about 10 significant digits for a smooth, well-scaled function). Because the step grows with |x|, a
/// function whose features do not widen with |x| loses accuracy far from 0 (sin at x = −250: h ≈ 1.5e−3, error ≈ 1e−7).
/// Kinks, noise or huge third derivatives make it worse; prefer the tensor overloads when the function can be written
/// on tensors.
/// </remarks>
public static class Derivatives
{
    private static readonly double CbrtEpsilon = Math.Cbrt(Math.BitIncrement(1.0) - 1.0);

    /// <summary>The derivative f′(x) by central differences (see the class remarks for the step and the error).</summary>
    public static double Derivative(Func<double, double> f, double x)
    {
        ArgumentNullException.ThrowIfNull(f);
        CheckFinite(x, nameof(x));
        double h = Step(x);
        return (f(x + h) - f(x - h)) / (2 * h);
    }

    /// <summary>The gradient ∇f(x), one central difference per coordinate (2n evaluations of f; see the class remarks).</summary>
    public static double[] Gradient(Func<double[], double> f, double[] x)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        for (int i = 0; i < x.Length; i++) CheckFinite(x[i], $"{nameof(x)}[{i}]");
        var g = new double[x.Length];
        var p = (double[])x.Clone();
        for (int i = 0; i < x.Length; i++)
        {
            double h = Step(x[i]);
            p[i] = x[i] + h;
            double up = f(p);
            p[i] = x[i] - h;
            double down = f(p);
            p[i] = x[i];
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    /// <summary>
    /// The directional derivative ∇f(x)·v by one central difference along <paramref name="v"/> (not normalised: pass a
    /// unit vector for the slope per unit length).
    /// </summary>
    public static double DirectionalDerivative(Func<double[], double> f, double[] x, double[] v)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(v);
        if (v.Length != x.Length) throw new ArgumentException($"v has {v.Length} coordinates but x has {x.Length}", nameof(v));
        for (int i = 0; i < x.Length; i++) CheckFinite(x[i], $"{nameof(x)}[{i}]");
        double vNorm = Math.Sqrt(v.Sum(c => c * c));
        CheckFinite(vNorm, nameof(v));
        if (vNorm == 0) return 0;
        double h = CbrtEpsilon * Math.Max(1, Math.Sqrt(x.Sum(c => c * c))) / vNorm;
        double up = f(x.Select((c, i) => c + h * v[i]).ToArray());
        double down = f(x.Select((c, i) => c - h * v[i]).ToArray());
        return (up - down) / (2 * h);
    }

    /// <summary>
    /// The exact gradient ∇f(x) through autograd, as a tensor shaped like <paramref name="x"/>. <paramref name="f"/> must
    /// return a one-element tensor; <paramref name="x"/> itself is not modified and its <see cref="Tensor.Grad"/> is untouched.
    /// </summary>
    public static Tensor Gradient(Func<Tensor, Tensor> f, Tensor x)
    {
        var leaf = Leaf(x, nameof(x));
        var y = Evaluate(f, leaf);
        if (!y.RequiresGrad) return Tensor.ZerosLike(leaf);
        y.Backward();
        return leaf.Grad ?? leaf.SparseGrad?.ToDense() ?? Tensor.ZerosLike(leaf);
    }

    /// <summary>The directional derivative ∇f(x)·v through autograd (not normalised: pass a unit v for the slope).</summary>
    public static double DirectionalDerivative(Func<Tensor, Tensor> f, Tensor x, Tensor v)
    {
        CheckDirection(x, v);
        using (Autograd.NoGrad()) return (Gradient(f, x) * v).Sum().Item();
    }

    /// <summary>
    /// The Hessian–vector product ∇²f(x)·v, exactly, by differentiating twice: the gradient g(x) is computed with
    /// <c>Backward(createGraph: true)</c>, then g·v is differentiated again. Costs about two gradients and never forms
    /// the Hessian. Every operation in <paramref name="f"/> must have a backward rule that is itself differentiable
    /// (see <see cref="HessianVectorProductByDifferences"/> otherwise).
    /// </summary>
    public static Tensor HessianVectorProduct(Func<Tensor, Tensor> f, Tensor x, Tensor v)
    {
        CheckDirection(x, v);
        var leaf = Leaf(x, nameof(x));
        var y = Evaluate(f, leaf);
        if (!y.RequiresGrad) return Tensor.ZerosLike(leaf);
        y.Backward(retainGraph: true, createGraph: true);
        var g = leaf.Grad;
        leaf.Grad = null;
        if (g is null || !g.RequiresGrad) return Tensor.ZerosLike(leaf); // f is at most linear in x
        using (Autograd.EnableGrad()) (g * v.Detach()).Sum().Backward();
        return (leaf.Grad ?? Tensor.ZerosLike(leaf)).Detach();
    }

    /// <summary>
    /// The Hessian–vector product ∇²f(x)·v by a central difference of exact gradients,
    /// (∇f(x + hv) − ∇f(x − hv)) / 2h with h = ∛ε · max(1, ‖x‖) / ‖v‖: about 10 significant digits for a smooth
    /// function, and it needs only first derivatives of the operations in <paramref name="f"/>.
    /// </summary>
    public static Tensor HessianVectorProductByDifferences(Func<Tensor, Tensor> f, Tensor x, Tensor v)
    {
        CheckDirection(x, v);
        double vNorm, xNorm;
        using (Autograd.NoGrad())
        {
            vNorm = Math.Sqrt(v.Square().Sum().Item());
            xNorm = Math.Sqrt(x.Square().Sum().Item());
        }
        CheckFinite(vNorm, nameof(v));
        if (vNorm == 0) return Tensor.ZerosLike(x);
        double h = CbrtEpsilon * Math.Max(1, xNorm) / vNorm;
        using (Autograd.NoGrad())
        {
            var xd = x.Detach();
            var vd = v.Detach();
            var up = Gradient(f, xd + h * vd);
            var down = Gradient(f, xd - h * vd);
            return (up - down) / (2 * h);
        }
    }

    private static double Step(double x)
    {
        double h = CbrtEpsilon * Math.Max(1, Math.Abs(x));
        return (x + h) - x; // the step actually taken, exactly representable
    }

    private static void CheckFinite(double value, string name)
    {
        if (!double.IsFinite(value)) throw new ArgumentException($"{name} must be finite, got {value}", name);
    }

    /// <summary>A fresh leaf that requires gradients, holding a copy of x's values.</summary>
    private static Tensor Leaf(Tensor x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (!x.DType.IsFloatingPoint()) throw new ArgumentException($"{name} must be float32 or float64, got {x.DType.Name()}", name);
        Tensor leaf;
        using (Autograd.NoGrad()) leaf = x.Detach().Clone();
        return leaf.RequiresGrad_();
    }

    private static Tensor Evaluate(Func<Tensor, Tensor> f, Tensor leaf)
    {
        ArgumentNullException.ThrowIfNull(f);
        Tensor y;
        using (Autograd.EnableGrad()) y = f(leaf);
        if (y is null) throw new ArgumentException("f returned null", nameof(f));
        if (y.NumEl != 1)
            throw new ArgumentException($"f must return a scalar (one element), got a tensor of shape {Shapes.Format(y.ShapeArray)}", nameof(f));
        return y;
    }

    private static void CheckDirection(Tensor x, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(v);
        if (!Shapes.SameShape(x.ShapeArray, v.ShapeArray))
            throw new ArgumentException($"v has shape {Shapes.Format(v.ShapeArray)} but x has shape {Shapes.Format(x.ShapeArray)}", nameof(v));
        if (v.DType != x.DType) throw new ArgumentException($"v has dtype {v.DType.Name()} but x has {x.DType.Name()}", nameof(v));
    }
}
