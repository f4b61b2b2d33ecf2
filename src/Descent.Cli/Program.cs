return Descent.Cli.CliApp.Invoke(args);
