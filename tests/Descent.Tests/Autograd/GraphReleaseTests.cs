using System.Runtime.CompilerServices;
using Descent.NN;
using Xunit.Abstractions;
using F = Descent.NN.Functional;

namespace Descent.Tests.Autograd;

/// <summary>
/// After Backward the graph lets go of its activations, as PyTorch's does: a loss kept for logging pins its own node and
/// its one number, not every tensor the step computed. These tests see it through weak references (which do not depend
/// on what else the process does) and through a measurement of the bytes each kept loss holds (in
/// <see cref="GraphMemoryTests"/>, which runs alone).
/// </summary>
public class GraphReleaseTests
{
    internal sealed record Step(Tensor Loss, WeakReference[] Activations);

    /// <summary>One step of a small MLP; the activations are reachable afterwards only through the loss's graph.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static Step Run(Linear l1, Linear l2, Tensor x, Tensor y, bool backward, bool retainGraph)
    {
        var h = l1.Forward(x);
        var a = h.Relu();
        var logits = l2.Forward(a);
        var loss = F.CrossEntropy(logits, y);
        if (backward) loss.Backward(retainGraph: retainGraph);
        return new Step(loss, [new(h), new(a), new(logits)]);
    }

    private static (Linear, Linear, Tensor, Tensor) Mlp()
    {
        var g = new Generator(3);
        var x = Tensor.Randn([16, 20], generator: g);
        var y = Tensor.FromArray(Enumerable.Range(0, 16).Select(i => (long)(i % 4)).ToArray(), [16]);
        return (new Linear(20, 12, generator: g), new Linear(12, 4, generator: g), x, y);
    }

    private static bool AnyAlive(WeakReference[] refs)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return refs.Any(r => r.IsAlive);
    }

    [Fact]
    public void Activations_are_collectable_after_backward_while_the_loss_is_kept()
    {
        var (l1, l2, x, y) = Mlp();
        var step = Run(l1, l2, x, y, backward: true, retainGraph: false);
        Assert.False(AnyAlive(step.Activations));
        Assert.Equal(Run(l1, l2, x, y, backward: false, retainGraph: false).Loss.GradFnName, step.Loss.GradFnName);
        Assert.NotNull(step.Loss.GradFnName);
        GC.KeepAlive(step.Loss);
    }

    [Fact]
    public void Activations_stay_reachable_before_backward_and_with_retainGraph()
    {
        // The counterpart that shows the weak references see what they should: a graph not yet run, or retained, holds them.
        var (l1, l2, x, y) = Mlp();
        var pending = Run(l1, l2, x, y, backward: false, retainGraph: false);
        var retained = Run(l1, l2, x, y, backward: true, retainGraph: true);
        Assert.True(AnyAlive(pending.Activations));
        Assert.True(AnyAlive(retained.Activations));
        retained.Loss.Backward(); // a retained graph runs again, then lets go
        Assert.False(AnyAlive(retained.Activations));
        GC.KeepAlive(pending.Loss);
    }

    [Fact]
    public void A_second_backward_through_a_released_graph_still_says_so()
    {
        var (l1, l2, x, y) = Mlp();
        var step = Run(l1, l2, x, y, backward: true, retainGraph: false);
        var e = Assert.Throws<InvalidOperationException>(() => step.Loss.Backward());
        Assert.Contains("second time", e.Message);
    }

    [Fact]
    public void A_graph_shared_by_two_losses_is_released_by_the_first_backward()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0 }, requiresGrad: true);
        var h = x.Exp();
        var a = (h * 2.0).Sum();
        var b = (h * 3.0).Sum();
        a.Backward();
        Assert.Equal("ExpBackward", h.GradFnName);
        var e = Assert.Throws<InvalidOperationException>(() => b.Backward());
        Assert.Contains("second time", e.Message);
    }

    [Fact]
    public void RetainGrad_and_createGraph_work_as_before()
    {
        var x = Tensor.FromArray(new[] { 3.0 }, requiresGrad: true);
        var h = x * x;
        h.RetainGrad();
        var y = (h * x).Sum(); // x³
        y.Backward(createGraph: true);
        Assert.Equal(3.0, h.Grad!.Item<double>()); // dy/dh = x
        var dydx = x.Grad!;
        Assert.Equal(27.0, dydx.Item<double>()); // 3x²
        x.Grad = null;
        dydx.Sum().Backward();
        Assert.Equal(18.0, x.Grad!.Item<double>()); // 6x
    }
}

/// <summary>
/// The bytes a kept loss holds, measured as a logging training loop keeps them: N steps of a 784-256-10 MLP at batch 128
/// keep their losses, everything else released; the live heap after full collections with those losses, less the live
/// heap once they are dropped, divided by N. Process-wide figures, so it runs alone.
/// </summary>
[Collection(ProcessMemoryCollection.Name)]
public class GraphMemoryTests(ITestOutputHelper output)
{
    private const int Kept = 200;

    internal static double BytesPerKeptLoss(bool retainGraph, bool scoped, int kept)
    {
        var g = new Generator(11);
        var l1 = new Linear(784, 256, generator: g);
        var l2 = new Linear(256, 10, generator: g);
        var x = Tensor.Randn([128, 784], generator: g);
        var y = Tensor.FromArray(Enumerable.Range(0, 128).Select(i => (long)(i % 10)).ToArray(), [128]);
        var losses = new List<Tensor>(kept + 1);
        void KeepOne()
        {
            using var scope = scoped ? new TensorScope() : null;
            var step = GraphReleaseTests.Run(l1, l2, x, y, backward: true, retainGraph);
            losses.Add(scope is null ? step.Loss : scope.Keep(step.Loss));
        }
        for (int i = 0; i < kept; i++) KeepOne();
        // The heap with the losses and without them, nothing run in between: what the steps allocated for good (the
        // parameters' gradients, the pool, a worker thread's GEMM packing buffer) is in both readings and cancels.
        long with = HeapBytes();
        losses.Clear();
        long without = HeapBytes();
        GC.KeepAlive(losses);
        return (with - without) / (double)kept;
    }

    /// <summary>Bytes of live objects after full, compacting collections (finalizers run in between).</summary>
    private static long HeapBytes()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: false);
    }

    [Fact]
    public void A_kept_loss_holds_under_a_kilobyte()
    {
        // The quietest of three readings: an object of another test's that dies between the two heap readings of one (a
        // finalized thread's buffers, a cache) adds to it, never subtracts.
        double plain = Enumerable.Range(0, 3).Min(_ => BytesPerKeptLoss(retainGraph: false, scoped: false, Kept));
        double scoped = Enumerable.Range(0, 3).Min(_ => BytesPerKeptLoss(retainGraph: false, scoped: true, Kept));
        string figures = $"a kept loss holds {plain:F0} bytes, {scoped:F0} bytes when its step ran in a TensorScope";
        output.WriteLine(figures);
        Assert.True(plain <= 1024, figures);
        Assert.True(scoped <= 1024, figures);
    }

    [Fact]
    public void A_retained_graph_holds_its_activations()
    {
        // The measurement's counterpart: a graph kept on purpose holds at least the hidden layer's two activations
        // (128 × 256 float32 each, 128 KiB).
        double retained = BytesPerKeptLoss(retainGraph: true, scoped: false, 50);
        output.WriteLine($"a kept loss whose graph was retained holds {retained:F0} bytes");
        Assert.True(retained >= 2 * 128 * 256 * 4, $"a retained graph holds {retained:F0} bytes");
    }
}
