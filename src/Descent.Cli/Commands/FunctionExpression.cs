using System.Globalization;
using NCalc;

namespace Descent.Cli.Commands;

/// <summary>
/// Turns a formula in x and y, such as <c>x^2 + 10*y^2</c>, into a function on tensors, so that autograd gives its
/// gradient. The text is tokenized and checked here (every error names its 1-based position), rewritten into NCalc's
/// syntax, parsed by NCalc into its expression tree, and that tree is walked into Descent tensor operations: NCalc's own
/// evaluator is never used.
/// </summary>
/// <remarks>
/// Why the text is rewritten before NCalc sees it: NCalc's <c>^</c> is a bitwise XOR that binds more loosely than
/// <c>+</c> (it reads <c>x^2 + 10*y^2</c> as <c>(x ^ (2 + 10*y)) ^ 2</c>), so every power becomes NCalc's <c>**</c>,
/// which binds as in mathematics (right-associative, tighter than unary minus: <c>-x**2</c> is <c>-(x**2)</c>); NCalc
/// rejects a unary plus, so it is dropped; a signed exponent (<c>x^-y</c>) is put in parentheses; and each number or
/// constant becomes a placeholder name whose value is kept here, so that NCalc's integer literals (Int32) never
/// overflow or divide as integers. NCalc's nodes carry no source position, hence all checks happen on the tokens.
/// </remarks>
internal static class FunctionExpression
{
    /// <summary>A function Descent tensors have, with its number of arguments.</summary>
    private sealed record TensorFunction(int Arity, Func<Tensor[], Tensor> Apply);

