namespace Descent;

public sealed partial class Tensor
{
    /// <summary>A new contiguous tensor of <paramref name="dtype"/> holding <paramref name="data"/> (rounded for float32).</summary>
    internal static Tensor FromDoubles(double[] data, int[] shape, DType dtype)
    {
        var t = new Tensor(shape, dtype);
        if (dtype == DType.Float64) data.AsSpan().CopyTo(t.AsSpan<double>());
        else
        {
            var d = t.AsSpan<float>();
            for (int i = 0; i < d.Length; i++) d[i] = (float)data[i];
        }
        return t;
    }
}
