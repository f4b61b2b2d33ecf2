using System.Diagnostics;
using Descent.IO;
using Descent.NN;

namespace Descent.Tests.IO;

/// <summary>
/// Models in and out of PyTorch through safetensors state dicts. reference/pytorch-models holds state dicts, inputs
/// and outputs that PyTorch wrote (make.py); load_in_pytorch.py loads a state dict Descent wrote into the same PyTorch
/// model with <c>load_state_dict(strict=True)</c>, which needs Debian's python3-torch (installed by .ci/run).
/// </summary>
public class PyTorchInteropTests
{
    private static readonly string s_folder = Path.Combine(AppContext.BaseDirectory, "reference", "pytorch-models");

    /// <summary>The tutorial's model, as the README defines it.</summary>
    private sealed class SimpleModel : Module
    {
        private readonly Linear _linear;

        public SimpleModel() => _linear = RegisterModule("linear", new Linear(10, 1));

        public override Tensor Forward(Tensor x) => _linear.Forward(x);
    }

    /// <summary>make.py's small_cnn, layer for layer.</summary>
    private static Sequential SmallCnn() => new(
        new Conv2d(1, 4, 3, padding: 1), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2), new Flatten(),
        new Linear(4 * 4 * 4, 8), new LayerNorm([8]), new GELU(), new Linear(8, 3));

    private static Module Build(string name) => name switch
    {
        "simple_model" => new SimpleModel(),
        "small_cnn" => SmallCnn(),
        _ => throw new ArgumentException($"no model '{name}'", nameof(name)),
    };

    public static TheoryData<string> Models => new() { "simple_model", "small_cnn" };

    [Theory]
    [MemberData(nameof(Models))]
    public void PyTorchStateDictLoadsByItsNamesAndGivesPyTorchsOutputs(string name)
    {
        var model = Build(name);
        model.LoadStateDict(SafeTensors.Load(Path.Combine(s_folder, $"{name}.safetensors")).Tensors);
        model.Eval();
        var io = SafeTensors.Load(Path.Combine(s_folder, $"{name}.io.safetensors")).Tensors;

        AssertClose(io["output"], model.Forward(io["input"]), name);
    }

    [Fact]
    public void PyTorchsBatchNormCounterAndStatisticsArriveIntact()
    {
        var state = SafeTensors.Load(Path.Combine(s_folder, "small_cnn.safetensors")).Tensors;
        var model = SmallCnn();
        model.LoadStateDict(state);

        var loaded = model.StateDict();
        Assert.Equal(3L, loaded["1.num_batches_tracked"].ToArray<long>()[0]);
        Assert.Equal(state["1.running_var"].ToArray<float>(), loaded["1.running_var"].ToArray<float>());
        Assert.NotEqual(Tensor.Ones([4]).ToArray<float>(), loaded["1.running_var"].ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void DescentStateDictHasPyTorchsNamesShapesAndDTypes(string name)
    {
        var pytorch = SafeTensors.Load(Path.Combine(s_folder, $"{name}.safetensors")).Tensors;
        var saved = SafeTensors.Load(SafeTensors.Serialize(Build(name).StateDict())).Tensors;

        Assert.Equal(pytorch.Keys.Order(StringComparer.Ordinal), saved.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, tensor) in pytorch)
        {
            Assert.Equal(tensor.ShapeArray, saved[key].ShapeArray);
            Assert.Equal(tensor.DType, saved[key].DType);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void DescentStateDictLoadsIntoPyTorchAndGivesDescentsOutputs(string name)
    {
        Tensor.ManualSeed(7);
        var model = Build(name);
        var input = name == "simple_model" ? Tensor.Randn([32, 10]) : Tensor.Randn([6, 1, 8, 8]);
        using (Descent.Autograd.NoGrad())
        {
            for (int i = 0; i < 2; i++) model.Forward(Tensor.Randn(input.ShapeArray) * 1.5 + 0.25); // moves BatchNorm's statistics off their defaults
        }
        model.Eval();
        var expected = model.Forward(input);

        string dir = Directory.CreateTempSubdirectory("descent-pytorch-").FullName;
        try
        {
            string state = Path.Combine(dir, "state.safetensors"), io = Path.Combine(dir, "io.safetensors"), output = Path.Combine(dir, "out.safetensors");
            SafeTensors.Save(state, model.StateDict());
            SafeTensors.Save(io, new Dictionary<string, Tensor> { ["input"] = input });

            RunPython("load_in_pytorch.py", name, state, io, output);

            AssertClose(SafeTensors.Load(output).Tensors["output"], expected, name);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>|actual − expected| ≤ 1e-5·max(1, |expected|) elementwise, with equal shapes.</summary>
    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.ShapeArray, actual.ShapeArray);
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(a[i] - e[i]) <= 1e-5 * Math.Max(1, Math.Abs(e[i])), $"{what}: element {i} is {a[i]:R}, PyTorch's {e[i]:R}");
    }

    /// <summary>Runs a script of the reference folder with Debian's Python and PyTorch, failing with what it printed.</summary>
    private static void RunPython(string script, params string[] arguments)
    {
        const string python = "/usr/bin/python3";
        Assert.True(File.Exists(python), $"{python} is missing: this test needs Debian's python3-torch (apt-get install python3-torch)");
        var start = new ProcessStartInfo(python, [Path.Combine(s_folder, script), .. arguments])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = s_folder,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5))) // only against a hang: importing torch takes seconds
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{script} did not finish in 5 minutes");
        }
        Assert.True(process.ExitCode == 0, $"{script} exited with {process.ExitCode} (it needs python3-torch):\n{stdout.Result}\n{stderr.Result}");
    }
}
