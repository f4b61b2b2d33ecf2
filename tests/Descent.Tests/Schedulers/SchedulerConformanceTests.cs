using Descent.Optim.Schedulers;
using Descent.Tests.Conformance;

namespace Descent.Tests.Schedulers;

/// <summary>Every case of every schedulers-*.json: learning rates (and momenta) after each step equal PyTorch 1.13's.</summary>
public class SchedulerConformanceTests
{
    private const string Format = "scheduler-reference";

    public static TheoryData<string> CaseIds => ReferenceFiles.Ids("schedulers");

    [Theory, MemberData(nameof(CaseIds))]
    [Trait("Category", "Conformance")]
    public void MatchesPyTorch(string id)
    {
        var (c, file) = ReferenceFiles.Cases("schedulers")[id];
        var tolerance = Tolerance.FromFile(file);
        try
        {
            string name = c["scheduler"]!.GetValue<string>();
            int epochs = c["epochs"]!.GetValue<int>();
            var optimizer = ConformanceOptimizers.Create(c["optimizer"]!.GetValue<string>(), c["optimizer_hyperparameters"]!.AsObject(),
                ReferenceFiles.Doubles(c["group_lrs"]));
            var args = c["arguments"]?.AsObject();
            var expectedLr = c["expected_lr"]!.AsArray();
            var expectedMomentum = c["expected_momentum"]?.AsArray();

            Action<int> step;
            if (name == "ReduceLROnPlateau")
            {
                var plateau = SchedulerFactory.CreatePlateau(args, optimizer);
                var metrics = ReferenceFiles.Doubles(c["metrics"]);
                step = epoch => plateau.Step(metrics[epoch]);
            }
            else
            {
                var scheduler = SchedulerFactory.Create(name, args, optimizer);
                step = _ => scheduler.Step();
            }

            for (int k = 0; k <= epochs; k++)
            {
                if (k > 0)
                {
                    optimizer.Step();
                    step(k - 1);
                }
                tolerance.Check($"lr after {k} steps", optimizer.ParamGroups.Select(g => g.Lr).ToArray(), ReferenceFiles.Doubles(expectedLr[k]));
                if (expectedMomentum is not null)
                    tolerance.Check($"momentum after {k} steps", ConformanceOptimizers.Momenta(optimizer), ReferenceFiles.Doubles(expectedMomentum[k]));
            }
        }
        catch (Exception) when (Crashed(id))
        {
            throw;
        }
        ConformanceReport.Finish(Format, id, tolerance);
    }

    private static bool Crashed(string id)
    {
        ConformanceReport.Crashed(Format, id);
        return false;
    }
}
