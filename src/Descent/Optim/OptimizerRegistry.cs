namespace Descent.Optim;

/// <summary>
/// Every optimizer, in the tutorial's order: one entry each, from which the command line, the lab, the benchmarks, the
/// colours and the generic tests read all they need. Adding an optimizer is its file plus one entry here (see
/// docs/adding-an-optimizer.md).
/// </summary>
public static class OptimizerRegistry
{
    private const string Range01 = "must be in [0, 1)";

    /// <summary>The entries, in the tutorial's order.</summary>
    public static IReadOnlyList<OptimizerInfo> All { get; } =
    [
        Entry("gd", "Gradient descent", typeof(SGD), "SGD", "#222222", 12, new SGDOptions(lr: 0.01), null,
            (g, o) => new SGD(g, o),
            valid: [o => o, o => o with { WeightDecay = 1e-3, Maximize = true }],
            invalid: [(o => o with { Lr = -1 }, "lr", "lr must be >= 0 and finite, got -1"), (o => o with { Lr = double.NaN }, "lr", "NaN"),
                (o => o with { Momentum = -0.5 }, "momentum", "-0.5"), (o => o with { WeightDecay = -1e-4 }, "weightDecay", "-0.0001"),
                (o => o with { Nesterov = true }, "nesterov", "momentum=0"),
                (o => o with { Momentum = 0.9, Dampening = 0.1, Nesterov = true }, "nesterov", "dampening=0.1")]),
        Entry("momentum", "Momentum", typeof(Momentum), null, "#1F77B4", 20, new SGDOptions(lr: 0.01), o => o with { Momentum = 0.9 },
            (g, o) => new Momentum(g, o),
            valid: [o => o with { Dampening = 0.1, WeightDecay = 1e-3 }, o => o with { Dampening = 0.2, WeightDecay = 0.01, Maximize = true }],
            invalid: [(o => o with { Dampening = double.PositiveInfinity }, "dampening", "dampening must be finite"),
                (o => o with { Momentum = 0 }, "momentum", "momentum must be > 0 and finite, got 0")]),
        Entry("nesterov", "Nesterov momentum (NAG)", typeof(Nesterov), null, "#17BECF", 20, new SGDOptions(lr: 0.01), o => o with { Momentum = 0.9, Nesterov = true },
            (g, o) => new Nesterov(g, o),
            valid: [o => o with { WeightDecay = 1e-4, Maximize = true }, o => o with { Momentum = 0.8, WeightDecay = 0.01 }],
            invalid: [(o => o with { Momentum = 0 }, "momentum", "momentum must be > 0 and finite, got 0"),
                (o => o with { Dampening = 0.5 }, "nesterov", "dampening = 0")]),
        Entry("adagrad", "Adagrad", typeof(Adagrad), "Adagrad", "#2CA02C", 20, new AdagradOptions(), null,
            (g, o) => new Adagrad(g, o),
            valid: [o => o with { Lr = 0.1, LrDecay = 0.01, WeightDecay = 0.01, InitialAccumulatorValue = 0.1 }, o => o with { Eps = 1e-6, Maximize = true }],
            invalid: [(o => o with { LrDecay = -1 }, "lrDecay", "-1"), (o => o with { InitialAccumulatorValue = -0.1 }, "initialAccumulatorValue", "-0.1"),
                (o => o with { Eps = -1e-10 }, "eps", "-1E-10")]),
        Entry("adadelta", "Adadelta", typeof(Adadelta), "Adadelta", "#8C564B", 28, new AdadeltaOptions(), null,
            (g, o) => new Adadelta(g, o),
            valid: [o => o with { Lr = 0.5, Rho = 0.95, WeightDecay = 0.01 }, o => o with { Lr = 0.7, Rho = 0.85, Eps = 1e-5, Maximize = true }],
            invalid: [(o => o with { Rho = 1 }, "rho", "rho " + Range01 + ", got 1"), (o => o with { Rho = -0.1 }, "rho", "-0.1"),
                (o => o with { WeightDecay = -2 }, "weightDecay", "-2")]),
        Entry("rmsprop", "RMSprop", typeof(RMSprop), "RMSprop", "#FF7F0E", 20, new RMSpropOptions(), null,
            (g, o) => new RMSprop(g, o),
            valid: [o => o with { Alpha = 0.9, WeightDecay = 0.01, Momentum = 0.9, Centered = true }, o => o with { Eps = 1e-6, Centered = true },
                o => o with { Momentum = 0.7, Maximize = true }],
            invalid: [(o => o with { Alpha = 1.5 }, "alpha", "alpha must be in [0, 1], got 1.5"), (o => o with { Momentum = -0.9 }, "momentum", "-0.9"),
                (o => o with { Eps = -1 }, "eps", "-1")]),
        Entry("adam", "Adam", typeof(Adam), "Adam", "#D62728", 28, new AdamOptions(), null,
            (g, o) => new Adam(g, o),
            valid: [o => o with { Lr = 0.01, WeightDecay = 0.01, AmsGrad = true }, o => o with { Betas = (0.8, 0.95), Eps = 1e-6, Maximize = true },
                o => o with { WeightDecay = 0.1, DecoupledWeightDecay = true }],
            invalid: [(o => o with { Lr = -0.001 }, "lr", "-0.001"), (o => o with { Betas = (1.0, 0.999) }, "betas", "betas[0] " + Range01 + ", got 1"),
                (o => o with { Betas = (0.9, -0.1) }, "betas", "betas[1]"), (o => o with { Eps = -1e-8 }, "eps", "-1E-08"),
                (o => o with { WeightDecay = -0.01 }, "weightDecay", "-0.01")]),
        Entry("adamw", "AdamW", typeof(AdamW), "AdamW", "#E377C2", 28, new AdamWOptions(), null,
            (g, o) => new AdamW(g, o),
            valid: [o => o with { Lr = 0.01, Betas = (0.8, 0.99) }, o => o with { WeightDecay = 0.1, AmsGrad = true, Maximize = true }],
            invalid: [(o => o with { Betas = (0.9, 1.0) }, "betas", "betas[1]"), (o => o with { DecoupledWeightDecay = false }, "decoupledWeightDecay", "always decoupled")]),
        Entry("adamax", "Adamax", typeof(Adamax), "Adamax", "#637939", 28, new AdamaxOptions(), null,
            (g, o) => new Adamax(g, o),
            valid: [o => o with { Lr = 0.02, WeightDecay = 0.01 }, o => o with { Betas = (0.7, 0.9), Eps = 1e-4, Maximize = true }],
            invalid: [(o => o with { Betas = (1.1, 0.999) }, "betas", "1.1")]),
        Entry("nadam", "NAdam", typeof(NAdam), "NAdam", "#9467BD", 28, new NAdamOptions(), null,
            (g, o) => new NAdam(g, o),
            valid: [o => o with { Lr = 0.02, WeightDecay = 0.01 }, o => o with { Betas = (0.7, 0.9), Eps = 1e-4, MomentumDecay = 0.01, WeightDecay = 0.1, DecoupledWeightDecay = true }],
            invalid: [(o => o with { MomentumDecay = -0.004 }, "momentumDecay", "-0.004")]),
        Entry("radam", "RAdam", typeof(RAdam), "RAdam", "#BCBD22", 28, new RAdamOptions(), null,
            (g, o) => new RAdam(g, o),
            valid: [o => o with { Lr = 0.01, WeightDecay = 0.01 }, o => o with { Betas = (0.7, 0.9), Eps = 1e-4, WeightDecay = 0.1, DecoupledWeightDecay = true }],
            invalid: [(o => o with { Eps = -1 }, "eps", "-1")]),
        Entry("rprop", "Rprop", typeof(Rprop), "Rprop", "#843C39", 28, new RpropOptions(), null,
            (g, o) => new Rprop(g, o),
            valid: [o => o, o => o with { Lr = 0.02, Etas = (0.4, 1.3), StepSizes = (1e-3, 0.05), Maximize = true }],
            invalid: [(o => o with { Etas = (1.5, 1.2) }, "etas", "1.5"), (o => o with { Etas = (0.5, 0.9) }, "etas", "0.9"),
                (o => o with { StepSizes = (1, 0.1) }, "stepSizes", "0.1")]),
        Entry("lbfgs", "L-BFGS", typeof(LBFGS), "LBFGS", "#7A0177", 0, new LBFGSOptions(), o => o with { LineSearch = LineSearch.StrongWolfe },
            (g, o) => g.Count == 1 ? new LBFGS(g[0].Parameters, g[0].Configure is { } c ? c(o) : o)
                : throw new ArgumentException($"LBFGS doesn't support parameter groups (there can be only one), got {g.Count}", "groups"),
            valid: [o => o, o => o with { LineSearch = LineSearch.None, HistorySize = 5, MaxIter = 5, MaxEval = 8 }],
            invalid: [(o => o with { MaxIter = 0 }, "maxIter", "maxIter must be >= 1, got 0"), (o => o with { HistorySize = 0 }, "historySize", "0"),
                (o => o with { LineSearch = (LineSearch)7 }, "lineSearch", "7"), (o => o with { ToleranceGrad = -1 }, "toleranceGrad", "-1")],
            choosesStepLength: true),
        Entry("asgd", "ASGD (averaged SGD)", typeof(ASGD), "ASGD", "#6B6ECF", 20, new ASGDOptions(), null,
            (g, o) => new ASGD(g, o),
            valid: [o => o with { Lambd = 1e-3, T0 = 2, WeightDecay = 0.01 }, o => o with { Lr = 0.05, Alpha = 0.5, T0 = 0, Maximize = true }],
            invalid: [(o => o with { Lambd = -1e-4 }, "lambd", "lambd must be >= 0 and finite, got -0.0001"), (o => o with { Alpha = -1 }, "alpha", "-1"),
                (o => o with { T0 = double.NaN }, "t0", "NaN"), (o => o with { WeightDecay = -0.01 }, "weightDecay", "-0.01")]),
        Entry("lion", "Lion", typeof(Lion), "Lion", "#F2B701", 20, new LionOptions(), null,
            (g, o) => new Lion(g, o),
            valid: [o => o with { WeightDecay = 0.1 }, o => o with { Lr = 1e-3, Betas = (0.95, 0.98), WeightDecay = 0.01, Maximize = true }],
            invalid: [(o => o with { Betas = (0.9, 1.0) }, "betas", "betas[1] " + Range01 + ", got 1"), (o => o with { Betas = (-0.1, 0.99) }, "betas", "betas[0]"),
                (o => o with { WeightDecay = -0.1 }, "weightDecay", "-0.1"), (o => o with { Lr = double.PositiveInfinity }, "lr", "lr must be >= 0 and finite")]),
        // Built for row-sparse gradients (Embedding(sparse: true)); a dense gradient counts as every row touched.
        Entry("sparseadam", "SparseAdam", typeof(SparseAdam), "SparseAdam", "#00A087", 28, new SparseAdamOptions(), null,
            (g, o) => new SparseAdam(g, o),
            valid: [o => o with { Lr = 0.01 }, o => o with { Betas = (0.8, 0.95), Eps = 1e-6, Maximize = true }],
            invalid: [(o => o with { Eps = 0 }, "eps", "eps must be > 0 for SparseAdam, got 0"), (o => o with { Betas = (0.9, 1.0) }, "betas", "betas[1]"),
                (o => o with { Lr = -0.001 }, "lr", "-0.001")]),
        Entry("adafactor", "Adafactor", typeof(Adafactor), "Adafactor", "#08519C", 0, new AdafactorOptions(), null,
            (g, o) => new Adafactor(g, o),
            valid: [o => o with { WeightDecay = 0.01, D = 2 }, o => o with { Lr = 0.05, Beta2Decay = -0.5, Eps = (1e-30, 0.1), Maximize = true }],
            invalid: [(o => o with { Beta2Decay = 0.5 }, "beta2Decay", "beta2Decay must be <= 0, got 0.5"), (o => o with { D = 0.5 }, "d", "d must be >= 1, got 0.5"),
                (o => o with { Eps = (-1, 1e-3) }, "eps", "eps[0] must be >= 0 and finite, got -1"), (o => o with { Eps = (null, double.NaN) }, "eps", "eps[1]")]),
        // Muon updates matrices; the entry builds MuonWithAdamW, so that a model's other tensors get AdamW.
        Entry("muon", "Muon", typeof(Muon), "Muon", "#E7298A", 0, new MuonOptions(), null,
            (g, o) => new MuonWithAdamW(g, o),
            valid: [o => o with { Lr = 0.02, Nesterov = false }, o => o with { Momentum = 0.8, NsSteps = 3, WeightDecay = 0, AdjustLrFn = MuonLrAdjustment.MatchRmsAdamw }],
            invalid: [(o => o with { Momentum = 1.5 }, "momentum", "momentum must be in [0, 1], got 1.5"), (o => o with { NsSteps = 100 }, "nsSteps", "nsSteps must be in [0, 100), got 100"),
                (o => o with { NsCoefficients = (3.4445, double.NaN, 2.0315) }, "nsCoefficients", "nsCoefficients[1] must be finite"),
                (o => o with { AdjustLrFn = (MuonLrAdjustment)9 }, "adjustLrFn", "9"), (o => o with { Eps = -1e-7 }, "eps", "-1E-07")],
            matricesOnly: true),
        // Schedule-free: the parameters hold y while training; Eval() puts the average x in them (ITrainEvalOptimizer).
        Entry("sfadamw", "Schedule-free AdamW", typeof(ScheduleFreeAdamW), null, "#A6761D", 28, new ScheduleFreeAdamWOptions(), null,
            (g, o) => new ScheduleFreeAdamW(g, o),
            valid: [o => o with { WarmupSteps = 5, WeightDecay = 0.01, R = 0.5 }, o => o with { Lr = 0.01, Betas = (0.6, 0.99), Eps = 1e-6, WeightLrPower = 1, WarmupSteps = 2 },
                o => o with { R = 2, WeightLrPower = 0, WeightDecay = 0.1 }],
            invalid: [(o => o with { Betas = (0, 0.999) }, "betas", "betas[0] must be in (0, 1) for schedule-free AdamW, got 0"), (o => o with { Betas = (0.9, 1.0) }, "betas", "betas[1]"),
                (o => o with { WarmupSteps = -1 }, "warmupSteps", "warmupSteps must be >= 0, got -1"), (o => o with { R = -1 }, "r", "r must be >= 0 and finite, got -1"),
                (o => o with { WeightLrPower = double.NaN }, "weightLrPower", "NaN"), (o => o with { Eps = -1e-8 }, "eps", "-1E-08")]),
        Entry("sfsgd", "Schedule-free SGD", typeof(ScheduleFreeSGD), null, "#1B7837", 20, new ScheduleFreeSGDOptions(), null,
            (g, o) => new ScheduleFreeSGD(g, o),
            valid: [o => o with { Lr = 0.1, WarmupSteps = 5, WeightDecay = 0.01, R = 0.5 }, o => o with { Lr = 0.5, Momentum = 0.5, R = 1, WeightLrPower = 0, WarmupSteps = 1 }],
            invalid: [(o => o with { Momentum = 0 }, "momentum", "momentum must be in (0, 1) for schedule-free SGD, got 0"), (o => o with { Momentum = 1 }, "momentum", "momentum must be in [0, 1), got 1"),
                (o => o with { WarmupSteps = -3 }, "warmupSteps", "-3"), (o => o with { WeightDecay = -0.1 }, "weightDecay", "-0.1"),
                (o => o with { WeightLrPower = double.PositiveInfinity }, "weightLrPower", "weightLrPower must be >= 0 and finite")]),
        // LAMB and LARS as timm's Lamb and Lars; not elementwise (two norms per tensor), so 0 bytes per parameter.
        Entry("lamb", "LAMB", typeof(Lamb), null, "#6A3D9A", 0, new LambOptions(), null,
            (g, o) => new Lamb(g, o),
            valid: [o => o, o => o with { Lr = 0.01, WeightDecay = 0.1, TrustClip = true, MaxGradNorm = null },
                o => o with { WeightDecay = 0, AlwaysAdapt = true, BiasCorrection = false, GradAveraging = false, MaxGradNorm = 0.5 },
                o => o with { Betas = (0.8, 0.95), Eps = 1e-4, WeightDecay = 0.05, DecoupledDecay = true, CorrectedWeightDecay = true }],
            invalid: [(o => o with { MaxGradNorm = 0 }, "maxGradNorm", "maxGradNorm must be > 0 and finite, got 0"),
                (o => o with { MaxGradNorm = -1 }, "maxGradNorm", "-1"), (o => o with { Betas = (0.9, 1.0) }, "betas", "betas[1] " + Range01 + ", got 1"),
                (o => o with { Eps = -1e-6 }, "eps", "-1E-06"), (o => o with { WeightDecay = -0.01 }, "weightDecay", "-0.01")]),
        // The preset turns the trust ratio on (timm's defaults, λ = 0 and alwaysAdapt off, are plain SGD).
        Entry("lars", "LARS", typeof(Lars), null, "#B15928", 0, new LarsOptions(), o => o with { Momentum = 0.9, WeightDecay = 1e-4 },
            (g, o) => new Lars(g, o),
            valid: [o => o, o => o with { Lr = 0.5, Nesterov = true, WeightDecay = 0, AlwaysAdapt = true, TrustClip = true },
                o => o with { Momentum = 0.8, Dampening = 0.1, WeightDecay = 5e-4, TrustCoeff = 0.02, Eps = 1e-6, TrustClip = true },
                o => o with { Momentum = 0, WeightDecay = 0.01 }],
            invalid: [(o => o with { Momentum = 0, Nesterov = true }, "nesterov", "momentum > 0 and dampening = 0"),
                (o => o with { Dampening = 0.5, Nesterov = true }, "nesterov", "dampening=0.5"),
                (o => o with { TrustCoeff = 0 }, "trustCoeff", "trustCoeff must be > 0 and finite, got 0"), (o => o with { Momentum = -0.9 }, "momentum", "-0.9"),
                (o => o with { Eps = -1 }, "eps", "-1"), (o => o with { WeightDecay = -1e-4 }, "weightDecay", "-0.0001")]),
        // Wrappers: each builds its base entry (its preset, at the wrapper's lr) and wraps it; --base names another.
        Entry("lookahead", "Lookahead", typeof(Lookahead), null, "#4B7F52", 0, new LookaheadOptions(), null,
            (g, o) => Lookahead.FromRegistry(g, o),
            valid: [o => o with { K = 2, Alpha = 0.8 }, o => o with { Base = "momentum", Lr = 0.01, K = 3 }, o => o with { Base = "adafactor", Lr = 0.01, K = 1, Alpha = 0.3 }],
            invalid: [(o => o with { K = 0 }, "k", "k must be >= 1, got 0"), (o => o with { Alpha = 1.5 }, "alpha", "alpha must be in [0, 1], got 1.5"),
                (o => o with { Base = "adamm" }, "base", "base must name an optimizer"), (o => o with { Base = null }, "base", "needs a base optimizer"),
                (o => o with { Lr = -1 }, "lr", "lr must be >= 0 and finite, got -1")]),
        Entry("sam", "SAM (sharpness-aware minimisation)", typeof(SAM), null, "#FB9A99", 0, new SAMOptions(), null,
            (g, o) => SAM.FromRegistry(g, o),
            valid: [o => o, o => o with { Base = "adam", Lr = 1e-3, Rho = 0.1, Adaptive = true }],
            invalid: [(o => o with { Rho = -0.05 }, "rho", "rho must be >= 0 and finite, got -0.05"), (o => o with { Rho = double.NaN }, "rho", "NaN"),
                (o => o with { Base = "lbfgs" }, "base", "must be first-order; LBFGS needs a closure"), (o => o with { Base = "frobnicate" }, "base", "base must name an optimizer")]),
        // No learning rate to tune: lr multiplies the step size it estimates. Two passes per step (the estimate needs every
        // tensor's sums first), so no single fused pass to count bytes for.
        Entry("prodigy", "Prodigy", typeof(Prodigy), null, "#01665E", 0, new ProdigyOptions(), null,
            (g, o) => new Prodigy(g, o),
            valid: [o => o, o => o with { WeightDecay = 0.01, Decouple = false, UseBiasCorrection = true, SafeguardWarmup = true, GrowthRate = 1.02, Beta3 = 0.95 },
                o => o with { Lr = 0.5, Betas = (0, 0.99), WeightDecay = 0.1, SliceP = 3, DCoef = 0.5, D0 = 1e-4, Eps = 1e-6 }],
            invalid: [(o => o with { D0 = 0 }, "d0", "d0 must be > 0 and finite, got 0"), (o => o with { Eps = 0 }, "eps", "eps must be > 0"),
                (o => o with { GrowthRate = -1 }, "growthRate", "growthRate must be > 0 and finite, got -1"), (o => o with { SliceP = 0 }, "sliceP", "sliceP must be >= 1, got 0"),
                (o => o with { Beta3 = 1.5 }, "beta3", "beta3 must be in [0, 1], got 1.5"), (o => o with { Betas = (0.9, 1.0) }, "betas", "betas[1]"),
                (o => o with { DCoef = double.NaN }, "dCoef", "NaN")]),
    ];

