using System.Runtime.InteropServices;
using Descent.Tests;
using Xunit.Abstractions;

namespace Descent.Packages.Tests;

/// <summary>
/// An app that references the packed Descent package and publishes with NativeAOT, as a user ships one: the sample of
/// examples/AotSample (the README's tutorial, every optimizer of the registry, a checkpoint round trip, an ONNX export,
/// the optimizers' notes) must publish without a trimming or AOT warning, and the native executable must print what
/// the same program prints under the JIT, to the last digit.
/// </summary>
[Collection(PackedFeedCollection.Name)]
[Trait("Category", "Packages")]
public sealed class NativeAotTests(PackedFeed feed, ITestOutputHelper output)
{
    /// <summary>
    /// A budget for the executable, well above the 10.7 MB it measures, that catches a library change pulling in a large
    /// part of the framework (reflection-based JSON, for one).
    /// </summary>
    private const long ExecutableBudget = 16_000_000;

    [Fact]
    public void The_sample_publishes_without_warnings_and_runs_natively_as_under_the_jit()
    {
        string app = feed.NewFolder("aot");
        File.WriteAllText(Path.Combine(app, "AotApp.csproj"), feed.ConsoleProject());
        File.Copy(RepositoryFiles.PathOf("examples/AotSample/Program.cs"), Path.Combine(app, "Program.cs"));

        var build = Command.Run(Command.Dotnet, ["build", "-c", "Release", "--disable-build-servers", "-nologo"], app, feed.ConsumerEnvironment);
        Assert.True(build.ExitCode == 0, build.Describe());
        var jit = Command.Run(Command.Dotnet, [Path.Combine(app, "bin", "Release", "net10.0", "AotApp.dll"), Path.Combine(app, "jit")], app, feed.ConsumerEnvironment);
        Assert.True(jit.ExitCode == 0, jit.Describe());

        // For this machine's instruction set, as the JIT compiles: the default target (x86-64-v2 on x64) has no AVX2,
        // so the kernels would take their 128-bit paths and round differently in the last bits.
        string rid = RuntimeInformation.RuntimeIdentifier;
        var publish = Command.Run(Command.Dotnet,
            ["publish", "-c", "Release", "-r", rid, "-p:PublishAot=true", "-p:IlcInstructionSet=native", "-o", "native",
             "--disable-build-servers", "-nologo"],
            app, feed.ConsumerEnvironment);
        Assert.True(publish.ExitCode == 0, publish.Describe());
        string[] warnings = [.. publish.Out.Split('\n').Where(l => l.Contains("warning", StringComparison.OrdinalIgnoreCase))];
        Assert.True(warnings.Length == 0, $"the publish warned:\n{string.Join('\n', warnings)}");

        string executable = Path.Combine(app, "native", OperatingSystem.IsWindows() ? "AotApp.exe" : "AotApp");
        long bytes = new FileInfo(executable).Length;
        output.WriteLine($"{rid} NativeAOT executable: {bytes:N0} bytes ({bytes / 1e6:F2} MB)");
        Assert.InRange(bytes, 1, ExecutableBudget);

        var native = Command.Run(executable, [Path.Combine(app, "native-run")], app, feed.ConsumerEnvironment);
        Assert.True(native.ExitCode == 0, native.Describe());
        Assert.Equal(jit.Out, native.Out);
        Assert.Contains("weights are equal", native.Out, StringComparison.Ordinal);
        Assert.Matches(@"notes: Adam: \S", native.Out); // the documentation was found beside the executable
    }
}
