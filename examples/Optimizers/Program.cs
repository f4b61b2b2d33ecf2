// Every optimizer of the tutorial on two classic landscapes, each run from the landscape's recommended start:
// Rosenbrock's curved banana valley and an ill-conditioned quadratic bowl (curvatures 1 and 100, a long narrow
// ravine). For each run: how many iterations it took to get within a tolerance of the minimum value, and where it
// ended. Pass a tolerance and an iteration budget to change them: dotnet run --project examples/Optimizers -- 1e-8 50000
using System.Globalization;
using Descent;
using Descent.Functions;
using Descent.Optim;

double tolerance = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1e-6;
int budget = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000;

// The tutorial's order: plain gradient descent, then momentum, then per-coordinate adaptive rates, then Adam.
(string Name, string Settings, Func<Tensor, Optimizer> Create)[] optimizers =
[
    ("GD", "lr 0.001", x => new SGD([x], lr: 1e-3)),
    ("Momentum", "lr 0.001, momentum 0.9", x => new Momentum([x], lr: 1e-3, momentum: 0.9)),
    ("Nesterov", "lr 0.001, momentum 0.9", x => new Nesterov([x], lr: 1e-3, momentum: 0.9)),
    ("Adagrad", "lr 0.5", x => new Adagrad([x], lr: 0.5)),
    ("Adadelta", "lr 1, rho 0.9", x => new Adadelta([x], lr: 1.0, rho: 0.9)),
    ("RMSprop", "lr 0.001, alpha 0.99", x => new RMSprop([x], lr: 1e-3)),
    ("Adam", "lr 0.01, betas (0.9, 0.999)", x => new Adam([x], lr: 1e-2)),
];

foreach (var function in new[] { TestFunctions.Rosenbrock(), TestFunctions.IllConditionedQuadratic(conditionNumber: 100) })
{
    double fStar = function.MinimumValue!.Value;
    Console.WriteLine($"{function.Name}: f = {function.Formula}; start ({Format(function.Start)}), minimum {Format(fStar)} at ({Format(function.GlobalMinima[0])})");
    Console.WriteLine($"iterations until f − f* < {Format(tolerance)} (budget {budget})");
    Console.WriteLine();
    Console.WriteLine($"{"optimizer",-10} {"hyperparameters",-28} {"iterations",10} {"final f",12}  final point");
    Console.WriteLine(new string('-', 90));
    foreach (var (name, settings, create) in optimizers)
    {
        var stop = new StoppingCriteria { MaxIterations = budget, StopWhen = i => i.Loss - fStar < tolerance };
        var result = Minimizer.Minimize(function, create, stop);
        string iterations = result.StopReason switch
        {
            StopReason.Custom => result.Iterations.ToString(CultureInfo.InvariantCulture),
            StopReason.Diverged => "diverged",
            _ => "not reached",
        };
        Console.WriteLine($"{name,-10} {settings,-28} {iterations,10} {Format(result.Loss),12}  ({Format(result.Point)})");
    }
    Console.WriteLine();
}

Console.WriteLine("""
    Reading the tables: momentum (plain or Nesterov) builds speed along the valley floor that plain GD crawls; Adagrad
    divides each coordinate's step by its accumulated gradient size, which equalises the two curvatures of the quadratic;
    RMSprop and Adam take steps of roughly lr in each coordinate whatever the gradient's size, so a fixed lr leaves
    RMSprop hovering about lr away from the minimum (Adam's momentum averages the hovering out); Adadelta's steps start
    at about √eps and grow slowly, so it needs far more iterations than this budget.
    """);

static string Format(params double[] values) => string.Join(", ", values.Select(v => v.ToString("G6", CultureInfo.InvariantCulture)));
