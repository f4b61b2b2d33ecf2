using Descent.NN;
using Descent.Optim;
using F = Descent.NN.Functional;

namespace Descent.Tests.Tensors;

/// <summary>
/// A training step in a TensorScope takes its buffers from the pool: after warm-up it allocates a bounded, small number
/// of bytes (headers, shapes, graph nodes), where the same step outside a scope allocates every activation and gradient.
/// </summary>
[Collection(DefaultGeneratorCollection.Name)]
public class StepAllocationTests
{
    // Sizes no other test uses, so that concurrent tests cannot take this step's buffers from the shared pool.
    private const int Batch = 61, Inputs = 397, Hidden = 233, Classes = 7;

    private static long BytesPerStep(bool scoped)
    {
        Tensor.ManualSeed(5);
        var model = new Sequential(new Linear(Inputs, Hidden), new ReLU(), new Linear(Hidden, Classes));
        var optimizer = new Adam(model.Parameters());
        var x = Tensor.Randn([Batch, Inputs]);
        var y = Tensor.FromArray(Enumerable.Range(0, Batch).Select(i => (long)(i % Classes)).ToArray(), [Batch]);
        void Step()
        {
            using var scope = scoped ? new TensorScope() : null;
            optimizer.ZeroGrad(setToNone: false);
            F.CrossEntropy(model.Forward(x), y).Backward();
            optimizer.Step();
        }
        for (int i = 0; i < 3; i++) Step();
        const int steps = 5;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < steps; i++) Step();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / steps;
    }

    [Fact]
    public void A_scoped_step_allocates_little_and_a_plain_step_allocates_its_activations()
    {
        long activations = 4L * Batch * (2 * Hidden + Classes); // the forward outputs alone, in bytes
        long plain = BytesPerStep(scoped: false);
        long scoped = BytesPerStep(scoped: true);
        Assert.True(plain > 2 * activations, $"plain step: {plain} bytes");
        Assert.True(scoped < 64 * 1024, $"scoped step: {scoped} bytes (plain: {plain})");
    }
}
