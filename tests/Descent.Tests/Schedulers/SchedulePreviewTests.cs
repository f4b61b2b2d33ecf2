using Descent.Optim;
using Descent.Optim.Schedulers;

namespace Descent.Tests.Schedulers;

public class SchedulePreviewTests
{
    [Fact]
    public void PreviewEqualsSteppingARealOptimizer()
    {
        Func<Optimizer, LRScheduler> make = o => new SequentialLR(o,
            [new LinearLR(o, startFactor: 0.1, totalIters: 5), new CosineAnnealingLR(o, tMax: 25)], [5]);
        var preview = LrSchedule.Preview([0.1, 0.01], make, 30);

        var sgd = SchedulerStateTests.Sgd();
        var scheduler = make(sgd);
        Assert.Equal(30, preview.Epochs);
        Assert.Equal(31, preview.Lr.Count);
        for (int k = 0; k <= 30; k++)
        {
            if (k > 0)
            {
                sgd.Step();
                scheduler.Step();
            }
            Assert.Equal(sgd.ParamGroups.Select(g => g.Lr), preview.Lr[k]);
        }
        Assert.Equal(0.01, preview.Lr[0][0], 15);
        Assert.Equal(0.1, preview.Lr[5][0], 15);
    }

    [Fact]
    public void PreviewOfAnOptimizerCopiesItsGroupsAndLeavesItAlone()
    {
        var adam = SchedulerStateTests.AdamOptimizer();
        var preview = LrSchedule.Preview(adam, o => new OneCycleLR(o, maxLr: 0.2, totalSteps: 10), 9);
        Assert.Equal([0.1, 0.01], adam.ParamGroups.Select(g => g.Lr));
        Assert.All(adam.ParamGroups, g => Assert.Null(g.InitialLr));
        Assert.All(adam.ParamGroups, g => Assert.Equal(0.9, g.Momentum));
        Assert.Equal(0.2 / 25, preview.Lr[0][0], 15);
        Assert.Equal(0.95, preview.Momentum![0][1], 15);
        Assert.True(preview.Momentum[3][0] < 0.95);
    }

    [Fact]
    public void PreviewKeepsTheOptimizersInitialLr()
    {
        var sgd = SchedulerStateTests.Sgd();
        sgd.ParamGroups[0].InitialLr = 1.0; // as after a checkpoint of an earlier schedule
        var preview = LrSchedule.Preview(sgd, o => new LambdaLR(o, e => 0.5), 2);
        Assert.Equal(0.5, preview.Lr[1][0]);   // base_lr is the initial lr 1.0, not the current 0.1
        Assert.Equal(0.005, preview.Lr[1][1]); // no initial lr yet: the current one
        Assert.Equal(1.0, sgd.ParamGroups[0].InitialLr);
    }

    [Fact]
    public void PreviewWithoutMomentumRejectsCyclingAndReportsNone()
    {
        var none = LrSchedule.Preview([0.1], o => new StepLR(o, 2), 4, momentum: null);
        Assert.Null(none.Momentum);
        Assert.Throws<ArgumentException>(() => LrSchedule.Preview([0.1], o => new CyclicLR(o, 0.01, 0.1), 4, momentum: null));
    }

    [Fact]
    public void PlateauPreviewFollowsTheMetrics()
    {
        var preview = LrSchedule.Preview([0.1], o => new ReduceLROnPlateau(o, patience: 0), [3.0, 2.0, 2.0, 1.0, 1.0]);
        Assert.Equal([0.1, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.0010000000000000002], preview.LrOfGroup(0));
    }
}
