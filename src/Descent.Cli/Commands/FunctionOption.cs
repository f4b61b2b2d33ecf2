using System.Globalization;
using Descent.Functions;

namespace Descent.Cli.Commands;

/// <summary>
/// The landscape a <c>--function</c> option names, with the start and the box to use.
/// </summary>
/// <param name="Function">The function; for an expression its <see cref="TestFunction.Start"/> and box are <paramref name="Start"/>, <paramref name="Lower"/> and <paramref name="Upper"/>.</param>
/// <param name="Start">Where to start: <c>--start</c>, else the built-in's own start, else (−1.5, 1.5).</param>
/// <param name="Lower">Lower corner of the box to plot in: from <c>--box</c>, else the function's own.</param>
/// <param name="Upper">Upper corner of the box to plot in.</param>
/// <param name="IsExpression">True for a formula given on the command line, false for a built-in test function.</param>
internal sealed record ChosenFunction(TestFunction Function, double[] Start, double[] Lower, double[] Upper, bool IsExpression);

/// <summary>
/// <c>--function</c>, <c>--start</c> and <c>--box</c>, shared by <c>minimize</c> and <c>lab</c>. <c>--function</c>
/// takes a built-in test function's name or, failing that, a formula in x and y: a name wins, so that every command
/// line written before formulas existed keeps its meaning, and no built-in name can be read as a formula anyway (each
/// would be an unknown variable).
/// </summary>
internal static class FunctionOption
{
    /// <summary>The name a formula's landscape goes by in tables, titles and chart file names (which it must suit).</summary>
    public const string CustomName = "custom";

    /// <summary>The start of a formula without <c>--start</c>.</summary>
    public static IReadOnlyList<double> DefaultStart { get; } = [-1.5, 1.5];

    /// <summary>The box of a formula without <c>--box</c>: xmin, xmax, ymin, ymax.</summary>
    public static IReadOnlyList<double> DefaultBox { get; } = [-2, 2, -2, 2];

    public static string FunctionHelp { get; } = "a test function (see 'descent functions') or a formula in x and y, e.g. \"x^2 + 10*y^2\" " +
                                                 $"(+ - * / ^, pi, e, {string.Join(" ", FunctionExpression.FunctionNames)})";

    public const string StartHelp = "starting point x,y, e.g. --start -1.5,2 (default: a test function's own, -1.5,1.5 for a formula)";

    public const string BoxHelp = "box xmin,xmax,ymin,ymax to draw (and, in the lab, to keep the paths in) (default: a test function's own, -2,2,-2,2 for a formula)";

    /// <summary>
    /// The function <paramref name="text"/> names or writes, with the start and the box from <paramref name="start"/>
    /// and <paramref name="box"/> (null: the defaults). Throws a <see cref="UsageException"/> naming the option, the
    /// text and the position of the mistake.
    /// </summary>
    public static ChosenFunction Resolve(string text, string? start = null, string? box = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return BuiltIn(text) is { } f ? ForBuiltIn(f, start, box) : ForFormula(text, start, box);
    }

    private static TestFunction? BuiltIn(string text)
    {
        try { return TestFunctions.ByName(text); }
        catch (ArgumentException) { return null; }
    }

    private static ChosenFunction ForBuiltIn(TestFunction f, string? start, string? box)
    {
        double[] x0 = start is null ? f.Start : ParsePoint(start, f.Dimension);
        if (box is null) return new ChosenFunction(f, x0, f.Lower, f.Upper, IsExpression: false);
        if (f.Dimension != 2) throw new UsageException($"--box needs a function of x and y; {f.Name} has {f.Dimension} dimension{(f.Dimension == 1 ? "" : "s")}");
        var (lower, upper) = ParseBox(box);
        CheckInside(x0, lower, upper);
        return new ChosenFunction(f, x0, lower, upper, IsExpression: false);
    }

