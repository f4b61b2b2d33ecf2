using Descent.Optim;

namespace Descent.Cli.Catalog;

/// <summary>One hyperparameter as the command line names it, with its default.</summary>
internal sealed record Hyperparameter(string Name, double Default, string Help, bool IsFlag = false);

/// <summary>An optimizer the command line can build by name.</summary>
internal sealed record OptimizerEntry(string Name, string Summary, IReadOnlyList<Hyperparameter> Parameters,
    Func<IEnumerable<Tensor>, Func<string, double>, Optimizer> Create)
{
    /// <summary>Builds the optimizer; <paramref name="given"/> overrides defaults and may only name this optimizer's hyperparameters.</summary>
    public Optimizer Build(IEnumerable<Tensor> parameters, IReadOnlyDictionary<string, double> given)
    {
        foreach (var name in given.Keys)
            if (!Parameters.Any(p => p.Name == name))
                throw new UsageException($"--{name} does not apply to {Name}; it takes {string.Join(", ", Parameters.Select(p => "--" + p.Name))}");
        double Value(string name) => given.TryGetValue(name, out var v) ? v : Parameters.First(p => p.Name == name).Default;
        return Create(parameters, Value);
    }

    /// <summary>The learning rate this entry uses unless told otherwise.</summary>
    public double DefaultLr => Parameters.First(p => p.Name == "lr").Default;
}

/// <summary>The optimizers by name, in the tutorial's order.</summary>
internal static class OptimizerCatalog
{
    private static Hyperparameter Lr(double d) => new("lr", d, "learning rate α");
    private static readonly Hyperparameter WeightDecay = new("weight-decay", 0, "L2 penalty added to the gradient");
    private static readonly Hyperparameter Eps = new("eps", 1e-8, "term added to denominators for stability");
    private static readonly Hyperparameter Beta1 = new("beta1", 0.9, "decay of the first-moment average");
    private static readonly Hyperparameter Beta2 = new("beta2", 0.999, "decay of the second-moment average");

    public static IReadOnlyList<OptimizerEntry> All { get; } =
    [
        new("gd", "plain gradient descent θ ← θ − α∇J(θ) (SGD without momentum)", [Lr(0.01), WeightDecay],
            (p, v) => new SGD(p, lr: v("lr"), weightDecay: v("weight-decay"))),
        new("momentum", "SGD with heavy-ball momentum: v ← μv + g, θ ← θ − αv", [Lr(0.01), new("momentum", 0.9, "momentum μ"), new("dampening", 0, "dampening of the gradient in v"), WeightDecay],
            (p, v) => new SGD(p, lr: v("lr"), momentum: v("momentum"), dampening: v("dampening"), weightDecay: v("weight-decay"))),
        new("nesterov", "SGD with Nesterov momentum (NAG): the gradient is taken ahead, θ ← θ − α(g + μv)", [Lr(0.01), new("momentum", 0.9, "momentum μ"), WeightDecay],
            (p, v) => new SGD(p, lr: v("lr"), momentum: v("momentum"), weightDecay: v("weight-decay"), nesterov: true)),
        new("adagrad", "per-coordinate rates shrinking with the sum of squared gradients", [Lr(0.01), new("lr-decay", 0, "learning-rate decay"), WeightDecay, new("eps", 1e-10, "term added to the denominator")],
            (p, v) => new Adagrad(p, lr: v("lr"), lrDecay: v("lr-decay"), weightDecay: v("weight-decay"), eps: v("eps"))),
        new("adadelta", "Adagrad with decaying averages and unit-correct steps", [Lr(1.0), new("rho", 0.9, "decay of the running averages"), new("eps", 1e-6, "term added inside the square roots"), WeightDecay],
            (p, v) => new Adadelta(p, lr: v("lr"), rho: v("rho"), eps: v("eps"), weightDecay: v("weight-decay"))),
        new("rmsprop", "steps divided by a running RMS of the gradient", [Lr(0.01), new("alpha", 0.99, "smoothing of the squared-gradient average"), Eps, WeightDecay, new("momentum", 0, "momentum"), new("centered", 0, "normalise by the variance estimate (0 or 1)", true)],
            (p, v) => new RMSprop(p, lr: v("lr"), alpha: v("alpha"), eps: v("eps"), weightDecay: v("weight-decay"), momentum: v("momentum"), centered: v("centered") != 0)),
        new("adam", "momentum plus RMS scaling, with bias correction", [Lr(0.001), Beta1, Beta2, Eps, WeightDecay, new("amsgrad", 0, "use the maximum of past second moments (0 or 1)", true)],
            (p, v) => new Adam(p, lr: v("lr"), betas: (v("beta1"), v("beta2")), eps: v("eps"), weightDecay: v("weight-decay"), amsgrad: v("amsgrad") != 0)),
        new("adamw", "Adam with decoupled weight decay", [Lr(0.001), Beta1, Beta2, Eps, new("weight-decay", 0.01, "decoupled weight decay"), new("amsgrad", 0, "use the maximum of past second moments (0 or 1)", true)],
            (p, v) => new AdamW(p, lr: v("lr"), betas: (v("beta1"), v("beta2")), eps: v("eps"), weightDecay: v("weight-decay"), amsgrad: v("amsgrad") != 0)),
        new("adamax", "Adam with the infinity norm", [Lr(0.002), Beta1, Beta2, Eps, WeightDecay],
            (p, v) => new Adamax(p, lr: v("lr"), betas: (v("beta1"), v("beta2")), eps: v("eps"), weightDecay: v("weight-decay"))),
        new("nadam", "Adam with Nesterov momentum", [Lr(0.002), Beta1, Beta2, Eps, WeightDecay, new("momentum-decay", 0.004, "momentum decay ψ")],
            (p, v) => new NAdam(p, lr: v("lr"), betas: (v("beta1"), v("beta2")), eps: v("eps"), weightDecay: v("weight-decay"), momentumDecay: v("momentum-decay"))),
        new("radam", "Adam with a rectified warm-up of the adaptive rate", [Lr(0.001), Beta1, Beta2, Eps, WeightDecay],
            (p, v) => new RAdam(p, lr: v("lr"), betas: (v("beta1"), v("beta2")), eps: v("eps"), weightDecay: v("weight-decay"))),
        new("rprop", "sign-based steps that grow or shrink per coordinate", [Lr(0.01), new("eta-minus", 0.5, "shrink factor"), new("eta-plus", 1.2, "growth factor")],
            (p, v) => new Rprop(p, lr: v("lr"), etas: (v("eta-minus"), v("eta-plus")))),
        new("lbfgs", "quasi-Newton: a curvature model from recent steps, with a strong-Wolfe line search", [Lr(1.0), new("max-iter", 20, "inner iterations per step"), new("history-size", 100, "steps kept for the curvature model")],
            (p, v) => new LBFGS(p, lr: v("lr"), maxIter: (int)v("max-iter"), historySize: (int)v("history-size"), lineSearchFn: "strong_wolfe")),
    ];

    public static IReadOnlyDictionary<string, OptimizerEntry> ByName { get; } = All.ToDictionary(e => e.Name, StringComparer.OrdinalIgnoreCase);

    public static OptimizerEntry Find(string name) => Names.Resolve("optimizer", name, ByName);
}
