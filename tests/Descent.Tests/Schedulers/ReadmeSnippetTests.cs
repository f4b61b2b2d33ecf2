using Descent.Optim;
using Descent.Optim.Schedulers;

namespace Descent.Tests.Schedulers;

/// <summary>The README's warm-up-then-cosine snippet, kept compiling and checked.</summary>
public class ReadmeSnippetTests
{
    [Fact]
    public void WarmupThenCosine()
    {
        var lrs = new List<double>();
        // --- README snippet ---
        var w = Tensor.Randn([10], DType.Float64, new Generator(0)).RequiresGrad_();
        var optimizer = new SGD([w], lr: 0.1, momentum: 0.9);

        // 5 epochs of linear warm-up from 0.01 to 0.1, then a cosine decay to 0 over the other 95.
        var warmup = new LinearLR(optimizer, startFactor: 0.1, totalIters: 5);
        var cosine = new CosineAnnealingLR(optimizer, tMax: 95);
        var scheduler = new SequentialLR(optimizer, [warmup, cosine], milestones: [5]);

        for (int epoch = 0; epoch < 100; epoch++)
        {
            lrs.Add(scheduler.LastLr[0]); // the lr this epoch trains with
            optimizer.ZeroGrad();
            var loss = (w * w).Sum();
            loss.Backward();
            optimizer.Step();
            scheduler.Step(); // once per epoch, after optimizer.Step()
        }

        // The same schedule without training (what the lab plots): preview.Lr[epoch][group].
        var preview = LrSchedule.Preview([0.1], o => new SequentialLR(o,
            [new LinearLR(o, startFactor: 0.1, totalIters: 5), new CosineAnnealingLR(o, tMax: 95)], milestones: [5]), epochs: 100);
        // --- end ---

        Assert.Equal(0.01, lrs[0], 15);
        Assert.Equal(0.1, lrs[5], 15);
        Assert.Equal(0.1 * (1 + Math.Cos(Math.PI * 94 / 95)) / 2, lrs[99], 12); // the cosine's 94th of 95 steps
        Assert.Equal(lrs, preview.LrOfGroup(0).Take(100));
        Assert.Equal(0.0, preview.Lr[100][0], 15);
    }
}
