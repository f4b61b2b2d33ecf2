namespace Descent;

/// <summary>Shape arithmetic: element counts, strides, broadcasting and dimension normalisation.</summary>
internal static class Shapes
{
    public static int NumEl(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        if (n > int.MaxValue) throw new ArgumentException($"a tensor of shape {Format(shape)} has more than {int.MaxValue} elements");
        return (int)n;
    }

    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= Math.Max(shape[i], 1);
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
        int n = Math.Max(a.Length, b.Length);
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            int da = i < n - a.Length ? 1 : a[i - (n - a.Length)];
            int db = i < n - b.Length ? 1 : b[i - (n - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} do not broadcast (dimension {i}: {da} vs {db})");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

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
