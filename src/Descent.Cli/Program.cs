using System.CommandLine;

var epochs = new Option<int>("--epochs") { Description = "epochs", DefaultValueFactory = _ => 3 };
var name = new Option<string>("--optimizer") { Description = "opt" };
var train = new Command("train", "Train a model") { epochs, name };
train.SetAction(pr =>
{
    Console.WriteLine($"epochs={pr.GetValue(epochs)} opt={pr.GetValue(name)}");
    return 0;
});
var root = new RootCommand("Descent") { train };
return root.Parse(args).Invoke();
