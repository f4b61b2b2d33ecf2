namespace Descent.Data;

/// <summary>
/// A data set held in memory: one row of <see cref="Features"/> per example and its label or target.
/// </summary>
/// <param name="Features">The inputs, first dimension = examples ([N, F] for tables, [N, 1, 28, 28] or [N, 784] for MNIST).</param>
/// <param name="Labels">Class indices as int64 [N] for classification, or float targets [N] for regression.</param>
/// <param name="ClassNames">The classes' names in index order when known (empty for regression or unnamed classes).</param>
public sealed record LabeledData(Tensor Features, Tensor Labels, IReadOnlyList<string> ClassNames)
{
    /// <summary>The number of examples.</summary>
    public int Count => Features.Rank == 0 ? 0 : Features.Size(0);

    /// <summary>The number of features per example (the product of the dimensions after the first).</summary>
    public int FeatureCount => Count == 0 ? Features.Shape.Skip(1).Aggregate(1, (a, b) => a * b) : Features.NumEl / Count;

    /// <summary>
    /// The number of classes: the length of <see cref="ClassNames"/> when known, otherwise the largest label + 1
    /// (0 for regression targets).
    /// </summary>
    public int NumClasses => ClassNames.Count > 0 ? ClassNames.Count
        : Labels.DType != DType.Int64 || Labels.NumEl == 0 ? 0 : (int)Labels.ToArray<long>().Max() + 1;
}
