namespace Descent.Tests;

/// <summary>
/// Tests that set the process-wide <c>Parallelism.MaxThreads</c> to compare one thread with two. A test running at the
/// same time could change it under them (their "two threads" would then be one, and pass without comparing anything)
/// or see it changed, so these run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadCountCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Thread count";
}
