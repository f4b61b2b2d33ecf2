using Descent.Tests.IO;

/// <summary>
/// A .NET startup hook (the runtime calls it before Main when DOTNET_STARTUP_HOOKS names this assembly). The kill
/// test starts this assembly as a child process with the hook set (<see cref="ChildProcess"/>), to run a save it can
/// kill mid-write; without the environment variable the hook does nothing.
/// </summary>
#pragma warning disable CA1050 // the runtime requires the hook type in the global namespace
internal static class StartupHook
#pragma warning restore CA1050
{
    public static void Initialize()
    {
        string? target = Environment.GetEnvironmentVariable(SafeTensorsKillTests.TargetVariable);
        if (string.IsNullOrEmpty(target)) return;
        SafeTensorsKillTests.ChildSave(target);
        Environment.Exit(3); // not reached: the save freezes until the parent kills this process
    }
}
