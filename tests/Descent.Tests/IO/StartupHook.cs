using Descent.Tests.IO;
using Descent.Tests.Training;

/// <summary>
/// A .NET startup hook (the runtime calls it before Main when DOTNET_STARTUP_HOOKS names this assembly). The kill
/// tests start this assembly as a child process with the hook set (<see cref="ChildProcess"/>), to run a save they
/// kill; an environment variable picks which. Without one the hook does nothing.
/// </summary>
#pragma warning disable CA1050 // the runtime requires the hook type in the global namespace
internal static class StartupHook
#pragma warning restore CA1050
{
    public static void Initialize()
    {
        string? target = Environment.GetEnvironmentVariable(SafeTensorsKillTests.TargetVariable);
        if (!string.IsNullOrEmpty(target))
        {
            SafeTensorsKillTests.ChildSave(target);
            Environment.Exit(3); // not reached: the save freezes until the parent kills this process
        }
        string? checkpoint = Environment.GetEnvironmentVariable(CheckpointKillTests.CheckpointVariable);
        if (!string.IsNullOrEmpty(checkpoint))
        {
            CheckpointKillTests.ChildTrain(checkpoint, Environment.GetEnvironmentVariable(CheckpointKillTests.ProgressVariable)!);
            Environment.Exit(4); // reached only if the parent never kills this process
        }
    }
}
