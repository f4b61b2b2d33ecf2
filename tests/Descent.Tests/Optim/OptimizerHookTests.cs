using Descent.Optim;

namespace Descent.Tests.Optim;

public class OptimizerHookTests
{
    private static (Tensor P, SGD Optimizer) Setup()
    {
        var p = Tensor.FromArray(new[] { 1.0, 2.0 }, [2], requiresGrad: true);
        return (p, new SGD([p], lr: 0.1));
    }

    [Fact]
    public void StepHooksRunBeforeAndAfterTheUpdateInOrder()
    {
        var (p, opt) = Setup();
        var log = new List<string>();
        opt.RegisterStepPreHook(o => log.Add($"pre1 {p.ToDoubleArray()[0]}"));
        opt.RegisterStepPreHook(o => log.Add("pre2"));
        opt.RegisterStepPostHook(o => { Assert.Same(opt, o); log.Add($"post {p.ToDoubleArray()[0]:R}"); });
        p.Grad = Tensor.FromArray(new[] { 1.0, 1.0 }, [2]);
        opt.Step();
        Assert.Equal(["pre1 1", "pre2", "post 0.9"], log);
    }

    [Fact]
    public void StepHooksRunOnceAroundAClosureStep()
    {
        var (p, opt) = Setup();
        var log = new List<string>();
        opt.RegisterStepPreHook(_ => log.Add("pre"));
        opt.RegisterStepPostHook(_ => log.Add("post"));
        opt.Step(() =>
        {
            log.Add("closure");
            opt.ZeroGrad();
            var loss = (p * p).Sum();
            loss.Backward();
            return loss;
        });
        Assert.Equal(["pre", "closure", "post"], log);
    }

    [Fact]
    public void LbfgsRunsItsStepHooksAroundTheWholeStep()
    {
        var p = Tensor.FromArray(new[] { 1.0, 2.0 }, [2], requiresGrad: true);
        var opt = new LBFGS([p], new LBFGSOptions { MaxIter = 3 });
        var log = new List<string>();
        opt.RegisterStepPreHook(_ => log.Add("pre"));
        opt.RegisterStepPostHook(_ => log.Add("post"));
        opt.Step(() => { log.Add("eval"); opt.ZeroGrad(); var l = (p * p).Sum(); l.Backward(); return l; });
        Assert.Equal("pre", log[0]);
        Assert.Equal("post", log[^1]);
        Assert.True(log.Count(e => e == "eval") >= 2);
    }

    [Fact]
    public void APreHookCanChangeTheGradientBeforeTheUpdate()
    {
        var (p, opt) = Setup();
        using var handle = opt.RegisterStepPreHook(o => { foreach (var q in o.Parameters()) q.Grad = q.Grad! * 0.0; });
        p.Grad = Tensor.FromArray(new[] { 1.0, 1.0 }, [2]);
        opt.Step();
        Assert.Equal([1.0, 2.0], p.ToDoubleArray());
    }

    [Fact]
    public void DisposingTheHandleRemovesOnlyThatRegistration()
    {
        var (p, opt) = Setup();
        int calls = 0;
        Action<Optimizer> hook = _ => calls++;
        var first = opt.RegisterStepPostHook(hook);
        opt.RegisterStepPostHook(hook);
        p.Grad = Tensor.FromArray(new[] { 1.0, 1.0 }, [2]);
        opt.Step();
        Assert.Equal(2, calls);
        first.Dispose();
        first.Dispose();
        opt.Step();
        Assert.Equal(3, calls);
    }

    [Fact]
    public void AHookMayRemoveItselfWhileTheHooksRun()
    {
        var (p, opt) = Setup();
        var log = new List<string>();
        HookHandle? self = null;
        self = opt.RegisterStepPreHook(_ => { log.Add("once"); self!.Remove(); });
        opt.RegisterStepPreHook(_ => log.Add("always"));
        p.Grad = Tensor.FromArray(new[] { 1.0, 1.0 }, [2]);
        opt.Step();
        opt.Step();
        Assert.Equal(["once", "always", "always"], log);
    }

    [Fact]
    public void StateDictHooksSeeAndMayReplaceTheDict()
    {
        var (p, opt) = Setup();
        var log = new List<string>();
        opt.RegisterStateDictPreHook(_ => log.Add("pre"));
        opt.RegisterStateDictPostHook((_, d) => { d.ParamGroups[0].Hyperparameters["note"] = "tagged"; return null; });
        opt.RegisterStateDictPostHook((_, d) => { log.Add($"post sees {d.ParamGroups[0].Hyperparameters["note"]}"); return d; }, prepend: false);
        var dict = opt.StateDict();
        Assert.Equal(["pre", "post sees tagged"], log);
        Assert.Equal("tagged", dict.ParamGroups[0].Hyperparameters["note"]);
    }

    [Fact]
    public void PrependedHooksRunFirst()
    {
        var (_, opt) = Setup();
        var log = new List<string>();
        opt.RegisterStateDictPreHook(_ => log.Add("second"));
        opt.RegisterStateDictPreHook(_ => log.Add("first"), prepend: true);
        opt.StateDict();
        Assert.Equal(["first", "second"], log);
    }

    [Fact]
    public void ALoadPreHookCanMigrateAnOldDictBeforeItIsChecked()
    {
        var (p, opt) = Setup();
        var saved = opt.StateDict();
        saved.ParamGroups[0].Hyperparameters["learning_rate"] = 0.5; // an old name the optimizer does not know
        saved.ParamGroups[0].Hyperparameters.Remove("lr");
        Assert.Throws<ArgumentException>(() => opt.LoadStateDict(saved));

        var log = new List<string>();
        opt.RegisterLoadStateDictPreHook((_, d) =>
        {
            var h = d.ParamGroups[0].Hyperparameters;
            h["lr"] = h["learning_rate"];
            h.Remove("learning_rate");
            return null;
        });
        opt.RegisterLoadStateDictPostHook(o => log.Add($"loaded lr {o.ParamGroups[0].Lr}"));
        opt.LoadStateDict(saved);
        Assert.Equal(0.5, opt.ParamGroups[0].Lr);
        Assert.Equal(["loaded lr 0.5"], log);
    }

    [Fact]
    public void NullHooksAreRejected()
    {
        var (_, opt) = Setup();
        Assert.Equal("hook", Assert.Throws<ArgumentNullException>(() => opt.RegisterStepPreHook(null!)).ParamName);
        Assert.Equal("hook", Assert.Throws<ArgumentNullException>(() => opt.RegisterLoadStateDictPreHook(null!)).ParamName);
    }
}
