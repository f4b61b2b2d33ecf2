using System.CommandLine;
using Descent.Cli.Commands;

var root = new RootCommand("Descent: gradient-based optimisation for .NET — run optimizers side by side, train models, benchmark.")
{
    TrainCommand.Create(),
};
return root.Parse(args).Invoke();
