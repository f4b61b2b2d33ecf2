namespace Descent.Tests;

/// <summary>
/// Tests that read process-wide memory figures (<c>GC.GetTotalMemory</c>): anything another test allocates at the same
/// time would count, so these run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMemoryCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Process memory";
}
