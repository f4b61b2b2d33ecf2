namespace Descent.Tests;

/// <summary>
/// Tests that compare runs seeded through the process-wide default generator (<c>Tensor.ManualSeed</c>, a checkpoint
/// that restores it, layers initialised from it). Any test running at the same time may draw from that generator too,
/// so these run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DefaultGeneratorCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Default generator";
}
