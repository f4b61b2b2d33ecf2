using System.Diagnostics;
using System.Globalization;
using System.Text;
using Descent.NN;
using Descent.Optim;
using Descent.Tests.IO;
using Descent.Training;
using Xunit.Abstractions;

namespace Descent.Tests.Training;

/// <summary>
/// Real crashes during checkpointing: a child process (this test assembly, started through <see cref="StartupHook"/>)
/// saves a checkpoint every epoch and is killed with SIGKILL at a random moment, 24 times. After every kill the
/// checkpoint must load, hold exactly what the child saved for its epoch (not a mix of two saves) and be no older than
/// the last save the child reported; and the next save must leave no temporary file in the folder.
/// </summary>
[Collection(DefaultGeneratorCollection.Name)] // Checkpoint.Load restores the default generator; and the kills are best run alone
public class CheckpointKillTests(ITestOutputHelper output)
{
    internal const string CheckpointVariable = "DESCENT_TEST_KILL_CHECKPOINT";
    internal const string ProgressVariable = "DESCENT_TEST_KILL_CHECKPOINT_PROGRESS";
    private const int Rounds = 24;
    private const int MaxKillDelayMilliseconds = 300;
    private const string CheckpointName = "checkpoint.safetensors";

    /// <summary>Weights are <c>epoch * 1000 + a number below 1000</c>: integers, exact in float up to this epoch.</summary>
    private const int MaxEpochs = 16_000;

    /// <summary>A child the test runner left behind (the parent crashed) stops by itself after this long.</summary>
    private static readonly TimeSpan ChildLifetime = TimeSpan.FromMinutes(5);

    /// <summary>
    /// About 0.5 M parameters: 2 MB of weights, 6 MB with Adam's two moments, so that a save takes long enough for
    /// kills to land in the middle of writing.
    /// </summary>
    private static Sequential Model() => new(new Linear(256, 1024), new ReLU(), new Linear(1024, 256));

    private static Adam Optimizer(Module model) => new(model.Parameters());

    /// <summary>Element <paramref name="element"/> of parameter <paramref name="parameter"/> after epoch <paramref name="epoch"/>.</summary>
    private static float Expected(int epoch, int parameter, int element) => epoch * 1000 + (parameter * 37 + element) % 1000;

    /// <summary>
    /// Runs in the child process: for epoch 1, 2, 3…, one Adam step (so that every parameter's step count is the epoch),
    /// then the epoch's weights, a checkpoint, and the epoch appended to <paramref name="progress"/> once saved.
    /// </summary>
    internal static void ChildTrain(string checkpoint, string progress)
    {
        var model = Model();
        var adam = Optimizer(model);
        var parameters = model.Parameters().ToArray();
        var stop = DateTime.UtcNow + ChildLifetime;
        using var report = new FileStream(progress, FileMode.Append, FileAccess.Write, FileShare.Read);
        for (int epoch = 1; epoch <= MaxEpochs && DateTime.UtcNow < stop; epoch++)
        {
            foreach (var p in parameters) p.Grad = Tensor.Full(p.Shape, 1);
            adam.Step();
            for (int i = 0; i < parameters.Length; i++)
            {
                var values = parameters[i].AsSpan<float>();
                for (int j = 0; j < values.Length; j++) values[j] = Expected(epoch, i, j);
            }
            Checkpoint.Save(checkpoint, model, adam, epoch);
            report.Write(Encoding.ASCII.GetBytes(epoch.ToString(CultureInfo.InvariantCulture) + "\n"));
            report.Flush();
        }
    }

    [Fact]
    public async Task EveryCheckpointLeftByAKillLoadsWhole_AndTheNextSaveLeavesNoTemporaryFile()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, CheckpointName);
        var random = new Random(20_240_607); // the same kill delays on every run
        var clock = Stopwatch.StartNew();
        int killedMidWrite = 0;
        for (int round = 1; round <= Rounds; round++)
        {
            string progress = Path.Combine(dir.Path, $"progress-{round}.txt");
            int childId;
            using (var child = ChildProcess.Start(new Dictionary<string, string> { [CheckpointVariable] = path, [ProgressVariable] = progress }))
            {
                childId = child.Id;
                bool saved = await child.WaitUntilAsync(() => LastReportedEpoch(progress) >= 1);
                Assert.True(saved, $"round {round}: the child reported no save; {await child.DescribeAsync()}");
                await Task.Delay(random.Next(MaxKillDelayMilliseconds + 1));
                Assert.False(child.HasExited, $"round {round}: the child ended before the kill; {await child.DescribeAsync()}");
                await child.KillAsync();
            }

            int reported = LastReportedEpoch(progress);
            var leftovers = Temporaries(dir.Path);
            if (leftovers.Length > 0) killedMidWrite++;
            Assert.All(leftovers, f => Assert.StartsWith($".{CheckpointName}.{childId}.", Path.GetFileName(f), StringComparison.Ordinal));

            var model = Model();
            var adam = Optimizer(model);
            int epoch = Checkpoint.Load(path, model, adam);
            // The save after the last reported one may have been renamed into place just before the kill.
            Assert.InRange(epoch, reported, reported + 1);
            AssertStateOfEpoch(model, adam, epoch, round);

            Checkpoint.Save(path, model, adam, epoch);
            ChildProcess.AssertTemporariesRemoved(Temporaries(dir.Path), childId, CheckpointName);
            output.WriteLine($"round {round}: killed after {reported} saves {(leftovers.Length > 0 ? "mid-write" : "between writes")}, checkpoint of epoch {epoch}");
        }
        output.WriteLine($"{Rounds} kills, {killedMidWrite} of them mid-write, in {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>The last epoch the child reported saved (0 for none); a line cut off by the kill does not count.</summary>
    private static int LastReportedEpoch(string progress)
    {
        if (!File.Exists(progress)) return 0;
        string text;
        using (var file = new FileStream(progress, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(file, Encoding.ASCII))
            text = reader.ReadToEnd();
        var complete = text[..(text.LastIndexOf('\n') + 1)];
        var lines = complete.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length == 0 ? 0 : int.Parse(lines[^1], CultureInfo.InvariantCulture);
    }

    private static string[] Temporaries(string folder) => Directory.GetFiles(folder, $".{CheckpointName}.*.tmp");

    private static void AssertStateOfEpoch(Module model, Optimizer adam, int epoch, int round)
    {
        var parameters = model.Parameters().ToArray();
        for (int i = 0; i < parameters.Length; i++)
        {
            var values = parameters[i].AsSpan<float>();
            for (int j = 0; j < values.Length; j++)
            {
                if (values[j] != Expected(epoch, i, j))
                    Assert.Fail($"round {round}: parameter {i} element {j} is {values[j]}, not {Expected(epoch, i, j)} as saved at epoch {epoch}");
            }
            Assert.Equal(epoch, adam.StateOf(parameters[i])?.Step);
        }
    }
}
