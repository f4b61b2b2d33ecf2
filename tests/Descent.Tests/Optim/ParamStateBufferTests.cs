using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>
/// The state buffers of a large parameter start at different shifts into their arrays (so that the streams of a fused
/// update never start a multiple of 4 MiB apart), and behave as any other state: zeros at first, the rule's numbers
/// after a step, a state file that saves and loads them.
/// </summary>
public class ParamStateBufferTests
{
    private const int Large = (int)(ParamState.StaggerMinBytes / sizeof(float));

    [Fact]
    public void LargeBuffersStartAtDistinctShiftsThatAreNotMultiplesOfTheRegionSize()
    {
        var p = Tensor.Zeros([Large]);
        var state = new ParamState();
        var m = state.Buffer("exp_avg", p);
        var v = state.Buffer("exp_avg_sq", p);
        long region = 1 << 22;
        long mBytes = m.Offset * 4L, vBytes = v.Offset * 4L;
        Assert.NotEqual(0, mBytes % region);
        Assert.NotEqual(0, vBytes % region);
        Assert.NotEqual(0, (vBytes - mBytes) % region);
        Assert.Equal(p.Shape, m.Shape);
        Assert.True(m.IsContiguous);
        Assert.All(m.ToArray<float>(), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void SmallBuffersAreNotShifted()
    {
        var state = new ParamState();
        Assert.Equal(0, state.Buffer("exp_avg", Tensor.Zeros([Large / 2])).Offset);
    }

    [Fact]
    public void ShiftedBuffersHoldTheRulesNumbersAndSurviveAStateFile()
    {
        var p = Tensor.Uniform([2, Large / 2], -1, 1, generator: new Generator(3)).RequiresGrad_();
        var g = Tensor.Uniform([2, Large / 2], -1, 1, generator: new Generator(4));
        p.Grad = g;
        var adam = new Adam([p]);
        adam.Step();
        var m = adam.StateOf(p)!.Tensors["exp_avg"];
        Assert.NotEqual(0, m.Offset);
        float oneMinusBeta1 = (float)(1 - 0.9);
        var expected = g.ToArray<float>().Select(x => 0f * 0.9f + x * oneMinusBeta1).ToArray();
        Assert.Equal(expected, m.ToArray<float>());

        var path = Path.Combine(Path.GetTempPath(), $"descent-staggered-{Guid.NewGuid():N}.bin");
        try
        {
            Descent.Training.Checkpoint.SaveOptimizer(path, adam);
            var resumed = new Adam([p]);
            Descent.Training.Checkpoint.LoadOptimizer(path, resumed);
            Assert.Equal(expected, resumed.StateOf(p)!.Tensors["exp_avg"].ToArray<float>());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
