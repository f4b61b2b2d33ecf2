using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>
/// SkipNonFinite (Optax's apply_if_finite): a step with a NaN or an infinity in any gradient, dense or row-sparse, changes
/// no bit of the parameters or of the inner optimizer's state and is counted; a finite step resets the run; one past the
/// limit throws and changes nothing; the counters survive the state dict and checkpoints.
/// </summary>
public class SkipNonFiniteTests
{
    private static Tensor[] Parameters() => OptimizerTable.Parameters(DType.Float32, [4, 3], [5]);

    private static void SetGradients(Tensor[] ps, int t)
    {
        for (int i = 0; i < ps.Length; i++) ps[i].Grad = OptimizerTable.Gradient(ps[i], t, i);
    }

    /// <summary>Every bit of the parameters and of the state dict (hyperparameters, counters, tensors, steps).</summary>
    private static string Snapshot(Optimizer optimizer, Tensor[] ps)
    {
        var dict = optimizer.StateDict();
        return string.Join(";", ps.Select(p => string.Join(",", p.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits))))
            + "|" + string.Join(";", dict.ParamGroups.SelectMany(g => g.Hyperparameters.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Key}={Text(h.Value)}")))
            + "|" + string.Join(";", dict.State.Select(s => $"{s.Key}:{s.Value.Step}:" + string.Join(",", s.Value.Tensors.OrderBy(t => t.Key, StringComparer.Ordinal)
                .Select(t => t.Key + "=" + string.Join(" ", t.Value.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits))))));
    }

    private static string Text(object value) => value is double[] a ? string.Join(" ", a) : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!;

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void ANonFiniteStepChangesNothingAndIsCounted(float bad)
    {
        var ps = Parameters();
        var adam = new Adam(ps, lr: 0.01, amsgrad: true);
        var skip = new SkipNonFinite(adam, maxConsecutiveSkips: 3);
        for (int t = 0; t < 2; t++)
        {
            SetGradients(ps, t);
            skip.Step();
        }
        var before = Snapshot(adam, ps);
        SetGradients(ps, 2);
        ps[1].Grad!.AsSpan<float>()[3] = bad;
        skip.Step();
        Assert.Equal((1L, 1L), (skip.SkippedSteps, skip.ConsecutiveSkips));
        Assert.Equal(before.Split('|')[0], Snapshot(adam, ps).Split('|')[0]); // parameters
        Assert.Equal(before.Split('|')[2], Snapshot(adam, ps).Split('|')[2]); // every state tensor and step count
        Assert.Equal(2, adam.StateOf(ps[0])!.Step);
    }

    [Fact]
    public void ARowSparseGradientIsCheckedToo()
    {
        var table = Tensor.FromArray(new[] { 1f, 2, 3, 4, 5, 6 }, [3, 2], requiresGrad: true);
        var skip = new SkipNonFinite(new SparseAdam([table]), maxConsecutiveSkips: 2);
        table.SparseGrad = new RowSparseGrad(Tensor.FromArray(new long[] { 2 }), Tensor.FromArray(new[] { 1f, float.NaN }, [1, 2]), [3, 2]);
        skip.Step();
        Assert.Equal([1.0, 2, 3, 4, 5, 6], table.ToDoubleArray());
        Assert.Null(skip.StateOf(table));
        Assert.Equal(1, skip.SkippedSteps);
        table.SparseGrad = new RowSparseGrad(Tensor.FromArray(new long[] { 2 }), Tensor.FromArray(new[] { 1f, 1 }, [1, 2]), [3, 2]);
        skip.Step();
        Assert.NotEqual(5.0, table.ToDoubleArray()[4]);
        Assert.Equal(0, skip.ConsecutiveSkips);
    }

    /// <summary>After skips, a finite step continues as if the bad steps had never come: the inner optimizer given only the finite ones.</summary>
    [Fact]
    public void AFiniteStepResetsTheRunAndContinuesAsTheInnerOptimizerWould()
    {
        var a = Parameters();
        var b = Parameters();
        var alone = new Adam(a, lr: 0.01);
        var skip = new SkipNonFinite(new Adam(b, lr: 0.01), maxConsecutiveSkips: 2);
        bool[] bad = [false, true, true, false, true, false, false];
        for (int t = 0; t < bad.Length; t++)
        {
            SetGradients(b, t);
            if (bad[t]) b[0].Grad!.AsSpan<float>()[0] = float.NaN;
            skip.Step();
            if (bad[t]) continue;
            SetGradients(a, t);
            alone.Step();
        }
        Assert.Equal((3L, 0L), (skip.SkippedSteps, skip.ConsecutiveSkips));
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].ToDoubleArray(), b[i].ToDoubleArray());
    }

    [Fact]
    public void OnePastTheLimitThrowsAndChangesNothing()
    {
        var ps = Parameters();
        var skip = new SkipNonFinite(new SGD(ps, lr: 0.1, momentum: 0.9), maxConsecutiveSkips: 2);
        SetGradients(ps, 0);
        skip.Step();
        var before = Snapshot(skip, ps);
        for (int t = 0; t < 2; t++)
        {
            SetGradients(ps, t + 1);
            ps[0].Grad!.AsSpan<float>()[1] = float.PositiveInfinity;
            skip.Step();
        }
        var skipped = Snapshot(skip, ps);
        var e = Assert.Throws<InvalidOperationException>(() => skip.Step());
        Assert.Contains("3 steps in a row had a NaN or infinite gradient, more than maxConsecutiveSkips = 2", e.Message, StringComparison.Ordinal);
        Assert.Equal(skipped, Snapshot(skip, ps));
        Assert.Equal(before.Split('|')[0], skipped.Split('|')[0]);
        Assert.Equal((2L, 2L), (skip.SkippedSteps, skip.ConsecutiveSkips));
        // With no skips allowed, the first non-finite step throws.
        var strict = new SkipNonFinite(new SGD(ps, lr: 0.1), maxConsecutiveSkips: 0);
        Assert.Throws<InvalidOperationException>(() => strict.Step());
        Assert.Equal(0, strict.SkippedSteps);
    }

    [Fact]
    public void TheCountersSurviveTheStateDictAndACheckpoint()
    {
        var ps = Parameters();
        var skip = new SkipNonFinite(new Adam(ps), maxConsecutiveSkips: 5);
        for (int t = 0; t < 5; t++)
        {
            SetGradients(ps, t);
            if (t != 1) ps[1].Grad!.AsSpan<float>()[0] = float.NaN;
            skip.Step();
        }
        Assert.Equal((4L, 3L), (skip.SkippedSteps, skip.ConsecutiveSkips));
        var dict = skip.StateDict();
        Assert.Equal(3.0, dict.ParamGroups[0].Hyperparameters["notfinite_count"]);
        Assert.Equal(4.0, dict.ParamGroups[0].Hyperparameters["total_notfinite"]);

        var loaded = new SkipNonFinite(new Adam(Parameters()), maxConsecutiveSkips: 5);
        loaded.LoadStateDict(dict);
        Assert.Equal((4L, 3L), (loaded.SkippedSteps, loaded.ConsecutiveSkips));
        var path = Path.Combine(Path.GetTempPath(), $"descent-skip-{Guid.NewGuid():N}.bin");
        try
        {
            Descent.Training.Checkpoint.SaveOptimizer(path, skip);
            var fromFile = new SkipNonFinite(new Adam(Parameters()), maxConsecutiveSkips: 5);
            Descent.Training.Checkpoint.LoadOptimizer(path, fromFile);
            Assert.Equal((4L, 3L), (fromFile.SkippedSteps, fromFile.ConsecutiveSkips));
            Assert.Equal(Snapshot(skip, ps).Split('|')[2], Snapshot(fromFile, ps).Split('|')[2]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void WrapsAWrapperAndIsWrappedBySam()
    {
        var ps = Parameters();
        var skip = new SkipNonFinite(new Lookahead(new Adam(ps), k: 2), maxConsecutiveSkips: 1);
        SetGradients(ps, 0);
        ps[0].Grad!.AsSpan<float>()[0] = float.NaN;
        skip.Step();
        Assert.Equal(0.0, skip.ParamGroups[0].Numbers["lookahead_step"]); // Lookahead's counter did not move either
        Assert.Null(skip.StateOf(ps[0]));

        var x = Tensor.FromArray(new[] { 1.0, 2.0 }, requiresGrad: true);
        var inner = new SkipNonFinite(new SGD([x], lr: 0.1), maxConsecutiveSkips: 1);
        var sam = new SAM(inner, rho: 0.1);
        sam.Step(() => { sam.ZeroGrad(); var l = (x * x).Sum(); l.Backward(); x.Grad!.AsSpan<double>()[0] = double.NaN; return l; });
        Assert.Equal([1.0, 2.0], x.ToDoubleArray()); // climbed and restored, then the base step skipped
        Assert.Equal(1, inner.SkippedSteps);
    }

    [Fact]
    public void ANegativeLimitIsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SkipNonFinite(new SGD(Parameters(), lr: 0.1), maxConsecutiveSkips: -1));
        Assert.Equal("maxConsecutiveSkips", e.ParamName);
        Assert.Equal("inner", Assert.Throws<ArgumentNullException>(() => new SkipNonFinite(null!, maxConsecutiveSkips: 1)).ParamName);
    }

    [Fact]
    public void TheTrainEvalSwitchReachesAScheduleFreeInnerOptimizer()
    {
        var ps = Parameters();
        var alone = Parameters();
        var skip = new SkipNonFinite(new ScheduleFreeAdamW(ps, lr: 0.05), maxConsecutiveSkips: 1);
        var plain = new ScheduleFreeAdamW(alone, lr: 0.05);
        for (int t = 0; t < 3; t++)
        {
            SetGradients(ps, t);
            SetGradients(alone, t);
            skip.Step();
            plain.Step();
        }
        skip.Eval();
        plain.Eval();
        Assert.False(skip.IsTraining);
        for (int i = 0; i < ps.Length; i++) Assert.Equal(alone[i].ToDoubleArray(), ps[i].ToDoubleArray()); // x, not y
        skip.Train();
        Assert.True(skip.IsTraining);
        Assert.True(new SkipNonFinite(new Adam(Parameters()), 1).IsTraining); // an inner optimizer without the switch: always training
    }
}

/// <summary>SkipNonFinite allocates nothing per step, finite or skipped.</summary>
[Collection(nameof(AllocationTests))]
public class SkipNonFiniteAllocationTests
{
    [Fact]
    public void StepsAllocateNothingAfterWarmUp()
    {
        var ps = OptimizerTable.Parameters(DType.Float32, [64, 33], [1000]);
        var skip = new SkipNonFinite(new Adam(ps), maxConsecutiveSkips: 100);
        foreach (var (p, i) in ps.Select((p, i) => (p, i))) p.Grad = OptimizerTable.Gradient(p, 0, i);
        for (int t = 0; t < 3; t++) skip.Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 10; t++) skip.Step();
        ps[1].Grad!.AsSpan<float>()[7] = float.NaN;
        for (int t = 0; t < 10; t++) skip.Step();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"20 steps allocated {allocated} bytes");
        Assert.Equal(10, skip.SkippedSteps);
    }

}
