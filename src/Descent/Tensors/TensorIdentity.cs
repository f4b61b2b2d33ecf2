namespace Descent;

/// <summary>Compares tensors by identity, hashing their <see cref="Tensor.Id"/>.</summary>
internal sealed class TensorIdentity : IEqualityComparer<Tensor>
{
    public static readonly TensorIdentity Instance = new();

    public bool Equals(Tensor? x, Tensor? y) => ReferenceEquals(x, y);

    public int GetHashCode(Tensor t) => t.Id.GetHashCode();
}
