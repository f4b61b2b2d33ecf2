using Descent.Optim;
using Descent.Training;
using F = Descent.NN.Functional;
using Setup = Descent.Tests.Training.TrainerAccumulationTests;

namespace Descent.Tests.Optim;

/// <summary>
/// How the wrappers meet the other new pieces: Lookahead refuses a schedule-free optimizer, SAM's second gradient is its
/// own whatever the closure does, SkipNonFinite is found under another wrapper, and LAMB's group step count survives the
/// state dict before its group has any state.
/// </summary>
[Collection(DefaultGeneratorCollection.Name)]
public class WrapperInteractionTests
{
    [Fact]
    public void Lookahead_refuses_a_schedule_free_optimizer()
    {
        var ps = OptimizerTable.Parameters(DType.Float64, [3, 2]);
        var e = Assert.Throws<ArgumentException>(() => new Lookahead(new ScheduleFreeAdamW(ps)));
        Assert.Equal("inner", e.ParamName);
        Assert.Contains("average x would be lost", e.Message);
        var entry = OptimizerRegistry.Find("lookahead")!;
        var options = (LookaheadOptions)entry.Preset with { Base = "sfsgd" };
        Assert.Throws<ArgumentException>(() => entry.Create(OptimizerTable.Parameters(DType.Float64, [4]), options));
    }

    [Fact]
    public void Sam_steps_with_the_second_gradient_alone_when_the_closure_does_not_zero()
    {
        double[] Run(bool closureZeroes)
        {
            var w = Tensor.FromArray(new[] { 1.0, -2.0 }, requiresGrad: true);
            var sam = new SAM(new SGD([w], lr: 0.1), rho: 0.5);
            for (int t = 0; t < 3; t++)
            {
                if (!closureZeroes) sam.ZeroGrad(); // the reference's usage: zeroed once, before the first evaluation
                sam.Step(() =>
                {
                    if (closureZeroes) sam.ZeroGrad();
                    var loss = (w * w * Tensor.FromArray(new[] { 1.0, 3.0 })).Sum();
                    loss.Backward();
                    return loss;
                });
            }
            return w.Detach().ToDoubleArray();
        }
        Assert.Equal(Run(closureZeroes: true), Run(closureZeroes: false));
    }

    [Fact]
    public void The_trainer_skips_non_finite_batches_when_SkipNonFinite_is_inside_another_wrapper()
    {
        var model = Setup.Mlp();
        var skip = new SkipNonFinite(Setup.Sgd(model), maxConsecutiveSkips: 2);
        int calls = 0;
        var trainer = new Trainer(model, new Lookahead(skip, k: 2), (y, t) => F.CrossEntropy(y, t) * (++calls == 3 ? double.NaN : 1.0));
        trainer.Fit(Setup.Loader(Setup.Data(50), 7), epochs: 1);
        Assert.Equal(1, skip.SkippedSteps);
    }

    [Fact]
    public void A_wrapped_optimizer_takes_no_new_group()
    {
        var adam = new Adam(OptimizerTable.Parameters(DType.Float32, [3]));
        _ = new SkipNonFinite(adam, 1);
        var e = Assert.Throws<InvalidOperationException>(() => adam.AddParamGroup(new ParamGroupSpec<AdamOptions>(OptimizerTable.Parameters(DType.Float32, [2]))));
        Assert.Contains("add its groups before wrapping it", e.Message);
    }

    [Fact]
    public void Lambs_group_step_survives_the_state_dict_before_the_group_has_a_gradient()
    {
        static (Tensor[] Ps, Lamb Lamb) Make()
        {
            var ps = OptimizerTable.Parameters(DType.Float64, [3], [2]);
            var lamb = new Lamb([new ParamGroupSpec<LambOptions>([ps[0]]), new ParamGroupSpec<LambOptions>([ps[1]])], new LambOptions(lr: 0.1));
            return (ps, lamb);
        }
        void Step(Tensor[] ps, Lamb lamb, int t)
        {
            ps[0].Grad = OptimizerTable.Gradient(ps[0], t, 0);
            ps[1].Grad = t < 3 ? null : OptimizerTable.Gradient(ps[1], t, 1); // the second group's first gradient at step 4
            lamb.Step();
        }
        var (a, straight) = Make();
        for (int t = 0; t < 4; t++) Step(a, straight, t);

        var (b, first) = Make();
        for (int t = 0; t < 3; t++) Step(b, first, t);
        var (c, resumed) = Make();
        for (int i = 0; i < b.Length; i++) b[i].CopyInto(c[i]);
        resumed.LoadStateDict(first.StateDict());
        Step(c, resumed, 3);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].ToDoubleArray(), c[i].ToDoubleArray());
    }
}
