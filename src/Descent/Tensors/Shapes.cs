namespace Descent;

/// <summary>Shape arithmetic: element counts, strides, broadcasting and dimension normalisation.</summary>
/// <remarks>
/// Every product of sizes is overflow-safe. A shape with a zero has no elements whatever its other sizes are, so
/// [2147483647, 2147483647, 0] is a valid shape; a shape with elements holds at most <see cref="MaxNumEl"/> of them
/// (one .NET array). Within a tensor that has elements, every product of some of its sizes, and every stride, is at
/// most its element count and fits an int.
/// </remarks>
internal static class Shapes
{
    /// <summary>The most elements a tensor holds: the longest .NET array.</summary>
    public static int MaxNumEl => Array.MaxLength;

    /// <summary>
    /// The number of elements of <paramref name="shape"/>: 0 when a size is 0 (whatever the others are), else the
    /// product of the sizes.
    /// </summary>
    /// <exception cref="ArgumentException">A size is negative, or the product exceeds <see cref="MaxNumEl"/>; the message
    /// names the shape, and the exception <paramref name="argName"/> when given.</exception>
    public static int NumEl(ReadOnlySpan<int> shape, string? argName = null)
    {
        long n = Product(shape);
        if (n < 0) throw new ArgumentException($"shape {Format(shape)} has a negative size", argName);
        if (n > MaxNumEl) throw new ArgumentException($"a tensor of shape {Format(shape)} would have more than {MaxNumEl} elements", argName);
        return (int)n;
    }

    /// <summary>
    /// The product of <paramref name="sizes"/> without overflow: −1 when one is negative, else 0 when one is 0, else
    /// the product, exact up to <see cref="long.MaxValue"/> and saturated there.
    /// </summary>
    public static long Product(ReadOnlySpan<int> sizes)
    {
        bool empty = false;
        foreach (int d in sizes)
        {
            if (d < 0) return -1;
            if (d == 0) empty = true;
        }
        if (empty) return 0;
        long p = 1;
        foreach (int d in sizes) p = p > long.MaxValue / d ? long.MaxValue : p * d;
        return p;
    }

    /// <summary>
    /// The product of <paramref name="sizes"/>, part of the shape of a tensor of <paramref name="numEl"/> elements, as a
    /// kernel's block count or length: exact when the tensor has elements, and 0 when it has none (a part of an empty
    /// tensor's shape may exceed an int, as in [0, 65536, 65536], and a kernel over no elements runs no iteration).
    /// </summary>
    public static int Extent(ReadOnlySpan<int> sizes, int numEl) => numEl == 0 ? 0 : checked((int)Product(sizes));

    /// <summary>
    /// Row-major strides: stride[i] is the product of max(size, 1) over the later dimensions, as PyTorch's. For a shape
    /// with elements each stride is at most its element count; for a shape without elements a stride may not fit an
    /// int ([0, 2147483647, 2147483647]) and is then int.MaxValue: it never addresses an element.
    /// </summary>
    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = (int)Math.Min(s, int.MaxValue);
            s = Math.Min(s * Math.Max(shape[i], 1), int.MaxValue); // both factors ≤ int.MaxValue: no long overflow
        }
        return strides;
    }

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    public static void Validate(ReadOnlySpan<int> shape, string argName)
    {
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"{argName} must have non-negative sizes, got {Format(shape)}", argName);
    }

    /// <summary>Broadcasts two shapes by PyTorch's rules (align trailing dims; sizes equal or one of them 1).</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        var result = BroadcastOrNull(a, b);
        if (result is not null) return result;
        int n = Math.Max(a.Length, b.Length), i = 0;
        while (At(a, n, i) == At(b, n, i) || At(a, n, i) == 1 || At(b, n, i) == 1) i++;
        throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} do not broadcast (dimension {i}: {At(a, n, i)} vs {At(b, n, i)})");
    }

    /// <summary>The broadcast of two shapes, or null when they do not broadcast.</summary>
    public static int[]? BroadcastOrNull(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int n = Math.Max(a.Length, b.Length);
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            int da = At(a, n, i), db = At(b, n, i);
            if (da != db && da != 1 && db != 1) return null;
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    // Size i of a shape aligned to the right within n dimensions (1 where it has none).
    private static int At(ReadOnlySpan<int> shape, int n, int i) => i < n - shape.Length ? 1 : shape[i - (n - shape.Length)];

    /// <summary>Turns a possibly negative dimension index into 0..rank-1, naming the argument when it is out of range.</summary>
    public static int NormalizeDim(int dim, int rank, string argName = "dim")
    {
        int r = Math.Max(rank, 1);
        if (dim < -r || dim >= r)
            throw new ArgumentOutOfRangeException(argName, dim, $"{argName} must be in [{-r}, {r - 1}] for a tensor of rank {rank}, got {dim}");
        return dim < 0 ? dim + r : dim;
    }

    public static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);
}
