namespace Descent.Tests.Autograd;

using Autograd = Descent.Autograd;

/// <summary>
/// <see cref="Autograd.DetectAnomaly"/>: the first operation whose forward output or backward gradient holds a NaN or an
/// infinity throws, naming the operation, the phase, the shape and the user's code that created it.
/// </summary>
public class DetectAnomalyTests
{
    private static Tensor Leaf(params float[] values) => Tensor.FromArray(values, [values.Length]).RequiresGrad_();

    /// <summary>Sqrt at 0: a finite output (0) whose gradient 1 / (2·0) is infinite.</summary>
    private static Tensor SqrtLoss(Tensor x) => x.Sqrt().Sum();

    [Fact]
    public void A_forward_output_that_is_not_finite_throws_naming_the_operation_and_the_calling_line()
    {
        var x = Leaf(1, 0, 2);
        Assert.Equal(float.NegativeInfinity, x.Log().ToArray<float>()[1]); // without the scope, as ever
        AnomalyDetectedException e;
        using (Autograd.DetectAnomaly())
            e = Assert.Throws<AnomalyDetectedException>(() => x.Log());
        Assert.Equal("Log", e.Operation);
        Assert.False(e.IsBackward);
        Assert.Null(e.Input);
        Assert.Equal([3], e.Shape);
        Assert.StartsWith("anomaly detected: the forward output of Log (shape [3]) is not finite: 1 of 3 elements not finite, the first -Infinity at index 1; the operation was created at:", e.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(A_forward_output_that_is_not_finite_throws_naming_the_operation_and_the_calling_line), e.CreatedAt, StringComparison.Ordinal);
        Assert.Contains("DetectAnomalyTests.cs:line ", e.CreatedAt, StringComparison.Ordinal);
        Assert.DoesNotContain("at Descent.Tensor.", e.CreatedAt, StringComparison.Ordinal); // the library's own frames are left out
        Assert.EndsWith(e.CreatedAt!, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_backward_gradient_that_is_not_finite_throws_naming_the_backward_function_and_where_its_operation_was_created()
    {
        var x = Leaf(0, 4);
        AnomalyDetectedException e;
        using (Autograd.DetectAnomaly())
        {
            var loss = SqrtLoss(x); // finite: sqrt(0) = 0
            e = Assert.Throws<AnomalyDetectedException>(() => loss.Backward());
        }
        Assert.Equal("SqrtBackward", e.Operation);
        Assert.True(e.IsBackward);
        Assert.Equal(0, e.Input);
        Assert.Equal([2], e.Shape);
        Assert.StartsWith("anomaly detected: SqrtBackward returned a gradient that is not finite for its input 0 (shape [2]): 1 of 2 elements not finite, the first Infinity at index 0; the operation was created at:", e.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(SqrtLoss), e.CreatedAt, StringComparison.Ordinal);
        Assert.Null(x.Grad); // the pass stopped before accumulating anything into the leaf
    }

    [Fact]
    public void A_NaN_gradient_is_found_at_the_rule_that_made_it_as_PyTorch_reports_it()
    {
        var x = Leaf(0);
        using var _ = Autograd.DetectAnomaly();
        var loss = (x.Sqrt() * 0).Sum(); // MulBackward returns 0 for sqrt's output, SqrtBackward 0 / 0
        var e = Assert.Throws<AnomalyDetectedException>(() => loss.Backward());
        Assert.Equal("SqrtBackward", e.Operation);
        Assert.Contains("the first NaN at index 0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_graph_recorded_outside_the_scope_is_checked_but_cannot_say_where_it_was_created()
    {
        var loss = SqrtLoss(Leaf(0));
        Assert.Null(loss.GradFn!.CreatedAt); // normal runs capture nothing
        AnomalyDetectedException e;
        using (Autograd.DetectAnomaly()) e = Assert.Throws<AnomalyDetectedException>(() => loss.Backward());
        Assert.Null(e.CreatedAt);
        Assert.EndsWith("the operation was recorded outside Autograd.DetectAnomaly(): run the forward pass inside the scope too to see where it was created", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_scope_nothing_is_checked()
    {
        var x = Leaf(0, 4);
        SqrtLoss(x).Backward();
        Assert.Equal(float.PositiveInfinity, x.Grad!.ToArray<float>()[0]);
    }

    [Fact]
    public void Finite_runs_are_unchanged_and_outputs_under_NoGrad_are_checked_too()
    {
        var x = Leaf(1, 4);
        float[] plain;
        {
            SqrtLoss(x).Backward();
            plain = x.Grad!.ToArray<float>();
            x.Grad = null;
        }
        using var scope = Autograd.DetectAnomaly();
        var loss = SqrtLoss(x);
        Assert.NotNull(loss.GradFn!.CreatedAt);
        loss.Backward();
        Assert.Equal(plain, x.Grad!.ToArray<float>());
        using (Autograd.NoGrad())
            Assert.Equal("Div", Assert.Throws<AnomalyDetectedException>(() => x / Tensor.Zeros([2])).Operation);
    }

    [Fact]
    public void Scopes_nest_end_once_and_belong_to_their_thread()
    {
        Assert.False(Autograd.IsAnomalyDetectionEnabled);
        var outer = Autograd.DetectAnomaly();
        using (Autograd.DetectAnomaly()) Assert.True(Autograd.IsAnomalyDetectionEnabled);
        Assert.True(Autograd.IsAnomalyDetectionEnabled);
        bool elsewhere = true;
        var thread = new Thread(() =>
        {
            elsewhere = Autograd.IsAnomalyDetectionEnabled;
            Leaf(0).Log(); // no scope on this thread: no check
        });
        thread.Start();
        thread.Join();
        Assert.False(elsewhere);
        outer.Dispose();
        outer.Dispose(); // a second end changes nothing
        Assert.False(Autograd.IsAnomalyDetectionEnabled);
        Assert.Equal(float.NegativeInfinity, Leaf(0).Log().ToArray<float>()[0]);
    }
}
