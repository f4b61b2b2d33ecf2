using System.Numerics;
using System.Numerics.Tensors;
using Descent.Kernels;

namespace Descent;

public sealed partial class Tensor
{
    /// <summary>Elementwise eˣ.</summary>
    public Tensor Exp()
    {
        var y = UnaryKernel<ExpOp>(this, "exp");
        return Autograd.Record(y, "ExpBackward", [this], g => [g * y]);
    }

    /// <summary>Elementwise natural logarithm.</summary>
    public Tensor Log()
    {
        var x = this;
        return Autograd.Record(UnaryKernel<LogOp>(this, "log"), "LogBackward", [this], g => [g / x]);
    }

    /// <summary>Elementwise square root.</summary>
    public Tensor Sqrt()
    {
        var y = UnaryKernel<SqrtOp>(this, "sqrt");
        return Autograd.Record(y, "SqrtBackward", [this], g => [g / (2.0 * y)]);
    }

    /// <summary>Elementwise absolute value (gradient sign(x), 0 at 0).</summary>
    public Tensor Abs()
    {
        var x = this;
        return Autograd.Record(UnaryKernel<AbsOp>(this, "abs"), "AbsBackward", [this], g => [g * x.Sign()]);
    }

    /// <summary>Elementwise sign: −1, 0 or 1 (not differentiable: no graph).</summary>
    public Tensor Sign() => MapScalar(v => Math.Sign(v), v => double.IsNaN(v) ? v : Math.Sign(v), "sign");

    /// <summary>Elementwise x².</summary>
    public Tensor Square()
    {
        var x = this;
        return Autograd.Record(BinaryKernel<MulOp>(this, this, "square"), "PowBackward", [this], g => [g * 2.0 * x]);
    }

    /// <summary>Elementwise 1/x.</summary>
    public Tensor Reciprocal()
    {
        var y = UnaryKernel<ReciprocalOp>(this, "reciprocal");
        return Autograd.Record(y, "ReciprocalBackward", [this], g => [-g * y * y]);
    }

    /// <summary>Elementwise sine.</summary>
    public Tensor Sin()
    {
        var x = this;
        return Autograd.Record(UnaryKernel<SinOp>(this, "sin"), "SinBackward", [this], g => [g * x.Cos()]);
    }

    /// <summary>Elementwise cosine.</summary>
    public Tensor Cos()
    {
        var x = this;
        return Autograd.Record(UnaryKernel<CosOp>(this, "cos"), "CosBackward", [this], g => [-g * x.Sin()]);
    }

    /// <summary>Elementwise hyperbolic tangent.</summary>
    public Tensor Tanh()
    {
        var y = UnaryKernel<TanhOp>(this, "tanh");
        return Autograd.Record(y, "TanhBackward", [this], g => [g * (1.0 - y.Square())]);
    }

    /// <summary>Elementwise logistic sigmoid 1/(1+e⁻ˣ).</summary>
    public Tensor Sigmoid()
    {
        var y = UnaryKernel<SigmoidOp>(this, "sigmoid");
        return Autograd.Record(y, "SigmoidBackward", [this], g => [g * y * (1.0 - y)]);
    }

    /// <summary>Elementwise max(x, 0).</summary>
    public Tensor Relu()
    {
        var x = this;
        return Autograd.Record(ReluGrad.Forward(this), "ReluBackward", [this], g => [ReluGrad.Of(g, x)]);
    }

    /// <summary>Elementwise x for x &gt; 0, else negativeSlope·x.</summary>
    public Tensor LeakyRelu(double negativeSlope = 0.01)
    {
        var x = this;
        var y = MapScalar(v => v > 0 ? v : v * negativeSlope, v => v > 0 ? v : v * negativeSlope, "leaky_relu");
        return Autograd.Record(y, "LeakyReluBackward", [this], g => [g * (x.Gt(0.0) * (1 - negativeSlope) + negativeSlope)]);
    }

    /// <summary>Elementwise log(1 + e^(βx))/β, linear above <paramref name="threshold"/> (as torch.nn.functional.softplus).</summary>
    public Tensor Softplus(double beta = 1, double threshold = 20)
    {
        var x = this;
        Func<double, double> f = v => v * beta > threshold ? v : Math.Log(1 + Math.Exp(v * beta)) / beta;
        var y = MapScalar(f, v => v * beta > threshold ? v : double.LogP1(Math.Exp(v * beta)) / beta, "softplus");
        return Autograd.Record(y, "SoftplusBackward", [this], g =>
        {
            var z = (x * beta).Exp();
            var slope = (z / (z + 1.0)).MaskedFill(x.Detach().Mul(beta).Gt(threshold), 1.0);
            return [g * slope];
        });
    }

