using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Descent.Benchmarks;

// `quick`: a fast table of GEMM GFLOP/s on 1 and N threads as fractions of the measured FMA peak.
// Anything else goes to BenchmarkDotNet (e.g. `--filter *MatMul*`, `--job short`).
if (args is ["quick", ..])
{
    QuickBench.Run(args[1..]);
    return;
}

MachineReport.Print(TimeSpan.FromSeconds(1));
var config = DefaultConfig.Instance.AddColumn(new ThroughputColumn());
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
