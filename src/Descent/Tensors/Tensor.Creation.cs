using System.Numerics;

namespace Descent;

public sealed partial class Tensor
{
    /// <summary>
    /// Seeds the calling thread's default random generator (<see cref="Generator.Default"/>), as <c>torch.manual_seed</c>
    /// seeds PyTorch's: other threads' generators are untouched, so that trainings on several threads, each seeded here,
    /// give what each gives alone.
    /// </summary>
    public static void ManualSeed(long seed) => Generator.Default.Seed(seed);

    /// <summary>A tensor of zeros.</summary>
    /// <param name="shape">The sizes; a shape with a 0 has no elements, whatever its other sizes are.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="requiresGrad">Whether autograd records operations on the tensor.</param>
    /// <exception cref="ArgumentException">A size is negative, or the shape has more elements than a .NET array holds
    /// (<see cref="Array.MaxLength"/>).</exception>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(shape);
        Shapes.Validate(shape, nameof(shape));
        Shapes.NumEl(shape, nameof(shape));
        return new Tensor((int[])shape.Clone(), dtype) { RequiresGrad = requiresGrad };
    }

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false) => Full(shape, 1, dtype, requiresGrad);

    /// <summary>A tensor filled with one value.</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, bool requiresGrad = false)
    {
        var t = Zeros(shape, dtype);
        t.Fill_(value);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>A scalar (rank-0) tensor.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, bool requiresGrad = false) => Full([], value, dtype, requiresGrad);

    /// <summary>Zeros with the shape and dtype of <paramref name="other"/>.</summary>
    public static Tensor ZerosLike(Tensor other) => Zeros(other.ShapeArray, other.DType);

    /// <summary>Ones with the shape and dtype of <paramref name="other"/>.</summary>
    public static Tensor OnesLike(Tensor other) => Ones(other.ShapeArray, other.DType);

    /// <summary>Values from <paramref name="start"/> up to (not including) <paramref name="end"/> by <paramref name="step"/>, as <c>torch.arange</c>.</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32)
    {
        if (step == 0 || !double.IsFinite(step)) throw new ArgumentOutOfRangeException(nameof(step), step, $"step must be finite and non-zero, got {step}");
        if (!double.IsFinite(start) || !double.IsFinite(end)) throw new ArgumentException($"start and end must be finite, got {start} and {end}");
        double count = Math.Max(0, Math.Ceiling((end - start) / step));
        if (!(count <= Shapes.MaxNumEl))
            throw new ArgumentException($"arange from {start} to {end} by {step} would have {count} elements, more than {Shapes.MaxNumEl}");
        var t = Zeros([(int)count], dtype);
        t.SetEach(i => start + i * step);
        return t;
    }

    /// <summary>Values from 0 up to (not including) <paramref name="end"/>.</summary>
    public static Tensor Arange(double end, DType dtype = DType.Float32) => Arange(0, end, 1, dtype);

    /// <summary><paramref name="steps"/> evenly spaced values from <paramref name="start"/> to <paramref name="end"/> inclusive, as <c>torch.linspace</c>.</summary>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32)
    {
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"steps must be >= 0, got {steps}");
        var t = Zeros([steps], dtype);
        double delta = steps > 1 ? (end - start) / (steps - 1) : 0;
        // PyTorch fills the first half from the start and the second half from the end, so both ends are exact.
        int half = steps / 2;
        t.SetEach(i => i < half ? start + i * delta : end - (steps - 1 - i) * delta);
        return t;
    }

    /// <summary>An identity matrix with <paramref name="n"/> rows and <paramref name="m"/> columns (m defaults to n).</summary>
    public static Tensor Eye(int n, int? m = null, DType dtype = DType.Float32)
    {
        int cols = m ?? n;
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, $"n must be >= 0, got {n}");
        if (cols < 0) throw new ArgumentOutOfRangeException(nameof(m), cols, $"m must be >= 0, got {cols}");
        var t = Zeros([n, cols], dtype);
        t.SetEach(i => i / cols == i % cols ? 1 : 0);
        return t;
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape (default: one dimension).</summary>
    public static Tensor FromArray<T>(T[] data, int[]? shape = null, bool requiresGrad = false) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        return FromSpan<T>(data, shape, requiresGrad);
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape (default: one dimension).</summary>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> data, int[]? shape = null, bool requiresGrad = false) where T : unmanaged
    {
        shape ??= [data.Length];
        Shapes.Validate(shape, nameof(shape));
        int n = Shapes.NumEl(shape, nameof(shape));
        if (n != data.Length)
            throw new ArgumentException($"shape {Shapes.Format(shape)} holds {n} elements but the data has {data.Length}", nameof(shape));
        var t = new Tensor((int[])shape.Clone(), DTypeExtensions.Of<T>());
        data.CopyTo(t.AsSpan<T>());
        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>A float32 tensor from a 2-D array.</summary>
    public static Tensor FromArray(float[,] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var flat = new float[data.Length];
        Buffer.BlockCopy(data, 0, flat, 0, flat.Length * sizeof(float));
        return FromArray(flat, [data.GetLength(0), data.GetLength(1)]);
    }

    /// <summary>A float64 tensor from a 2-D array.</summary>
    public static Tensor FromArray(double[,] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var flat = new double[data.Length];
        Buffer.BlockCopy(data, 0, flat, 0, flat.Length * sizeof(double));
        return FromArray(flat, [data.GetLength(0), data.GetLength(1)]);
    }

    /// <summary>Uniform samples in [0, 1), as <c>torch.rand</c>.</summary>
    public static Tensor Rand(int[] shape, DType dtype = DType.Float32, Generator? generator = null) => Uniform(shape, 0, 1, dtype, generator);

    /// <summary>Standard normal samples, as <c>torch.randn</c>.</summary>
    public static Tensor Randn(int[] shape, DType dtype = DType.Float32, Generator? generator = null) => Normal(shape, 0, 1, dtype, generator);

    /// <summary>Uniform samples in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static Tensor Uniform(int[] shape, double low, double high, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (!(low <= high) || !double.IsFinite(low) || !double.IsFinite(high))
            throw new ArgumentException($"uniform needs finite low <= high, got low={low}, high={high}");
        var g = generator ?? Generator.Default;
        var t = Zeros(shape, dtype);
        t.SetEach(_ => low + (high - low) * g.NextDouble());
        return t;
    }

    /// <summary>Normal samples with the given mean and standard deviation.</summary>
    public static Tensor Normal(int[] shape, double mean, double std, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (!(std >= 0) || !double.IsFinite(std)) throw new ArgumentOutOfRangeException(nameof(std), std, $"std must be finite and >= 0, got {std}");
        var g = generator ?? Generator.Default;
        var t = Zeros(shape, dtype);
        t.SetEach(_ => mean + std * g.NextNormal());
        return t;
    }

    /// <summary>Sets element i (row-major) of a fresh contiguous tensor to f(i).</summary>
    private void SetEach(Func<int, double> f)
    {
        switch (DType)
        {
            case DType.Float32: { var s = AsSpan<float>(); for (int i = 0; i < s.Length; i++) s[i] = (float)f(i); break; }
            case DType.Float64: { var s = AsSpan<double>(); for (int i = 0; i < s.Length; i++) s[i] = f(i); break; }
            default: { var s = AsSpan<long>(); for (int i = 0; i < s.Length; i++) s[i] = (long)f(i); break; }
        }
    }

    internal static T Cast<T>(double v) where T : INumberBase<T> => T.CreateTruncating(v);
}
