namespace Descent.Tests.Autograd;

/// <summary><see cref="Tensor.RegisterPostAccumulateGradHook"/> and the end-of-pass callback data-parallel training builds on.</summary>
public class PostAccumulateGradHookTests
{
    [Fact]
    public void The_hook_sees_the_finished_gradient_once_per_pass()
    {
        var w = Tensor.FromArray(new[] { 1.0, 2.0 }).RequiresGrad_();
        var seen = new List<double[]>();
        using var handle = w.RegisterPostAccumulateGradHook(p => seen.Add(p.Grad!.ToDoubleArray()));
        // w is used twice: the hook runs once, after both contributions (3w² summed: 6w).
        ((w * w).Sum() + (w * w * 2).Sum()).Backward();
        Assert.Equal([[6.0, 12.0]], seen);
        (w * 1.0).Sum().Backward();
        Assert.Equal([7.0, 13.0], seen[^1]); // accumulated onto the first pass's gradient
        handle.Dispose();
        (w * 1.0).Sum().Backward();
        Assert.Equal(2, seen.Count);
    }

    [Fact]
    public void Hooks_run_in_the_order_the_pass_finishes_leaves_and_the_pass_end_callback_after_all()
    {
        var a = Tensor.FromArray(new[] { 1.0 }).RequiresGrad_();
        var b = Tensor.FromArray(new[] { 2.0 }).RequiresGrad_();
        var events = new List<string>();
        a.RegisterPostAccumulateGradHook(_ =>
        {
            events.Add("a");
            Descent.Autograd.WhenPassEnds(completed => events.Add(completed ? "end" : "failed"));
        });
        b.RegisterPostAccumulateGradHook(_ => events.Add("b"));
        // b is used last, so the pass reaches it first.
        ((a * 3).Exp() * b).Sum().Backward();
        Assert.Equal(["b", "a", "end"], events);
    }

    [Fact]
    public void Only_a_leaf_that_requires_gradients_takes_a_hook_and_the_callback_needs_a_pass()
    {
        var leaf = Tensor.FromArray(new[] { 1.0 }).RequiresGrad_();
        Assert.Throws<InvalidOperationException>(() => (leaf * 2).RegisterPostAccumulateGradHook(_ => { }));
        Assert.Throws<InvalidOperationException>(() => Tensor.FromArray(new[] { 1.0 }).RegisterPostAccumulateGradHook(_ => { }));
        Assert.Throws<InvalidOperationException>(() => Descent.Autograd.WhenPassEnds(_ => { }));
    }

    [Fact]
    public void A_pass_that_throws_tells_its_callbacks_and_the_exception_goes_on()
    {
        var a = Tensor.FromArray(new[] { 1.0 }).RequiresGrad_();
        var b = Tensor.FromArray(new[] { 2.0 }).RequiresGrad_();
        var events = new List<string>();
        b.RegisterPostAccumulateGradHook(_ => Descent.Autograd.WhenPassEnds(completed => events.Add(completed ? "end" : "failed")));
        a.RegisterPostAccumulateGradHook(_ => throw new InvalidDataException("hook"));
        Assert.Equal("hook", Assert.Throws<InvalidDataException>(() => (a * b).Sum().Backward()).Message);
        Assert.Equal(["failed"], events);
        Assert.Throws<InvalidOperationException>(() => Descent.Autograd.WhenPassEnds(_ => { })); // the pass is over
    }
}
