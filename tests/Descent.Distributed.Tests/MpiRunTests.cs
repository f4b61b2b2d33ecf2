using System.Diagnostics;
using Xunit;

namespace Descent.Distributed.Tests;

/// <summary>The launcher itself: environment passed to every rank, and a job past its bound killed with all its processes.</summary>
[Collection(MpiRun.Collection)]
public sealed class MpiRunTests
{
    [Fact]
    public void Every_rank_runs_the_program_with_the_given_environment()
    {
        var result = MpiRun.Run(3, "/bin/sh", ["-c", "echo probe=$DESCENT_PROBE rank=$OMPI_COMM_WORLD_RANK"],
            environment: new Dictionary<string, string?> { ["DESCENT_PROBE"] = "x y" });

        Assert.True(result.ExitCode == 0, result.ToString());
        for (int rank = 0; rank < 3; rank++) Assert.Contains($"probe=x y rank={rank}", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void A_job_past_its_bound_is_killed_with_every_rank()
    {
        // Each rank prints its process id, then sleeps far longer than the bound.
        var result = MpiRun.Run(2, "/bin/sh", ["-c", "echo pid=$$; exec sleep 600"], bound: TimeSpan.FromSeconds(5));

        Assert.True(result.TimedOut, result.ToString());
        Assert.Equal(-1, result.ExitCode);
        var pids = result.StandardOutput.Split('\n').Where(l => l.StartsWith("pid=", StringComparison.Ordinal)).Select(l => int.Parse(l[4..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(pids.Count == 2, result.ToString());
        foreach (int pid in pids) Assert.True(HasEnded(pid), $"rank process {pid} outlived the killed job");
    }

    private static bool HasEnded(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.WaitForExit(TimeSpan.FromSeconds(30));
        }
        catch (ArgumentException)
        {
            return true; // no such process
        }
    }
}
