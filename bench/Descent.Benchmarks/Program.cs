using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Descent.Benchmarks;

// Optimizer steps are measured by `descent bench optim` (src/Descent.Cli/Bench/OptimizerBench.cs).
// `quick`: a fast table of GEMM GFLOP/s on 1 and N threads as fractions of the measured FMA peak.
// `chains [params] [tensors] [seconds]`: transform chains beside the named optimizers they equal, steps alternated.
// Anything else goes to BenchmarkDotNet (e.g. `--filter *MatMul*`, `--job short`).
if (args is ["quick", ..])
{
    QuickBench.Run(args[1..]);
    return;
}
if (args is ["chains", ..])
{
    ChainBench.Run(args[1..]);
    return;
}

MachineReport.Print(TimeSpan.FromSeconds(1));
// A shared, busy machine can take more than the default two minutes to build BenchmarkDotNet's generated project;
// `--inProcess` avoids that build altogether.
var config = DefaultConfig.Instance.AddColumn(new ThroughputColumn()).WithBuildTimeout(TimeSpan.FromMinutes(10));
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
