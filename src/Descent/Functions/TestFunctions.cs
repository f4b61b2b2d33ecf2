namespace Descent.Functions;

/// <summary>
/// The classic test functions of optimisation, by factory (<c>TestFunctions.Rosenbrock()</c>) or by name
/// (<c>TestFunctions.ByName("rosenbrock")</c>). Each is a <see cref="TestFunction"/>: value on tensors, closed-form
/// gradient, recommended start, plotting box and known minima.
/// </summary>
public static partial class TestFunctions
{
    // Names in the tutorial's order of difficulty; each maps to a factory with default arguments.
    private static readonly (string Name, Func<TestFunction> Create)[] Registry =
    [
        ("sphere", () => Sphere()),
        ("square", () => Sphere(1)),
        ("ill-conditioned-quadratic", () => IllConditionedQuadratic()),
        ("booth", Booth),
        ("matyas", Matyas),
        ("rosenbrock", Rosenbrock),
        ("beale", Beale),
        ("himmelblau", Himmelblau),
        ("three-hump-camel", ThreeHumpCamel),
        ("six-hump-camel", SixHumpCamel),
        ("goldstein-price", GoldsteinPrice),
        ("styblinski-tang", () => StyblinskiTang()),
        ("rastrigin", () => Rastrigin()),
        ("ackley", () => Ackley()),
        ("saddle", Saddle),
        ("monkey-saddle", MonkeySaddle),
    ];

    private static readonly Dictionary<string, string> Aliases = new()
    {
        ["quadratic"] = "ill-conditioned-quadratic",
        ["banana"] = "rosenbrock",
        ["camel"] = "six-hump-camel",
    };

    /// <summary>Every registered name, in the order of <see cref="All"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = Registry.Select(r => r.Name).ToArray();

    /// <summary>A fresh instance of every registered function (two-variable forms where the dimension is free).</summary>
    public static IReadOnlyList<TestFunction> All() => Registry.Select(r => r.Create()).ToArray();

    /// <summary>
    /// The function registered under <paramref name="name"/>; case, spaces, underscores and hyphens are ignored
    /// ("Six_Hump camel" finds "six-hump-camel"). Throws an <see cref="ArgumentException"/> that suggests the closest
    /// name when there is no such function.
    /// </summary>
    public static TestFunction ByName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = Normalize(name);
        if (Aliases.TryGetValue(key, out var target)) key = target;
        foreach (var (n, create) in Registry)
            if (Normalize(n) == Normalize(key)) return create();
        string? closest = NameMatching.Suggest(name, Names.Concat(Aliases.Keys));
        string hint = closest is null ? "" : $"did you mean '{closest}'? ";
        throw new ArgumentException($"unknown test function '{name}'; {hint}known functions: {string.Join(", ", Names)}", nameof(name));
    }

    private static string Normalize(string s) => NameMatching.Normalize(s);
}
