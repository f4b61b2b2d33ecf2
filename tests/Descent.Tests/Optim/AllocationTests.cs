using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>Once state exists, a step allocates nothing on the heap (L-BFGS excepted: it keeps a history by design).</summary>
[Collection(nameof(AllocationTests))]
public class AllocationTests
{
    public static TheoryData<string> Names => OptimizerTable.Names();

    [Theory]
    [MemberData(nameof(Names))]
    public void StepAllocatesNothingAfterWarmUp(string name)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var ps = OptimizerTable.Parameters(dtype, [64, 33], [7], [1000]);
            foreach (var (p, i) in ps.Select((p, i) => (p, i))) p.Grad = OptimizerTable.Gradient(p, 0, i);
            var o = OptimizerTable.Factories[name](ps);
            for (int t = 0; t < 3; t++) o.Step();
            // A per-step allocation shows in every round; a one-off (a pool or a runtime structure growing once, the
            // runtime's own lazy objects) in one round only: the quietest of three rounds must allocate nothing.
            long quietest = long.MaxValue;
            for (int round = 0; round < 3; round++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int t = 0; t < 10; t++) o.Step();
                quietest = Math.Min(quietest, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            Assert.True(quietest == 0, $"{name} {dtype.Name()}: each of three rounds of 10 steps allocated, the quietest {quietest} bytes");
        }
    }

    [Fact]
    public void LargeParameterStepsInParallelWithoutAllocating()
    {
        var ps = OptimizerTable.Parameters(DType.Float32, [1 << 19]);
        ps[0].Grad = OptimizerTable.Gradient(ps[0], 0, 0);
        var adam = new Adam(ps);
        for (int t = 0; t < 3; t++) adam.Step();
        // Under load a blocked hand-off to the workers can make the runtime allocate once (lazily created wait objects,
        // a contended lock's event); what must not happen is an allocation per step. A per-step allocation shows in every
        // round of 40 steps, a one-off in one round only, so the quietest of five rounds must allocate (almost) nothing.
        long quietest = long.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int t = 0; t < 40; t++) adam.Step();
            quietest = Math.Min(quietest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(quietest < 40 * 24, $"the quietest of five rounds of 40 parallel steps allocated {quietest} bytes");
    }
}