    private static readonly Dictionary<string, OptimizerInfo> ByName = All.ToDictionary(e => e.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The entry named <paramref name="name"/> (case-insensitive), or null.</summary>
    public static OptimizerInfo? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ByName.GetValueOrDefault(name);
    }

    /// <summary>The entry whose defaults are those of PyTorch's class <paramref name="torchName"/> (<c>Adam</c>, <c>SGD</c>), or null.</summary>
    public static OptimizerInfo? ForTorchName(string torchName)
    {
        ArgumentNullException.ThrowIfNull(torchName);
        return All.FirstOrDefault(e => e.TorchName == torchName);
    }

    private static OptimizerInfo<TOptions> Entry<TOptions>(string name, string title, Type type, string? torchName, string color, int bytes,
        TOptions defaults, Func<TOptions, TOptions>? preset, Func<IReadOnlyList<ParamGroupSpec<TOptions>>, TOptions, Optimizer> create,
        Func<TOptions, TOptions>[] valid, (Func<TOptions, TOptions>, string, string)[] invalid, bool matricesOnly = false, bool choosesStepLength = false)
        where TOptions : OptimizerOptions =>
        new(name, title, type, torchName, color, bytes, defaults, preset, create, valid, invalid) { MatricesOnly = matricesOnly, ChoosesStepLength = choosesStepLength };
}
