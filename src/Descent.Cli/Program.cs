using System.CommandLine;
using Descent.Cli.Commands;

var root = new RootCommand("Descent: gradient-based optimisation for .NET — run optimizers side by side, train models, benchmark.")
{
    LabCommand.Create(),
    MinimizeCommand.Create(),
    TrainCommand.Create(),
    ListCommands.Functions(),
    ListCommands.Optimizers(),
};
return root.Parse(args).Invoke();
