using System.Text.Json.Nodes;
using Descent.Optim;
using Descent.Optim.Schedulers;

namespace Descent.Tests.Schedulers;

/// <summary>Builds a scheduler from a reference case's PyTorch class name and snake_case arguments.</summary>
internal static class SchedulerFactory
{
    /// <summary>An epoch-based scheduler, or null for ReduceLROnPlateau (see <see cref="CreatePlateau"/>).</summary>
    public static LRScheduler Create(string name, JsonObject? arguments, Optimizer o)
    {
        var a = new Args(name, arguments);
        LRScheduler s = name switch
        {
            "StepLR" => new StepLR(o, a.Int("step_size"), gamma: a.Double("gamma", 0.1)),
            "MultiStepLR" => new MultiStepLR(o, a.Ints("milestones"), gamma: a.Double("gamma", 0.1)),
            "ConstantLR" => new ConstantLR(o, factor: a.Double("factor", 1.0 / 3), totalIters: a.Int("total_iters", 5)),
            "LinearLR" => new LinearLR(o, startFactor: a.Double("start_factor", 1.0 / 3), endFactor: a.Double("end_factor", 1.0),
                totalIters: a.Int("total_iters", 5)),
            "ExponentialLR" => new ExponentialLR(o, a.Double("gamma")),
            "PolynomialLR" => new PolynomialLR(o, totalIters: a.Int("total_iters", 5), power: a.Double("power", 1.0)),
            "CosineAnnealingLR" => new CosineAnnealingLR(o, a.Int("T_max"), etaMin: a.Double("eta_min", 0.0)),
            "CosineAnnealingWarmRestarts" => new CosineAnnealingWarmRestarts(o, a.Int("T_0"), tMult: a.Int("T_mult", 1),
                etaMin: a.Double("eta_min", 0.0)),
            "CyclicLR" => new CyclicLR(o, a.Group("base_lr")!.Value, a.Group("max_lr")!.Value,
                stepSizeUp: a.Double("step_size_up", 2000), stepSizeDown: a.NullableDouble("step_size_down"),
                mode: a.Enum("mode", CyclicMode.Triangular), gamma: a.Double("gamma", 1.0),
                scaleMode: a.Enum("scale_mode", CyclicScaleMode.Cycle), cycleMomentum: a.Bool("cycle_momentum", true),
                baseMomentum: a.Group("base_momentum"), maxMomentum: a.Group("max_momentum")),
            "OneCycleLR" => new OneCycleLR(o, a.Group("max_lr")!.Value, totalSteps: a.NullableInt("total_steps"),
                epochs: a.NullableInt("epochs"), stepsPerEpoch: a.NullableInt("steps_per_epoch"), pctStart: a.Double("pct_start", 0.3),
                annealStrategy: a.Enum("anneal_strategy", AnnealStrategy.Cos), cycleMomentum: a.Bool("cycle_momentum", true),
                baseMomentum: a.Group("base_momentum"), maxMomentum: a.Group("max_momentum"), divFactor: a.Double("div_factor", 25.0),
                finalDivFactor: a.Double("final_div_factor", 1e4), threePhase: a.Bool("three_phase", false)),
            "SWALR" => new SWALR(o, a.Group("swa_lr")!.Value, annealEpochs: a.Int("anneal_epochs", 10),
                annealStrategy: a.Enum("anneal_strategy", AnnealStrategy.Cos)),
            "SequentialLR" => new SequentialLR(o, a.Schedulers(o), a.Ints("milestones")),
            "ChainedScheduler" => new ChainedScheduler(a.Schedulers(o)),
            _ => throw new NotSupportedException($"scheduler {name} cannot be built from a reference case"),
        };
        a.CheckAllUsed();
        return s;
    }

    public static ReduceLROnPlateau CreatePlateau(JsonObject? arguments, Optimizer o)
    {
        var a = new Args("ReduceLROnPlateau", arguments);
        var s = new ReduceLROnPlateau(o, mode: a.Enum("mode", PlateauMode.Min), factor: a.Double("factor", 0.1),
            patience: a.Int("patience", 10), threshold: a.Double("threshold", 1e-4),
            thresholdMode: a.Enum("threshold_mode", ThresholdMode.Rel), cooldown: a.Int("cooldown", 0),
            minLr: a.Group("min_lr"), eps: a.Double("eps", 1e-8));
        a.CheckAllUsed();
        return s;
    }

    /// <summary>Reads arguments by PyTorch name, applies PyTorch's defaults, and rejects names it does not know.</summary>
    private sealed class Args(string scheduler, JsonObject? arguments)
    {
        private readonly JsonObject _args = arguments ?? [];
        private readonly HashSet<string> _used = ["verbose"];

        private JsonNode? Get(string key)
        {
            _used.Add(key);
            return _args.TryGetPropertyValue(key, out var v) ? v : null;
        }

        public double Double(string key) => Get(key)?.GetValue<double>() ?? throw new ArgumentException($"{scheduler} needs {key}");

        public double Double(string key, double fallback) => Get(key)?.GetValue<double>() ?? fallback;

        public double? NullableDouble(string key) => Get(key)?.GetValue<double>();

        public int Int(string key) => NullableInt(key) ?? throw new ArgumentException($"{scheduler} needs {key}");

        public int Int(string key, int fallback) => NullableInt(key) ?? fallback;

        /// <summary>An integer argument, also when Python wrote it as a float (30.0).</summary>
        public int? NullableInt(string key)
        {
            if (Get(key) is not { } node) return null;
            double v = node.GetValue<double>();
            return v == Math.Floor(v) ? (int)v : throw new NotSupportedException($"{scheduler}: {key} = {v} is not an integer");
        }

        public bool Bool(string key, bool fallback) => Get(key)?.GetValue<bool>() ?? fallback;

        public int[] Ints(string key) => Get(key)!.AsArray().Select(v => (int)v!.GetValue<double>()).ToArray();

        public GroupValues? Group(string key) => Get(key) switch
        {
            null => null,
            JsonArray list => list.Select(v => v!.GetValue<double>()).ToArray(),
            var v => v.GetValue<double>(),
        };

        /// <summary>PyTorch's string options ("exp_range", "abs", "cos") to the C# enums (ExpRange, Abs, Cos).</summary>
        public TEnum Enum<TEnum>(string key, TEnum fallback) where TEnum : struct, Enum
        {
            var text = Get(key)?.GetValue<string>();
            if (text is null) return fallback;
            return System.Enum.Parse<TEnum>(text.Replace("_", "", StringComparison.Ordinal), ignoreCase: true);
        }

        public LRScheduler[] Schedulers(Optimizer o) => Get("schedulers")!.AsArray()
            .Select(s => Create(s!["scheduler"]!.GetValue<string>(), s["arguments"]?.AsObject(), o)).ToArray();

        public void CheckAllUsed()
        {
            if (_args.TryGetPropertyValue("last_epoch", out var le) && le!.GetValue<int>() != -1)
                throw new NotSupportedException($"{scheduler}: last_epoch other than -1 is not supported");
            _used.Add("last_epoch");
            // A None (null) argument is PyTorch's default, e.g. scale_fn=None.
            var unknown = _args.Where(kv => !_used.Contains(kv.Key) && kv.Value is not null).Select(kv => kv.Key).ToList();
            if (unknown.Count > 0) throw new NotSupportedException($"{scheduler}: unknown argument(s) {string.Join(", ", unknown)}");
        }
    }
}
