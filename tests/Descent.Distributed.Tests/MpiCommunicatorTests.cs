using Xunit;

namespace Descent.Distributed.Tests;

/// <summary>The errors MpiCommunicator.World gives before it would initialise MPI: these run in the test process, without mpirun.</summary>
public sealed class MpiCommunicatorTests
{
    private static readonly Func<string, string?> NoLauncher = _ => null;

    [Fact]
    public void A_missing_library_says_to_install_Open_MPI_and_names_the_files_tried()
    {
        var e = Assert.Throws<MpiUnavailableException>(() => MpiCommunicator.World(["libmpi-missing.so.40", "libmpi-missing.so"], NoLauncher));

        Assert.Contains("tried libmpi-missing.so.40, libmpi-missing.so", e.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install openmpi-bin", e.Message, StringComparison.Ordinal);
        Assert.Contains("brew install open-mpi", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_library_that_is_not_Open_MPI_is_named_and_refused()
    {
        var e = Assert.Throws<MpiUnavailableException>(() => MpiCommunicator.World(["libc.so.6"], NoLauncher));

        Assert.Contains("libc.so.6 is not Open MPI's library", e.Message, StringComparison.Ordinal);
        Assert.Contains("ompi_mpi_comm_world", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Without_mpirun_World_says_how_to_launch_instead_of_starting_a_group_of_one()
    {
        var e = Assert.Throws<MpiUnavailableException>(() => MpiCommunicator.World(MpiLibrary.DefaultNames, NoLauncher));

        Assert.Contains("not started by mpirun", e.Message, StringComparison.Ordinal);
        Assert.Contains("mpirun -np 2 <command>", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("OMPI_COMM_WORLD_SIZE", "2")]
    [InlineData("PMIX_RANK", "0")]
    [InlineData("PMI_RANK", "1")]
    public void A_launchers_variable_marks_the_process_as_launched(string name, string value)
    {
        Assert.True(MpiCommunicator.IsLaunched(n => n == name ? value : null));
        Assert.False(MpiCommunicator.IsLaunched(n => n == name ? "" : null));
    }

    [Fact]
    public void The_test_process_itself_is_not_launched_by_mpirun()
    {
        Assert.False(MpiCommunicator.IsLaunchedByMpirun);
    }

    [Fact]
    public void Mpirun_is_installed()
    {
        // Not skipped when missing: the MPI tests need it, and the message says what to install.
        Assert.True(File.Exists(MpiRun.Executable));
    }
}
