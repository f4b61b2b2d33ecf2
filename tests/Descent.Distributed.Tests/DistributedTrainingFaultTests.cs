using System.Diagnostics;
using System.Globalization;
using Descent.IO;
using Xunit;

namespace Descent.Distributed.Tests;

/// <summary>
/// <c>descent train --distributed</c> when things go wrong: a rank killed, an error on one rank alone, and the mistakes
/// on the command line that the job refuses before training.
/// </summary>
[Collection(MpiRun.Collection)]
public sealed class DistributedTrainingFaultTests
{
    [Fact]
    public void A_rank_killed_mid_training_ends_the_job_naming_it_and_leaves_a_checkpoint_that_resumes()
    {
        using var folder = new TemporaryFolder("descent-kill-");
        string checkpoint = folder.Combine("checkpoint.safetensors");
        string[] train = ["train", "--dataset", "digits", "--model", "mlp", "--batch-size", "2", "--shards", "2", "--checkpoint", folder.Path];
        // About 0.2 s an epoch of 719 steps on this machine: the first checkpoint comes soon, the last far after any bound here.
        using var job = MpiRun.Start(2, BoundedProcess.DotnetHost, [DescentCli.Dll, .. train, "--epochs", "1000", "--distributed"]);

        WaitUntil(() => File.Exists(checkpoint) || job.HasExited, DescentCli.Bound);
        if (job.HasExited) Assert.Fail("the job ended before it was killed\n" + job.WaitForEnd(TimeSpan.Zero));
        int rank1 = MpiRun.RankProcessId(job, 1) ?? throw new InvalidOperationException("rank 1 of the job is not among mpirun's processes");
        using (var process = Process.GetProcessById(rank1)) process.Kill(); // SIGKILL
        var result = job.WaitForEnd(TimeSpan.FromSeconds(60));

        Assert.False(result.TimedOut, "the job outlived its killed rank by 60 s\n" + result);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Matches("process rank 1 .* exited on signal 9", result.StandardError); // mpirun's notice
        int completed = int.Parse(SafeTensors.Load(checkpoint).Metadata["epoch"], CultureInfo.InvariantCulture);
        Assert.InRange(completed, 1, 999);
        string next = (completed + 1).ToString(CultureInfo.InvariantCulture);
        var resumed = DescentCli.Json(DescentCli.Run([.. train, "--epochs", next, "--resume", "--json"]));
        Assert.Equal([completed + 1], DescentCli.EpochsTrained(resumed));
    }

    /// <summary>
    /// Rank 0 alone writes checkpoints: a folder in the checkpoint file's place fails its first write, after epoch 1,
    /// when rank 1 has gone on to the first reduction of epoch 2 and waits there for rank 0.
    /// </summary>
    [Fact]
    public void An_error_on_one_rank_aborts_the_job_with_a_message_naming_the_rank_while_the_other_waits_for_it()
    {
        using var folder = new TemporaryFolder("descent-rank-error-");
        Directory.CreateDirectory(folder.Combine("checkpoint.safetensors"));

        var result = DescentCli.Mpirun(2, "train", "--dataset", "digits", "--epochs", "3", "--distributed", "--checkpoint", folder.Path);

        Assert.False(result.TimedOut, result.ToString());
        Assert.True(result.ExitCode == 1, result.ToString()); // the CLI's code for a failure while running, passed to MPI_Abort
        Assert.Matches("(?m)^error: rank 0 of 2: .*checkpoint\\.safetensors", result.StandardError);
        Assert.DoesNotContain("rank 1 of 2", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Test accuracy", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Distributed_without_mpirun_says_to_start_it_with_mpirun()
    {
        var result = DescentCli.Run("train", "--dataset", "iris", "--distributed");

        AssertUsageError(result, "^error: --distributed needs an MPI job: .*mpirun -np 2 <command>");
    }

    [Fact]
    public void Shards_that_the_ranks_do_not_divide_are_refused_by_every_rank_naming_shards()
    {
        var result = DescentCli.Mpirun(2, "train", "--dataset", "iris", "--batch-size", "30", "--shards", "3", "--distributed");

        Assert.False(result.TimedOut, result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.True(result.StandardOutput.Trim().Length == 0, result.ToString());
        // Each rank finds the mistake and aborts the job; mpirun may print both messages or only the first.
        var errors = Lines(result.StandardError).Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.InRange(errors.Count, 1, 2);
        foreach (string error in errors)
            Assert.Matches("^error: rank [01] of 2: --shards 3 must be a multiple of the 2 ranks of the job", error);
    }

    [Fact]
    public void A_batch_that_the_shards_do_not_divide_is_refused_naming_batch_size()
    {
        var result = DescentCli.Run("train", "--dataset", "iris", "--batch-size", "10", "--shards", "3");

        AssertUsageError(result, "^error: --batch-size 10 must be a multiple of --shards 3");
    }

    private static void AssertUsageError(RunResult result, string pattern)
    {
        Assert.True(result.ExitCode == 2 && result.StandardOutput.Length == 0, result.ToString());
        Assert.Matches(pattern, Assert.Single(Lines(result.StandardError)));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void WaitUntil(Func<bool> condition, TimeSpan bound)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > bound) throw new TimeoutException($"still waiting after {bound.TotalSeconds} s");
            Thread.Sleep(50);
        }
    }
}