    private static readonly Dictionary<string, TensorFunction> Functions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["abs"] = new(1, a => a[0].Abs()),
        ["cos"] = new(1, a => a[0].Cos()),
        ["exp"] = new(1, a => a[0].Exp()),
        ["ln"] = new(1, a => a[0].Log()),
        ["log"] = new(1, a => a[0].Log()),
        ["max"] = new(2, a => a[0].Maximum(a[1])),
        ["min"] = new(2, a => a[0].Minimum(a[1])),
        ["pow"] = new(2, a => a[0].Pow(a[1])),
        ["relu"] = new(1, a => a[0].Relu()),
        ["sigmoid"] = new(1, a => a[0].Sigmoid()),
        ["sin"] = new(1, a => a[0].Sin()),
        ["softplus"] = new(1, a => a[0].Softplus()),
        ["sqrt"] = new(1, a => a[0].Sqrt()),
        ["tanh"] = new(1, a => a[0].Tanh()),
    };

    private static readonly Dictionary<string, double> Constants = new(StringComparer.OrdinalIgnoreCase)
    {
        ["pi"] = Math.PI,
        ["e"] = Math.E,
    };

    /// <summary>The functions a formula may call, in alphabetical order.</summary>
    public static IReadOnlyList<string> FunctionNames { get; } = Functions.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// The value of <paramref name="text"/> as a function of a vector of two elements (x, y), returning a scalar tensor
    /// recorded in the graph. Throws a <see cref="UsageException"/> that names <paramref name="option"/>, the text and
    /// the position of the mistake.
    /// </summary>
    public static Func<Tensor, Tensor> Compile(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
            throw new UsageException($"{option}: the formula is {text.Length} characters long; at most {MaxLength} are read (the parser and the tensor graph recurse once per operation)");
        Exception Error(string message) => new UsageException($"{option} '{text}': {message}");
        var tokens = Tokenize(text, Error);
        var shape = Check(tokens, text.Length, Error);
        var (ncalcText, numbers) = Rewrite(tokens, shape);
        LogicalExpression tree;
        try
        {
            var options = new LogicalExpressionParserOptions { FloatingPointNumberType = FloatingPointNumberType.Double };
            tree = LogicalExpressionParser.Parse(ncalcText, options, CultureInfo.InvariantCulture, CancellationToken.None);
        }
        catch (Exception e) when (e is NCalc.Exceptions.NCalcException or InvalidOperationException)
        {
            // The checks above should leave nothing for NCalc to reject; if they missed something, say what NCalc said.
            throw Error($"cannot be parsed ({e.Message})");
        }
        var term = new TreeWalker(numbers).Walk(tree);
        if (term.Constant is not null) throw Error("the formula uses neither x nor y: there is nothing to minimise");
        return v => term.Eval(v[0], v[1]);
    }

    /// <summary>The longest formula read: far more than any landscape needs, and far from a stack overflow in the recursive walk.</summary>
    public const int MaxLength = 1000;

    private enum Kind { Number, Name, Operator, Open, Close, Comma }

    /// <param name="Text">The token as written (for messages); for an operator, its symbol: + - * / or ^ (also for **).</param>
    /// <param name="Position">1-based position of its first character.</param>
    private sealed record Token(Kind Kind, string Text, int Position, double Number = 0, string Symbol = "");

    private static List<Token> Tokenize(string text, Func<string, Exception> error)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            int start = i;
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                i = EndOfNumber(text, i);
                string digits = text[start..i];
                double value = double.Parse(digits, NumberStyles.Float, CultureInfo.InvariantCulture);
                if (!double.IsFinite(value)) throw error($"the number '{digits}' at position {start + 1} is too large for a double");
                tokens.Add(new Token(Kind.Number, digits, start + 1, value));
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
                tokens.Add(new Token(Kind.Name, text[start..i], start + 1));
            }
            else if (c == '*' && i + 1 < text.Length && text[i + 1] == '*')
            {
                i += 2;
                tokens.Add(new Token(Kind.Operator, "**", start + 1, Symbol: "^"));
            }
            else if (c is '+' or '-' or '*' or '/' or '^')
            {
                i++;
                tokens.Add(new Token(Kind.Operator, c.ToString(), start + 1, Symbol: c.ToString()));
            }
            else if (c is '(' or ')' or ',')
            {
                i++;
                tokens.Add(new Token(c switch { '(' => Kind.Open, ')' => Kind.Close, _ => Kind.Comma }, c.ToString(), start + 1));
            }
            else throw error($"unexpected character '{c}' at position {start + 1}: a formula has numbers, x, y, pi, e, + - * / ^ (or **), parentheses and functions");
        }
        return tokens;
    }

    /// <summary>Digits, an optional fraction, and an exponent only when digits follow it (so that <c>2e</c> is 2 then e).</summary>
    private static int EndOfNumber(string text, int i)
    {
        while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
        if (i < text.Length && text[i] == '.')
            for (i++; i < text.Length && char.IsAsciiDigit(text[i]); i++) { }
        if (i < text.Length && text[i] is 'e' or 'E')
        {
            int j = i + 1;
            if (j < text.Length && text[j] is '+' or '-') j++;
            if (j < text.Length && char.IsAsciiDigit(text[j]))
                for (i = j; i < text.Length && char.IsAsciiDigit(text[i]); i++) { }
        }
        return i;
    }

    /// <summary>What the checks learnt about the tokens: which operators are unary, which names call a function, where each parenthesis closes.</summary>
    private sealed record Shape(bool[] Unary, bool[] Call, int[] Closing);

    /// <summary>
    /// Reads the tokens as alternating operands and operators, the way a person would, and rejects the first thing out
    /// of place with its position: an unknown name, a missing operand, two operands side by side, a parenthesis without
    /// its partner, a function given the wrong number of arguments.
    /// </summary>
    private static Shape Check(List<Token> tokens, int length, Func<string, Exception> error)
    {
        if (tokens.Count == 0)
            throw error("empty expression: write a formula in x and y such as \"x^2 + 10*y^2\", or the name of a test function (see 'descent functions')");
        var shape = new Shape(new bool[tokens.Count], new bool[tokens.Count], new int[tokens.Count]);
        var open = new Stack<(int Index, int Call, int Arguments)>(); // Call: the function name's token index, or -1
        bool wantOperand = true;
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (wantOperand)
            {
                switch (t.Kind)
                {
                    case Kind.Number:
                        wantOperand = false;
                        break;
                    case Kind.Name when i + 1 < tokens.Count && tokens[i + 1].Kind == Kind.Open:
                        CheckFunction(t, error);
                        shape.Call[i] = true;
                        open.Push((i + 1, i, 1));
                        if (i + 2 < tokens.Count && tokens[i + 2].Kind == Kind.Close)
                            throw error(Arity(t, 0));
                        i++; // the '(' is part of the call
                        break;
                    case Kind.Name:
                        CheckVariable(t, error);
                        wantOperand = false;
                        break;
                    case Kind.Operator when t.Symbol is "+" or "-":
                        shape.Unary[i] = true;
                        break;
                    case Kind.Open:
                        open.Push((i, -1, 0));
                        break;
                    default:
                        throw error($"expected a number, x, y, a function or '(' at position {t.Position}, got '{t.Text}'");
                }
            }
            else
            {
                switch (t.Kind)
                {
                    case Kind.Operator:
                        wantOperand = true;
                        break;
                    case Kind.Close when open.Count == 0:
                        throw error($"unbalanced parenthesis: ')' at position {t.Position} has no '(' before it");
                    case Kind.Close:
                        var (index, call, arguments) = open.Pop();
                        if (call >= 0 && arguments != Functions[tokens[call].Text].Arity) throw error(Arity(tokens[call], arguments));
                        shape.Closing[index] = i;
                        break;
                    case Kind.Comma when open.Count == 0 || open.Peek().Call < 0:
                        throw error($"',' at position {t.Position} is outside a function's arguments");
                    case Kind.Comma:
                        var top = open.Pop();
                        open.Push(top with { Arguments = top.Arguments + 1 });
                        wantOperand = true;
                        break;
                    default:
                        throw error($"unexpected '{t.Text}' at position {t.Position}: expected an operator or the end (write 2*x, not 2x)");
                }
            }
        }
        if (wantOperand)
            throw error($"the formula ends at position {length + 1} after '{tokens[^1].Text}': expected a number, x, y, a function or '('");
        if (open.Count > 0)
            throw error($"unbalanced parenthesis: '(' at position {tokens[open.Peek().Index].Position} is never closed");
        return shape;
    }

    private static void CheckVariable(Token t, Func<string, Exception> error)
    {
        if (IsVariable(t.Text) || Constants.ContainsKey(t.Text)) return;
        if (Functions.ContainsKey(t.Text))
            throw error($"'{t.Text}' at position {t.Position} is a function: write {t.Text.ToLowerInvariant()}(...)");
        throw error($"unknown variable '{t.Text}' at position {t.Position}: use x and y (and the constants pi and e)");
    }

    private static void CheckFunction(Token t, Func<string, Exception> error)
    {
        if (Functions.ContainsKey(t.Text)) return;
        if (IsVariable(t.Text) || Constants.ContainsKey(t.Text))
            throw error($"'{t.Text}' at position {t.Position} is not a function: write {t.Text}*(...) for a product");
        string hint = t.Text.Equals("tan", StringComparison.OrdinalIgnoreCase) ? " (for tan, write sin(x)/cos(x))" : "";
        throw error($"unknown function '{t.Text}' at position {t.Position}: Descent tensors have {string.Join(", ", FunctionNames)}{hint}");
    }

    private static string Arity(Token function, int given)
    {
        int arity = Functions[function.Text].Arity;
        return $"{function.Text} at position {function.Position} takes {arity} argument{(arity == 1 ? "" : "s")}, got {given}";
    }

    private static bool IsVariable(string name) => name is "x" or "X" or "y" or "Y";

    /// <summary>
    /// NCalc's text for the checked tokens: ^ becomes **, a unary + goes, a signed exponent gets parentheses, and every
    /// number or constant becomes the placeholder <c>_nK</c> for <c>numbers[K]</c>.
    /// </summary>
    private static (string Text, List<double> Numbers) Rewrite(List<Token> tokens, Shape shape)
    {
        var numbers = new List<double>();
        var closeBefore = new int[tokens.Count + 1];
        var parts = new List<string>();
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            parts.AddRange(Enumerable.Repeat(")", closeBefore[i]));
            if (t.Kind == Kind.Operator && shape.Unary[i] && t.Symbol == "+") continue;
            if (t.Kind == Kind.Operator && t.Symbol == "^")
            {
                parts.Add("**");
                if (shape.Unary[i + 1])
                {
                    parts.Add("(");
                    closeBefore[EndOfUnary(tokens, shape, i + 1)]++;
                }
                continue;
            }
            parts.Add(t.Kind switch
            {
                Kind.Number => Placeholder(numbers, t.Number),
                Kind.Name when Constants.TryGetValue(t.Text, out double c) => Placeholder(numbers, c),
                Kind.Name => t.Text.ToLowerInvariant(),
                _ => t.Text,
            });
        }
        parts.AddRange(Enumerable.Repeat(")", closeBefore[tokens.Count]));
        return (string.Join(" ", parts), numbers);
    }

    private static string Placeholder(List<double> numbers, double value)
    {
        numbers.Add(value);
        return "_n" + (numbers.Count - 1).ToString(CultureInfo.InvariantCulture);
    }

    // The extent of an exponent, as in mathematics: signs, then an operand, then possibly ^ and another exponent.
    private static int EndOfUnary(List<Token> tokens, Shape shape, int i)
    {
        while (shape.Unary[i]) i++;
        int end = EndOfOperand(tokens, shape, i);
        return end < tokens.Count && tokens[end].Kind == Kind.Operator && tokens[end].Symbol == "^" ? EndOfUnary(tokens, shape, end + 1) : end;
    }

    private static int EndOfOperand(List<Token> tokens, Shape shape, int i) =>
        shape.Call[i] ? shape.Closing[i + 1] + 1 : tokens[i].Kind == Kind.Open ? shape.Closing[i] + 1 : i + 1;

    /// <summary>
    /// A piece of the formula: its value from the scalar tensors x and y, or, when it uses neither, the number it
    /// stands for (folded once, here, so that a constant exponent takes <see cref="Tensor.Pow(double)"/>).
    /// </summary>
    private sealed record Term(Func<Tensor, Tensor, Tensor> Eval, double? Constant)
    {
        public static Term Of(double value) => new((x, _) => Tensor.Scalar(value, x.DType), value);
    }

    /// <summary>Walks NCalc's tree into <see cref="Term"/>s; only the node kinds the rewritten text can produce occur.</summary>
    private sealed class TreeWalker(List<double> numbers)
    {
        public Term Walk(LogicalExpression node) => node switch
        {
            Identifier { Name: "x" } => new Term((x, _) => x, null),
            Identifier { Name: "y" } => new Term((_, y) => y, null),
            Identifier id when id.Name.StartsWith("_n", StringComparison.Ordinal) => Term.Of(numbers[int.Parse(id.Name[2..], CultureInfo.InvariantCulture)]),
            ValueExpression value => Term.Of(Convert.ToDouble(value.Value, CultureInfo.InvariantCulture)),
            UnaryExpression { Type: UnaryExpressionType.Negate } u => Combine([Walk(u.Expression)], a => -a[0]),
            BinaryExpression b => Binary(b),
            Function f => Combine(f.Parameters.Select(Walk).ToArray(), Functions[f.Identifier.Name].Apply),
            _ => throw new InvalidOperationException($"unexpected node {node.GetType().Name} in the parsed formula"),
        };

        private Term Binary(BinaryExpression b)
        {
            var left = Walk(b.LeftExpression);
            var right = Walk(b.RightExpression);
            if (b.Type == BinaryExpressionType.Exponentiation && right.Constant is double power && left.Constant is null)
                return new Term((x, y) => left.Eval(x, y).Pow(power), null);
            Func<Tensor[], Tensor> op = b.Type switch
            {
                BinaryExpressionType.Plus => a => a[0] + a[1],
                BinaryExpressionType.Minus => a => a[0] - a[1],
                BinaryExpressionType.Times => a => a[0] * a[1],
                BinaryExpressionType.Div => a => a[0] / a[1],
                BinaryExpressionType.Exponentiation => a => a[0].Pow(a[1]),
                _ => throw new InvalidOperationException($"unexpected operator {b.Type} in the parsed formula"),
            };
            return Combine([left, right], op);
        }

        private static Term Combine(Term[] args, Func<Tensor[], Tensor> op)
        {
            if (args.All(a => a.Constant is not null))
            {
                using (Autograd.NoGrad())
                    return Term.Of(op(args.Select(a => Tensor.Scalar(a.Constant!.Value, DType.Float64)).ToArray()).Item());
            }
            return new Term((x, y) => op(args.Select(a => a.Eval(x, y)).ToArray()), null);
        }
    }
}