    private static ChosenFunction ForFormula(string text, string? start, string? box)
    {
        Func<Tensor, Tensor> value;
        try { value = FunctionExpression.Compile(text, "--function"); }
        catch (UsageException e) when (LooksLikeAName(text) && NameMatching.Suggest(text, TestFunctions.Names) is { } closest)
        {
            // "rosenbrok" is more likely a misspelt name than a formula with an unknown variable.
            throw new UsageException($"{e.Message}; or did you mean the test function '{closest}'?");
        }
        double[] x0 = start is null ? [.. DefaultStart] : ParsePoint(start, 2);
        var (lower, upper) = box is null ? ([DefaultBox[0], DefaultBox[2]], [DefaultBox[1], DefaultBox[3]]) : ParseBox(box);
        CheckInside(x0, lower, upper);
        var f = TestFunction.Custom(CustomName, text.Trim(), value, x0, lower, upper);
        CheckFiniteAtStart(f, text, x0);
        return new ChosenFunction(f, x0, lower, upper, IsExpression: true);
    }

    private static bool LooksLikeAName(string text) => text.Trim().All(c => char.IsAsciiLetter(c) || c is '-' or '_' or ' ');

    private static void CheckFiniteAtStart(TestFunction f, string text, double[] x0)
    {
        string at = $"at the start ({Format(x0[0])}, {Format(x0[1])})";
        double value = f.Value(x0);
        if (!double.IsFinite(value))
            throw new UsageException($"--function '{text}': the value {at} is {Format(value)}: write a formula defined there, or choose another --start");
        double[] gradient = f.Gradient(x0);
        if (!gradient.All(double.IsFinite))
            throw new UsageException($"--function '{text}': the gradient {at} is ({Format(gradient[0])}, {Format(gradient[1])}): write a formula differentiable there, or choose another --start");
    }

    /// <summary>The comma-separated coordinates of <c>--start</c>, as many as <paramref name="dimension"/>.</summary>
    public static double[] ParsePoint(string text, int dimension)
    {
        var point = ParseNumbers("--start", text);
        if (point.Length != dimension) throw new UsageException($"--start needs {dimension} comma-separated number{(dimension == 1 ? "" : "s")}, got '{text}'");
        return point;
    }

    /// <summary>The box of <c>--box xmin,xmax,ymin,ymax</c>, as its lower and upper corners.</summary>
    public static (double[] Lower, double[] Upper) ParseBox(string text)
    {
        var b = ParseNumbers("--box", text);
        if (b.Length != 4) throw new UsageException($"--box needs 4 comma-separated numbers xmin,xmax,ymin,ymax, got '{text}'");
        if (!(b[0] < b[1])) throw new UsageException($"--box '{text}': xmin ({Format(b[0])}) must be below xmax ({Format(b[1])})");
        if (!(b[2] < b[3])) throw new UsageException($"--box '{text}': ymin ({Format(b[2])}) must be below ymax ({Format(b[3])})");
        // The lab draws the box widened by half its size on each side: that frame's width must be a finite number too.
        if (!double.IsFinite(2 * (b[1] - b[0])) || !double.IsFinite(2 * (b[3] - b[2])))
            throw new UsageException($"--box '{text}': the box is too wide to draw (its width overflows a double)");
        return ([b[0], b[2]], [b[1], b[3]]);
    }

    private static double[] ParseNumbers(string option, string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var numbers = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]) || !double.IsFinite(numbers[i]))
                throw new UsageException($"{option}: '{parts[i]}' (number {i + 1} of '{text}') is not a finite number");
        return numbers;
    }

    private static void CheckInside(double[] x0, double[] lower, double[] upper)
    {
        for (int i = 0; i < 2; i++)
            if (!(x0[i] >= lower[i] && x0[i] <= upper[i]))
                throw new UsageException($"--start ({Format(x0[0])}, {Format(x0[1])}) lies outside the box " +
                                         $"[{Format(lower[0])}, {Format(upper[0])}] × [{Format(lower[1])}, {Format(upper[1])}]: move it in or widen --box");
    }

    private static string Format(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
