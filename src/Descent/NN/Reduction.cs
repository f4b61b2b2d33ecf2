namespace Descent.NN;

/// <summary>How a loss combines its per-element values, as PyTorch's <c>reduction</c> argument.</summary>
public enum Reduction
{
    /// <summary>No reduction: one loss per element (or per sample for the classification losses).</summary>
    None,

    /// <summary>The mean (the weighted mean for class-weighted cross entropy and NLL), PyTorch's default.</summary>
    Mean,

    /// <summary>The sum.</summary>
    Sum,
}
