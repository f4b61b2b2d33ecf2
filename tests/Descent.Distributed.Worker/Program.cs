using Descent.Distributed;
using Descent.Parallel;

// Runs one scenario on every rank of an mpirun job: `mpirun -np 2 dotnet Descent.Distributed.Worker.dll <scenario> [directory]`.
// Each rank checks what it received against what every rank must have sent and prints "rank R of N: <scenario> ok";
// a failed check aborts the job with a message naming the rank, so mpirun exits non-zero.
if (args.Length == 0 || !Scenarios.All.TryGetValue(args[0], out var scenario))
{
    Console.Error.WriteLine($"usage: Descent.Distributed.Worker <scenario> [directory]; scenarios: {string.Join(", ", Scenarios.All.Keys)}");
    return 64;
}

MpiCommunicator world;
try
{
    world = MpiCommunicator.World();
}
catch (MpiUnavailableException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using (world)
{
    try
    {
        scenario(world, args.Length > 1 ? args[1] : "");
    }
    catch (Exception e) when (e is CheckFailedException or CommunicationException)
    {
        world.Abort(e.Message, 3);
    }
}

// Disposing finalized MPI, once: a second Dispose does nothing, and MPI cannot start again.
world.Dispose();
try
{
    MpiCommunicator.World();
    Console.Error.WriteLine($"rank {world.Rank} of {world.Size}: World() after Dispose did not throw");
    return 1;
}
catch (InvalidOperationException) { }
Console.WriteLine($"rank {world.Rank} of {world.Size}: {args[0]} ok");
return 0;
