namespace Descent.NN;

/// <summary>
/// A pair of sizes (height, width) for kernels, strides, padding and dilation; an <see cref="int"/> converts to
/// (n, n) and a tuple <c>(h, w)</c> converts as it is, so <c>stride: 2</c> and <c>stride: (2, 1)</c> both read naturally.
/// </summary>
/// <param name="H">The size along the height.</param>
/// <param name="W">The size along the width.</param>
public readonly record struct Size2(int H, int W)
{
    /// <summary>The same size along both dimensions.</summary>
    public static implicit operator Size2(int size) => new(size, size);

    /// <summary>A (height, width) tuple.</summary>
    public static implicit operator Size2((int H, int W) size) => new(size.H, size.W);

    /// <summary>The same size along both dimensions.</summary>
    public static Size2 FromInt32(int size) => new(size, size);

    internal (int H, int W) Tuple => (H, W);
}
