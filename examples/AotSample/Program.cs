// Descent in an app published with NativeAOT: one native executable, no .NET runtime to install, no JIT.
//   dotnet publish -c Release -r linux-x64 -p:PublishAot=true -o out && out/AotSample
// It runs the README's tutorial, every optimizer of the registry on Rosenbrock, a checkpoint round trip and an ONNX
// export, and prints every figure to the last digit: run under the JIT (dotnet run) and native, the output is the same.
using System.Globalization;
using System.Security.Cryptography;
using Descent;
using Descent.Functions;
using Descent.IO;
using Descent.NN;
using Descent.Optim;
using Descent.Training;

string folder = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "descent-aot-sample");
Directory.CreateDirectory(folder);

// The README's first example: a linear model, SGD with Nesterov momentum and weight decay.
Tensor.ManualSeed(0);
var model = new SimpleModel();
var optimizer = new SGD(model.Parameters(), lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true);
var x = Tensor.Randn([64, 10]);
var y = Tensor.Randn([64, 1]);
double loss = 0;
for (int epoch = 0; epoch < 100; epoch++) loss = Step(model, optimizer, x, y);
Console.WriteLine($"tutorial: loss after 100 epochs {R(loss)}");

// Every optimizer through the registry, which reads each options record's declared hyperparameters, with the lab's
// presets on Beale's function.
var beale = TestFunctions.Beale();
foreach (var info in OptimizerRegistry.All)
{
    var (point, f) = Minimizer.StartFor(beale.Value, beale.Start, info);
    var result = Minimizer.Minimize(f, point, info.Create([point]), new StoppingCriteria { MaxIterations = 50 }, recordTrajectory: false);
    string hyperparameters = string.Join(", ", info.Preset.ToDictionary().Select(kv => $"{kv.Key} {Text(kv.Value)}"));
    Console.WriteLine($"{info.Name}: f after 50 steps {R(result.Loss)} ({hyperparameters})");
}

// A checkpoint written and read back: the resumed run takes the same next step as the uninterrupted one.
string checkpoint = Path.Combine(folder, "tutorial.safetensors");
Checkpoint.Save(checkpoint, model, optimizer, epoch: 100);
var resumed = new SimpleModel();
var resumedOptimizer = new SGD(resumed.Parameters(), lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true);
int epochs = Checkpoint.Load(checkpoint, resumed, resumedOptimizer);
Step(model, optimizer, x, y);
Step(resumed, resumedOptimizer, x, y);
bool same = model.StateDict().All(kv => kv.Value.ToDoubleArray().SequenceEqual(resumed.StateDict()[kv.Key].ToDoubleArray()));
Console.WriteLine($"checkpoint: resumed after {epochs} epochs; after one more step the weights are {(same ? "equal" : "DIFFERENT")} to the uninterrupted run's");

// The trained model as ONNX.
string onnx = Path.Combine(folder, "tutorial.onnx");
Onnx.Export(model, x, onnx);
Console.WriteLine($"onnx: {new FileInfo(onnx).Length} bytes, sha256 {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(onnx)))}");

// The documentation beside the executable, which the listings read.
Console.WriteLine($"notes: {OptimizerRegistry.Find("adam")!.Notes.Summary}");

static double Step(Module model, FirstOrderOptimizer optimizer, Tensor x, Tensor y)
{
    optimizer.ZeroGrad();
    var loss = Functional.MseLoss(model.Forward(x), y);
    loss.Backward();
    optimizer.Step();
    return loss.Item();
}

static string R(double value) => value.ToString("R", CultureInfo.InvariantCulture);

static string Text(object value) => value switch
{
    double d => R(d),
    double[] a => $"({string.Join(", ", a.Select(R))})",
    double?[] a => $"({string.Join(", ", a.Select(e => e is double d ? R(d) : "none"))})",
    _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
};

class SimpleModel : Module
{
    private readonly Linear _linear;
    public SimpleModel() => _linear = RegisterModule("linear", new Linear(10, 1));
    public override Tensor Forward(Tensor x) => _linear.Forward(x);
}
