namespace Descent.Tests;

/// <summary>
/// Tests that compare runs seeded through the default generator (<c>Tensor.ManualSeed</c>, a checkpoint that restores
/// it, layers initialised from it), or that measure the shared pool of <c>TensorScope</c>. The default generator is each
/// thread's own, but the test runner moves tests between its threads: these run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DefaultGeneratorCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Default generator";
}