    /// <summary>Elementwise SiLU (swish): x·σ(x).</summary>
    public Tensor Silu()
    {
        var x = this;
        var y = SpanKernel(this, "silu", Activations.Silu, Activations.Silu);
        return Autograd.Record(y, "SiluBackward", [this], g =>
        {
            if (!Autograd.IsGradEnabled) return [SpanKernel(x, g, Activations.SiluBackward, Activations.SiluBackward)];
            // Recorded for a further derivative: the same rule from differentiable operations.
            var s = x.Sigmoid();
            return [g * (s * (1.0 + x * (1.0 - s)))];
        });
    }

    /// <summary>
    /// GELU: x·Φ(x) with the exact normal CDF (<paramref name="approximate"/> "none"), or PyTorch's tanh approximation
    /// ½x·(1 + tanh(√(2/π)·(x + 0.044715x³))) ("tanh"), as <c>torch.nn.functional.gelu</c>.
    /// </summary>
    public Tensor Gelu(string approximate = "none") => approximate switch
    {
        "none" => GeluExact(),
        "tanh" => GeluTanh(),
        _ => throw new ArgumentException($"approximate must be \"none\" or \"tanh\", got \"{approximate}\"", nameof(approximate)),
    };

    private Tensor GeluExact()
    {
        var x = this;
        var y = MapScalar(v => v * SpecialFunctions.NormalCdf(v), v => v * SpecialFunctions.NormalCdf(v), "gelu");
        return Autograd.Record(y, "GeluBackward", [this], g =>
        {
            var d = x.Detach().MapScalar(v => SpecialFunctions.NormalCdf(v) + v * SpecialFunctions.NormalPdf(v),
                v => SpecialFunctions.NormalCdf(v) + v * SpecialFunctions.NormalPdf(v), "gelu");
            return [g * d];
        });
    }

    private Tensor GeluTanh()
    {
        var x = this;
        var y = SpanKernel(this, "gelu", Activations.GeluTanh, Activations.GeluTanh);
        return Autograd.Record(y, "GeluBackward", [this], g =>
        {
            if (!Autograd.IsGradEnabled) return [SpanKernel(x, g, Activations.GeluTanhBackward, Activations.GeluTanhBackward)];
            // Recorded for a further derivative: the same rule from differentiable operations.
            var x2 = x.Square();
            var t = (x * (1.0 + x2 * Activations.GeluKappa) * Activations.GeluBeta).Tanh();
            var right = x * 0.5 * (1.0 - t.Square()) * Activations.GeluBeta * (1.0 + x2 * (3 * Activations.GeluKappa));
            return [g * ((1.0 + t) * 0.5 + right)];
        });
    }

    /// <summary>Elementwise ELU: x for x &gt; 0, else α(eˣ − 1).</summary>
    public Tensor Elu(double alpha = 1)
    {
        var x = this;
        var y = MapScalar(v => v > 0 ? v : alpha * (Math.Exp(v) - 1), v => v > 0 ? v : alpha * double.ExpM1(v), "elu");
        return Autograd.Record(y, "EluBackward", [this], g =>
        {
            var d = x.Detach().MapScalar(v => v > 0 ? 1 : alpha * Math.Exp(v), v => v > 0 ? 1 : alpha * Math.Exp(v), "elu");
            return [g * d];
        });
    }

    /// <summary>Clamps every element into [min, max] (either bound may be null); the gradient passes where min ≤ x ≤ max.</summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        if (min is null && max is null) throw new ArgumentException("clamp needs at least one of min and max");
        double lo = min ?? double.NegativeInfinity, hi = max ?? double.PositiveInfinity;
        var x = this;
        var y = MapScalar(v => double.IsNaN(v) ? v : Math.Min(Math.Max(v, lo), hi), v => double.IsNaN(v) ? v : Math.Min(Math.Max(v, lo), hi), "clamp");
        return Autograd.Record(y, "ClampBackward", [this], g => [g * (x.Ge(lo) * x.Le(hi))]);
    }
}
