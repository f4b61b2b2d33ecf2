using Descent.Kernels;

namespace Descent;

public sealed partial class Tensor
{
    /// <summary>Elementwise sum with broadcasting.</summary>
    public Tensor Add(Tensor other)
    {
        var r = BinaryKernel<AddOp>(this, other, "add");
        int[] sa = ShapeArray, sb = other.ShapeArray;
        return Autograd.Record(r, "AddBackward", [this, other], g => [SumToShape(g, sa), SumToShape(g, sb)]);
    }

    /// <summary>Elementwise difference with broadcasting.</summary>
    public Tensor Sub(Tensor other)
    {
        var r = BinaryKernel<SubOp>(this, other, "sub");
        int[] sa = ShapeArray, sb = other.ShapeArray;
        return Autograd.Record(r, "SubBackward", [this, other], g => [SumToShape(g, sa), SumToShape(-g, sb)]);
    }

    /// <summary>Elementwise product with broadcasting.</summary>
    public Tensor Mul(Tensor other)
    {
        var r = BinaryKernel<MulOp>(this, other, "mul");
        var a = this;
        return Autograd.Record(r, "MulBackward", [this, other], g => [
            a.RequiresGrad ? SumToShape(g * other, a.ShapeArray) : null,
            other.RequiresGrad ? SumToShape(g * a, other.ShapeArray) : null]);
    }

    /// <summary>Elementwise quotient with broadcasting.</summary>
    public Tensor Div(Tensor other)
    {
        var r = BinaryKernel<DivOp>(this, other, "div");
        var a = this;
        return Autograd.Record(r, "DivBackward", [this, other], g => [
            a.RequiresGrad ? SumToShape(g / other, a.ShapeArray) : null,
            other.RequiresGrad ? SumToShape(-g * a / (other * other), other.ShapeArray) : null]);
    }

    /// <summary>Elementwise power with a tensor exponent and broadcasting.</summary>
    public Tensor Pow(Tensor exponent)
    {
        var r = BinaryKernel<PowOp>(this, exponent, "pow");
        var a = this;
        return Autograd.Record(r, "PowBackward", [this, exponent], g => [
            // d/da a^b = b a^(b-1), taken as 0 where b == 0 (as PyTorch does).
            a.RequiresGrad ? SumToShape((g * exponent * a.Pow(exponent - 1.0)).MaskedFill(exponent.Eq(0.0), 0), a.ShapeArray) : null,
            // d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0.
            exponent.RequiresGrad ? SumToShape((g * r * a.Log()).MaskedFill(a.Eq(0.0) * exponent.Ge(0.0), 0), exponent.ShapeArray) : null]);
    }

    /// <summary>Elementwise power with a scalar exponent.</summary>
    public Tensor Pow(double exponent)
    {
        CheckFloat("pow");
        var r = BinaryKernel<PowOp>(this, Scalar(exponent, DType), "pow");
        var a = this;
        return Autograd.Record(r, "PowBackward", [this], g => [
            exponent == 0 ? ZerosLike(a) : g * exponent * (exponent == 2 ? a : a.Pow(exponent - 1))]);
    }

    /// <summary>Elementwise maximum with broadcasting, as <c>torch.maximum</c> (ties share the gradient equally).</summary>
    public Tensor Maximum(Tensor other) => MinMax<MaxOp>(other, "maximum", true);

    /// <summary>Elementwise minimum with broadcasting, as <c>torch.minimum</c> (ties share the gradient equally).</summary>
    public Tensor Minimum(Tensor other) => MinMax<MinOp>(other, "minimum", false);

    private Tensor MinMax<TOp>(Tensor other, string name, bool isMax) where TOp : IBinaryOp
    {
        var r = BinaryKernel<TOp>(this, other, name);
        var a = this;
        return Autograd.Record(r, isMax ? "MaximumBackward" : "MinimumBackward", [this, other], g =>
        {
            var tie = a.Eq(other);
            var half = g * (1.0 - 0.5 * tie);
            var aWins = isMax ? a.Gt(other) : a.Lt(other);
            var bWins = isMax ? a.Lt(other) : a.Gt(other);
            return [
                a.RequiresGrad ? SumToShape(half * (aWins + tie), a.ShapeArray) : null,
                other.RequiresGrad ? SumToShape(half * (bWins + tie), other.ShapeArray) : null];
        });
    }

    /// <summary>Negation.</summary>
    public Tensor Neg()
    {
        var r = BinaryKernel<MulOp>(this, Scalar(-1, DType), "neg");
        return Autograd.Record(r, "NegBackward", [this], g => [-g]);
    }

    private Tensor ScalarOp<TOp>(double s, bool scalarFirst, string name) where TOp : IBinaryOp
    {
        CheckFloat(name);
        var st = Scalar(s, DType);
        return scalarFirst ? BinaryKernel<TOp>(st, this, name) : BinaryKernel<TOp>(this, st, name);
    }

    /// <summary>Adds a scalar.</summary>
    public Tensor Add(double s) => Autograd.Record(ScalarOp<AddOp>(s, false, "add"), "AddBackward", [this], g => [g]);

    /// <summary>Multiplies by a scalar.</summary>
    public Tensor Mul(double s) => Autograd.Record(ScalarOp<MulOp>(s, false, "mul"), "MulBackward", [this], g => [g * s]);

    /// <summary>Divides by a scalar.</summary>
    public Tensor Div(double s) => Autograd.Record(ScalarOp<DivOp>(s, false, "div"), "DivBackward", [this], g => [g / s]);

    /// <summary>Elementwise sum.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);

    /// <summary>Elementwise difference.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);

    /// <summary>Elementwise product.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);

    /// <summary>Elementwise quotient.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);

    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(Tensor a, double s) => a.Add(s);

    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(double s, Tensor a) => a.Add(s);

    /// <summary>Subtracts a scalar.</summary>
    public static Tensor operator -(Tensor a, double s) => a.Add(-s);

    /// <summary>A scalar minus a tensor.</summary>
    public static Tensor operator -(double s, Tensor a) =>
        Autograd.Record(a.ScalarOp<SubOp>(s, true, "sub"), "RsubBackward", [a], g => [-g]);

    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(Tensor a, double s) => a.Mul(s);

    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(double s, Tensor a) => a.Mul(s);

    /// <summary>Divides by a scalar.</summary>
    public static Tensor operator /(Tensor a, double s) => a.Div(s);

    /// <summary>A scalar divided by a tensor.</summary>
    public static Tensor operator /(double s, Tensor a)
    {
        var r = a.ScalarOp<DivOp>(s, true, "div");
        return Autograd.Record(r, "DivBackward", [a], g => [-g * s / (a * a)]);
    }
}
