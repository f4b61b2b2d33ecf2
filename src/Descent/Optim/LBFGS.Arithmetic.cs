namespace Descent.Optim;

public sealed partial class LBFGS
{
    /// <summary>
    /// A scalar as torch.optim.LBFGS holds it: a Python float (double precision), or a 0-dim tensor of the parameters'
    /// dtype (<c>gtd = g.dot(d)</c>, <c>ro = 1 / ys</c>…). <see cref="Single"/> marks a float32 tensor: an operation with
    /// one gives a float32 tensor, its other operand rounded to single precision first, as PyTorch's type promotion does,
    /// and comparisons with one are made in single precision. For float64 parameters every scalar is a plain double.
    /// </summary>
    private readonly record struct Num(double Value, bool Single)
    {
        public static implicit operator Num(double value) => new(value, false);

        public static Num operator +(Num a, Num b) => Either(a, b) ? F32((float)a.Value + (float)b.Value) : a.Value + b.Value;

        public static Num operator -(Num a, Num b) => Either(a, b) ? F32((float)a.Value - (float)b.Value) : a.Value - b.Value;

        public static Num operator *(Num a, Num b) => Either(a, b) ? F32((float)a.Value * (float)b.Value) : a.Value * b.Value;

        public static Num operator /(Num a, Num b) => Either(a, b) ? F32((float)a.Value / (float)b.Value) : a.Value / b.Value;

        public static Num operator -(Num a) => a with { Value = -a.Value };

        public static bool operator <(Num a, Num b) => Either(a, b) ? (float)a.Value < (float)b.Value : a.Value < b.Value;

        public static bool operator >(Num a, Num b) => b < a;

        public static bool operator <=(Num a, Num b) => Either(a, b) ? (float)a.Value <= (float)b.Value : a.Value <= b.Value;

        public static bool operator >=(Num a, Num b) => b <= a;

        public static Num Abs(Num a) => a with { Value = Math.Abs(a.Value) };

        public static Num Sqrt(Num a) => a.Single ? F32(MathF.Sqrt((float)a.Value)) : Math.Sqrt(a.Value);

        // Python's min and max: the first argument (with its type) unless the second compares strictly smaller (larger).
        public static Num Min(Num a, Num b) => b < a ? b : a;

        public static Num Max(Num a, Num b) => b > a ? b : a;

        private static bool Either(Num a, Num b) => a.Single || b.Single;

        private static Num F32(float value) => new(value, true);
    }

    /// <summary>
    /// The flat-vector arithmetic of one L-BFGS in the parameters' dtype. Vectors are doubles; for float32 parameters every
    /// result is rounded to single precision, which gives the float32 operation's bits (a double holds a float's exact
    /// sum, product or quotient before that one rounding), and dot products and sums accumulate in single precision, in
    /// order.
    /// </summary>
    private readonly struct FlatMath(bool single)
    {
        public bool Single => single;

        /// <summary>A 0-dim tensor of the parameters' dtype holding <paramref name="value"/> (rounded for float32).</summary>
        public Num Tensor(double value) => new(Round(value), single);

        private double Round(double value) => single ? (float)value : value;

        /// <summary><c>a.dot(b)</c>.</summary>
        public Num Dot(double[] a, double[] b)
        {
            double sum = 0;
            for (int i = 0; i < a.Length; i++) sum = Round(sum + Round(a[i] * b[i]));
            return Tensor(sum);
        }

        /// <summary><c>a.mul(c)</c>: c is rounded to the dtype first, as a tensor op's Python scalar is.</summary>
        public double[] Scaled(double[] a, Num c)
        {
            double k = Round(c.Value);
            var r = new double[a.Length];
            for (int i = 0; i < a.Length; i++) r[i] = Round(a[i] * k);
            return r;
        }

        /// <summary><c>a.add_(b, alpha=c)</c>.</summary>
        public void AddScaled(double[] a, double[] b, Num c)
        {
            double k = Round(c.Value);
            for (int i = 0; i < a.Length; i++) a[i] = Round(a[i] + Round(k * b[i]));
        }

        /// <summary><c>a.sub(b)</c>.</summary>
        public double[] Difference(double[] a, double[] b)
        {
            var r = new double[a.Length];
            for (int i = 0; i < a.Length; i++) r[i] = Round(a[i] - b[i]);
            return r;
        }

        /// <summary><c>a.mul(c).abs().max()</c> (0 for an empty vector).</summary>
        public Num MaxAbs(double[] a, Num c)
        {
            double k = Round(c.Value), m = 0;
            foreach (double v in a) m = PyMax(m, Math.Abs(Round(v * k)));
            return Tensor(m);
        }

        /// <summary><c>a.abs().sum()</c>.</summary>
        public Num SumAbs(double[] a)
        {
            double s = 0;
            foreach (double v in a) s = Round(s + Math.Abs(v));
            return Tensor(s);
        }
    }
}
