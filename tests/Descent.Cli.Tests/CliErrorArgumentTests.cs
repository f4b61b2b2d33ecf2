namespace Descent.Cli.Tests;

/// <summary>
/// Every bad argument of every command gives one line on standard error, naming the option, and exit code 2: values
/// that do not parse, values out of range (the CLI's own checks and the library's), unknown options and commands, and
/// files that are not what the option expects.
/// </summary>
public sealed class CliErrorArgumentTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("descent-cli-args-");

    public CliErrorArgumentTests()
    {
        File.WriteAllText(Path.Combine(_dir.FullName, "one.csv"), "a,b,label\n1,2,0\n");
        File.WriteAllText(Path.Combine(_dir.FullName, "header.csv"), "a,b,label\n1,2,0\n3,4,1\n5,6,0\n");
        File.WriteAllText(Path.Combine(_dir.FullName, "ragged.csv"), "a,b,label\n1,2,0\n3,4\n");
        File.WriteAllText(Path.Combine(_dir.FullName, "headerless.csv"), "1,2,0\n3,4,1\n5,6,0\n");
        File.WriteAllText(Path.Combine(_dir.FullName, "a-file"), "not a folder");
        Directory.CreateDirectory(Path.Combine(_dir.FullName, "empty"));
    }

    public void Dispose() => _dir.Delete(recursive: true);

    // Every case fails before training starts.
    private static readonly string[] Iris = ["train", "--dataset", "iris"];

    /// <summary>The expected part of the message, then the arguments; @name stands for a file or folder of the test's own.</summary>
    public static TheoryData<string, string[]> BadArguments { get; } = new()
    {
        // no command, or an unknown one
        { "'descent' needs a command: lab, minimize, train, bench, functions, optimizers", [] },
        { "unknown command 'frobnicate' for 'descent'", ["frobnicate"] },
        { "unknown command 'trian' for 'descent'. Did you mean 'train'?", ["trian"] },
        { "'descent bench' needs a command: optim, matmul, train", ["bench"] },
        { "unknown command 'sideways' for 'descent bench'", ["bench", "sideways"] },
        // lab
        { "--steps must be >= 1, got 0", ["lab", "--steps", "0"] },
        { "--steps: 'ten' is not a whole number", ["lab", "--steps", "ten"] },
        { "--lr must be > 0, got -1", ["lab", "--lr", "-1"] },
        { "--lr: 'abc' is not a number", ["lab", "--lr", "abc"] },
        { "--seed: '1.5' is not a whole number", ["lab", "--seed", "1.5"] },
        { "--start and --box shape the landscape of --function; give --function too", ["lab", "--start", "1,2"] },
        { "--function 'x + 2*z': unknown variable 'z'", ["lab", "--function", "x + 2*z"] },
        { "--out names the folder to write index.html and its charts into, and '@a-file' is a file", ["lab", "--quick", "--out", "@a-file"] },
        { "unexpected argument 'yes' for 'descent lab'", ["lab", "--quick", "yes"] },
        // minimize
        { "--steps must be >= 1, got 0", ["minimize", "--steps", "0"] },
        { "--steps: 'many' is not a whole number", ["minimize", "--steps", "many"] },
        { "--steps: '99999999999' is out of range: a whole number from -2147483648 to 2147483647", ["minimize", "--steps", "99999999999"] },
        { "--lr: 'abc' is not a number", ["minimize", "--lr", "abc"] },
        { "--lr needs a value: a number", ["minimize", "--lr"] },
        { "--lr must be a finite number, got NaN", ["minimize", "--lr", "nan"] },
        { "--lr must be >= 0 and finite, got -1 (gd)", ["minimize", "--optimizer", "gd", "--lr", "-1"] },
        { "--beta1 must be in [0, 1), got 2 (adam)", ["minimize", "--optimizer", "adam", "--beta1", "2"] },
        { "--weight-decay must be >= 0 and finite, got -1 (adamw)", ["minimize", "--optimizer", "adamw", "--weight-decay", "-1"] },
        { "--amsgrad is a flag: 0 or 1, got 2", ["minimize", "--optimizer", "adam", "--amsgrad", "2"] },
        { "--rho does not apply to adam", ["minimize", "--optimizer", "adam", "--rho", "0.5"] },
        { "--base must name an optimizer", ["minimize", "--optimizer", "lookahead", "--base", "adamm"] },
        { "--tolerance must be > 0, got 0", ["minimize", "--tolerance", "0"] },
        { "--start needs 2 comma-separated numbers, got '1'", ["minimize", "--start", "1"] },
        { "--box needs 4 comma-separated numbers", ["minimize", "--box", "1,2"] },
        { "--plot must name a .png or .svg file, got 'path.txt'", ["minimize", "--plot", "path.txt"] },
        { "or did you mean the test function 'rosenbrock'?", ["minimize", "--function", "rosenbrok"] },
        { "unknown optimizer 'adamm'. Did you mean 'adam'?", ["minimize", "--optimizer", "adamm"] },
        { "unknown option '--bogus' for 'descent minimize'", ["minimize", "--bogus"] },
        { "--function takes one value, got 2: 'rosenbrock', 'beale'", ["minimize", "--function", "rosenbrock", "--function", "beale"] },
        // train: values
        { "--lr must be >= 0 and finite, got -1 (adam)", [.. Iris, "--lr", "-1"] },
        { "--lr must be a finite number, got NaN", [.. Iris, "--lr", "nan"] },
        { "--lr: 'abc' is not a number", [.. Iris, "--lr", "abc"] },
        { "--momentum must be > 0 and finite, got 0 (momentum)", [.. Iris, "--optimizer", "momentum", "--momentum", "0"] },
        { "unknown option '--weight_decay' for 'descent train'. Did you mean '--weight-decay'?", [.. Iris, "--weight_decay", "0.1"] },
        { "--schedule onecycle cycles the learning rate up to --lr and down: it needs --lr > 0, got 0", [.. Iris, "--lr", "0", "--schedule", "onecycle"] },
        { "unknown schedule 'cosin'. Did you mean 'cosine'?", [.. Iris, "--schedule", "cosin"] },
        { "--epochs must be >= 1, got 0", [.. Iris, "--epochs", "0"] },
        { "--epochs: '99999999999' is out of range", [.. Iris, "--epochs", "99999999999"] },
        { "--batch-size must be >= 1, got 0", [.. Iris, "--batch-size", "0"] },
        { "--batch-size: '1e3' is not a whole number", [.. Iris, "--batch-size", "1e3"] },
        { "--accumulate must be >= 1, got 0", [.. Iris, "--accumulate", "0"] },
        { "--accumulate 2 needs a first-order optimizer", [.. Iris, "--optimizer", "lbfgs", "--accumulate", "2"] },
        { "--seed: 'x' is not a whole number", [.. Iris, "--seed", "x"] },
        { "--ema must be in (0, 1), got 1", [.. Iris, "--ema", "1"] },
        { "--swa-lr needs --swa-start E", [.. Iris, "--swa-lr", "0.1"] },
        { "--skip-nonfinite must be >= 0", [.. Iris, "--skip-nonfinite", "-1"] },
        { "--shards must be >= 1, got 0", [.. Iris, "--shards", "0"] },
        { "--timeout must be a positive number of seconds, got 0", [.. Iris, "--timeout", "0"] },
        { "--distributed needs an MPI job", [.. Iris, "--distributed"] },
        { "--model cnn needs an image data set", [.. Iris, "--model", "cnn"] },
        { "unknown model 'mpl'. Did you mean 'mlp'?", [.. Iris, "--model", "mpl"] },
        { "--dataset takes one value, got 2: 'iris', 'wine'", [.. Iris, "--dataset", "wine"] },
        // train: files and folders
        { "--checkpoint names the folder to write checkpoint.safetensors into, and '@a-file' is a file", [.. Iris, "--checkpoint", "@a-file"] },
        { "--resume needs --checkpoint DIR", [.. Iris, "--resume"] },
        { "--resume: no checkpoint at @empty", [.. Iris, "--checkpoint", "@empty", "--resume"] },
        { "--label names the label column of a CSV file; --dataset iris is a built-in data set", [.. Iris, "--label", "species"] },
        { "--dataset: file '@missing.csv' does not exist", ["train", "--dataset", "@missing.csv"] },
        { "--dataset: @one.csv has 1 data row; training needs at least 2", ["train", "--dataset", "@one.csv"] },
        { "--dataset: @ragged.csv, line 3: 2 fields, expected 3", ["train", "--dataset", "@ragged.csv"] },
        { "--label: @header.csv has no column \"species\"; its columns are \"a\", \"b\", \"label\"", ["train", "--dataset", "@header.csv", "--label", "species"] },
        { "--label label: the first line of @headerless.csv is numbers, not column names", ["train", "--dataset", "@headerless.csv", "--label", "label"] },
        // bench
        { "--params must be >= 1, got 0", ["bench", "optim", "--params", "0"] },
        { "--params: '1e9' is not a whole number", ["bench", "optim", "--params", "1e9"] },
        { "--tensors must be between 1 and --params (10), got 0", ["bench", "optim", "--params", "10", "--tensors", "0"] },
        { "--sparse-touched must be between 1 and --sparse-rows", ["bench", "optim", "--sparse-touched", "0"] },
        { "unknown optimizer 'adamm'. Did you mean 'adam'?", ["bench", "optim", "--optimizer", "adamm"] },
        { "--threads must be >= 1, got 0", ["bench", "optim", "--params", "10", "--optimizer", "gd", "--threads", "0"] },
        { "--n must be between 1 and 8192, got 0", ["bench", "matmul", "--n", "0"] },
        { "--n: 'abc' is not a whole number", ["bench", "matmul", "--n", "64", "abc"] },
        { "--threads must be >= 1, got 0", ["bench", "matmul", "--n", "8", "--threads", "0"] },
        { "unknown model 'linear'", ["bench", "train", "--model", "linear"] },
        { "--batch-size must be >= 1, got 0", ["bench", "train", "--batch-size", "0"] },
        { "--threads must be integers >= 1, got 'x'", ["bench", "train", "--threads", "1,x"] },
        { "--repetitions must be >= 1, got 0", ["bench", "train", "--repetitions", "0"] },
        // the listings
        { "unexpected argument 'x' for 'descent functions'", ["functions", "--json", "x"] },
        { "unknown option '--bogus' for 'descent optimizers'", ["optimizers", "--bogus"] },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void A_bad_argument_is_one_line_naming_it_and_exit_code_two(string expected, string[] args)
    {
        string Place(string s) => s.Replace("@", _dir.FullName + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        var (code, output, err) = CliRunner.Run([.. args.Select(Place)]);

        Assert.True(code == 2, $"exit code {code}, stderr: {err}");
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"stderr has {lines.Length} lines:\n{err}");
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(Place(expected), lines[0], StringComparison.Ordinal);
        // No .NET type names, stack frames or help text, on either stream.
        foreach (string text in new[] { err, output })
        {
            Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Usage:", text, StringComparison.Ordinal);
        }
    }
}
