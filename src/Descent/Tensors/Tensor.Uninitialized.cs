namespace Descent;

public sealed partial class Tensor
{
    /// <summary>
    /// A new contiguous tensor whose elements are NOT cleared: only for kernels that write every element before the
    /// tensor is visible. Skips the zeroing pass over the (typically large) output of conv, ReLU and pooling.
    /// </summary>
    internal static Tensor Uninitialized(int[] shape, DType dtype)
    {
        int n = Shapes.NumEl(shape);
        Array storage = TensorScope.Rent(dtype, n, zeroed: false) ?? StoragePool.AllocateUninitialized(dtype, n);
        return new Tensor(storage, shape, Shapes.ContiguousStrides(shape), 0, dtype);
    }
}
