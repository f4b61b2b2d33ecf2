using Descent.Distributed;
using Descent.Kernels;
using Descent.Parallel;

namespace Descent.Cli;

/// <summary>Joins the MPI job this process was started in, for <c>--distributed</c>.</summary>
internal static class DistributedLaunch
{
    /// <summary>
    /// The job's communicator. Each rank's kernels get an equal part of this machine's processors (unless
    /// DESCENT_THREADS says otherwise), so that the ranks on one machine do not fight over its cores.
    /// </summary>
    /// <exception cref="UsageException">The process was not started by mpirun, or Open MPI is not installed.</exception>
    public static Communicator Connect()
    {
        if (!MpiCommunicator.IsLaunchedByMpirun) throw new UsageException($"--distributed needs an MPI job: {MpiCommunicator.LaunchHint}");
        MpiCommunicator communicator;
        try
        {
            communicator = MpiCommunicator.World();
        }
        catch (MpiUnavailableException e)
        {
            throw new UsageException($"--distributed: {e.Message}");
        }
        if (Environment.GetEnvironmentVariable("DESCENT_THREADS") is null
            && int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out int local) && local >= 1)
            Parallelism.MaxThreads = Math.Max(1, Environment.ProcessorCount / local);
        return communicator;
    }
}
