using System.Reflection;
using Mono.Cecil;
using NetArchTest.Rules;

namespace Descent.Tests.Architecture;

/// <summary>
/// The arrows of DESIGN.md's "Shape of the code", one test per arrow: each layer uses only the layers below it.
///
/// <code>
/// Training ─> NN, Optim, Data, IO        Functions ─> Optim
/// NN, Optim ─> Autograd ─> Tensors ─> Kernels
/// Data, IO ─> Tensors                  IO's ONNX exporter ─> NN
/// </code>
///
/// Tensors and Autograd share the root namespace <c>Descent</c> (users write <c>Tensor</c>, <c>Autograd.NoGrad()</c>,
/// <c>GradCheck</c> without a using), and <see cref="Tensor"/> is one partial type whose operations record themselves on
/// the tape: the arrow Autograd ─> Tensors cannot be told apart by namespace. The namespace rules therefore treat the root
/// namespace as one layer, and <see cref="Tensors_types_other_than_Tensor_do_not_use_Autograd"/> pins what can be pinned
/// of the arrow inside it.
/// </summary>
public class LayerTests
{
    private static readonly Assembly Library = typeof(Tensor).Assembly;

    private const string Kernels = "Descent.Kernels";
    private const string NN = "Descent.NN";
    private const string Optim = "Descent.Optim";
    private const string Data = "Descent.Data";
    private const string IO = "Descent.IO";
    private const string Training = "Descent.Training";
    private const string Functions = "Descent.Functions";

    /// <summary>Every namespace of the library below the root one.</summary>
    private static readonly string[] SubNamespaces = [Kernels, NN, Optim, Data, IO, Training, Functions];

    /// <summary>The Autograd folder's own types (the rest of the root namespace is Tensors, and Tensor is both).</summary>
    private static readonly string[] AutogradTypes = ["Descent.Autograd", "Descent.GradCheck", "Descent.GradCheckResult", "Descent.Node", "Descent.ReluGrad", "Descent.RowSparseGrad"];

    /// <summary>
    /// The full names of the root namespace's top-level types: a dependency on the root namespace is a dependency on one
    /// of them (a name used as a prefix, which covers their nested types too).
    /// </summary>
    private static string[] RootTypes() =>
        [.. Library.GetTypes().Where(t => t.Namespace == "Descent" && !t.IsNested).Select(t => t.FullName!).Order()];

    private static Types LibraryTypes() => Types.InAssembly(Library);

    /// <summary>
    /// The types of one layer: those whose outermost declaring type lies in <paramref name="ns"/> or below it (NetArchTest's
    /// own namespace predicates place some nested types in the wrong namespace, so the namespace is read here).
    /// </summary>
    private static PredicateList Layer(string ns) => LibraryTypes().That().MeetCustomRule(new InLayer(ns, exact: false));

    /// <summary>The root namespace <c>Descent</c> alone (Tensors and Autograd), without the namespaces below it.</summary>
    private static PredicateList Root() => LibraryTypes().That().MeetCustomRule(new InLayer("Descent", exact: true));

    /// <summary>Every type of the library outside <paramref name="namespaces"/>.</summary>
    private static PredicateList AllBut(params string[] namespaces) =>
        LibraryTypes().That().MeetCustomRule(new NotInLayers(namespaces));

    private static string NamespaceOf(TypeDefinition type)
    {
        while (type.DeclaringType is not null) type = type.DeclaringType;
        return type.Namespace;
    }

    private static bool Within(string actual, string ns) => actual == ns || actual.StartsWith(ns + ".", StringComparison.Ordinal);

    private sealed class InLayer(string ns, bool exact) : ICustomRule
    {
        public bool MeetsRule(TypeDefinition type) => exact ? NamespaceOf(type) == ns : Within(NamespaceOf(type), ns);
    }

    /// <summary>The root namespace's types outside Tensor and the Autograd folder (with their nested types).</summary>
    private sealed class TensorsHelpers : ICustomRule
    {
        public bool MeetsRule(TypeDefinition type)
        {
            while (type.DeclaringType is not null) type = type.DeclaringType;
            return type.Namespace == "Descent" && type.FullName != "Descent.Tensor" && !AutogradTypes.Contains(type.FullName);
        }
    }

    private sealed class NotInLayers(string[] namespaces) : ICustomRule
    {
        public bool MeetsRule(TypeDefinition type) => !namespaces.Any(ns => Within(NamespaceOf(type), ns));
    }

    /// <summary>Passes, or fails naming every offending type.</summary>
    private static void AssertPasses(TestResult result, string rule)
    {
        var failing = result.FailingTypeNames?.Order().ToList() ?? [];
        Assert.True(result.IsSuccessful, $"{rule}; {failing.Count} type(s) break it:\n  " + string.Join("\n  ", failing));
    }

    /// <summary>The prefixes must catch the dependencies they are meant to (or every rule would pass vacuously).</summary>
    [Fact]
    public void The_rules_see_dependencies()
    {
        var functional = Layer(NN).And().HaveNameStartingWith("Functional")
            .Should().NotHaveDependencyOn("Descent.Tensor").GetResult();
        Assert.False(functional.IsSuccessful, "NN.Functional takes tensors, so a rule against Descent.Tensor must fail");
        var convOps = LibraryTypes().That().HaveName("ConvOps").Should().NotHaveDependencyOn(Kernels).GetResult();
        Assert.False(convOps.IsSuccessful, "ConvOps calls the conv kernels, so a rule against Descent.Kernels must fail");
        var relu = Layer(Kernels).Should().NotHaveDependencyOn("System.Numerics.Vector").GetResult();
        Assert.False(relu.IsSuccessful, "the kernels use Vector<T>, so a rule against it must fail");
        foreach (var ns in SubNamespaces) Assert.NotEmpty(Layer(ns).GetTypes());
        Assert.Contains(Root().GetTypes(), t => t == typeof(Tensor));
        Assert.DoesNotContain(Root().GetTypes(), t => t.Namespace != "Descent");
        Assert.Contains("Descent.Tensor", RootTypes());
        Assert.Contains("Descent.Autograd", RootTypes());
    }

    /// <summary>Kernels is arithmetic on spans: no tensors, nothing from any other layer.</summary>
    [Fact]
    public void Kernels_depends_on_no_other_Descent_namespace()
    {
        string[] others = [.. RootTypes(), .. SubNamespaces.Where(n => n != Kernels), "Descent.Plotting", "Descent.Cli", "Descent.Distributed"];
        var result = Layer(Kernels).Should().NotHaveDependencyOnAny(others).GetResult();
        AssertPasses(result, "Descent.Kernels must not use any other Descent namespace");
    }

    /// <summary>
    /// Tensors ─> Kernels. Tensors and Autograd are one namespace (see the class comment), so the rule is: the root
    /// namespace uses no Descent namespace but Kernels.
    /// </summary>
    [Fact]
    public void Tensors_and_Autograd_use_only_Kernels()
    {
        string[] above = [.. SubNamespaces.Where(n => n != Kernels)];
        var result = Root()
            .Should().NotHaveDependencyOnAny(above).GetResult();
        AssertPasses(result, "the root namespace Descent (Tensors and Autograd) must use no Descent namespace but Kernels");
    }

    /// <summary>
    /// The part of Autograd ─> Tensors that types can show: the tensor's helpers (DType, Generator, Shapes, TensorScope,
    /// the storage pool…) know nothing of the graph. Tensor itself records its operations, so it is exempt.
    /// </summary>
    [Fact]
    public void Tensors_types_other_than_Tensor_do_not_use_Autograd()
    {
        var result = LibraryTypes().That().MeetCustomRule(new TensorsHelpers())
            .Should().NotHaveDependencyOnAny(AutogradTypes).GetResult();
        Assert.NotEmpty(LibraryTypes().That().MeetCustomRule(new TensorsHelpers()).GetTypes());
        AssertPasses(result, "the Tensors types other than Tensor must not use Autograd, GradCheck, Node or ReluGrad");
    }

    /// <summary>Autograd is generic machinery: the neural-network functions live in NN, not here.</summary>
    [Fact]
    public void Autograd_does_not_use_NN_Optim_Data_IO_Training_or_Functions()
    {
        var result = Root()
            .Should().NotHaveDependencyOnAny(NN, Optim, Data, IO, Training, Functions).GetResult();
        AssertPasses(result, "Autograd (the root namespace Descent) must not use NN, Optim, Data, IO, Training or Functions");
    }

    /// <summary>Optim knows parameters and gradients, not modules, data or files.</summary>
    [Fact]
    public void Optim_does_not_use_IO_NN_Data_Training_or_Functions()
    {
        var result = Layer(Optim)
            .Should().NotHaveDependencyOnAny(IO, NN, Data, Training, Functions).GetResult();
        AssertPasses(result, "Descent.Optim must not use IO, NN, Data, Training or Functions");
    }

    /// <summary>NN knows no optimizer; modules hand out their state as named tensors and do not save themselves.</summary>
    [Fact]
    public void NN_does_not_use_Optim_Data_IO_Training_or_Functions()
    {
        var result = Layer(NN)
            .Should().NotHaveDependencyOnAny(Optim, Data, IO, Training, Functions).GetResult();
        AssertPasses(result, "Descent.NN must not use Optim, Data, IO, Training or Functions");
    }

    /// <summary>
    /// Data ─> Tensors: datasets and loaders use the root namespace and Kernels only. (Dataset and TensorDataset stack
    /// samples inside Autograd.NoGrad(), a root-namespace type, which the namespace rule lets through.)
    /// </summary>
    [Fact]
    public void Data_uses_only_Tensors_and_Kernels()
    {
        var result = Layer(Data)
            .Should().NotHaveDependencyOnAny(NN, Optim, IO, Training, Functions).GetResult();
        AssertPasses(result, "Descent.Data must use only the root namespace (Tensors) and Kernels");
    }

    /// <summary>
    /// IO ─> Tensors: safetensors saves named tensors without knowing whose they are. The ONNX exporter
    /// (<see cref="OnnxExporterTypes"/>) is the one exception: it reads the layers of a model.
    /// </summary>
    [Fact]
    public void IO_uses_only_Tensors_and_Kernels()
    {
        var result = Layer(IO).And().MeetCustomRule(new NotNamed(OnnxExporterTypes))
            .Should().NotHaveDependencyOnAny(NN, Optim, Data, Training, Functions).GetResult();
        AssertPasses(result, "Descent.IO must use only the root namespace (Tensors) and Kernels (the ONNX exporter aside)");
    }

    /// <summary>The types of IO that turn a module into an ONNX graph; the protobuf writer and the messages are not among them.</summary>
    private static readonly string[] OnnxExporterTypes = ["Descent.IO.Onnx", "Descent.IO.OnnxExporter"];

    /// <summary>IO's ONNX exporter ─> NN: it reads modules and runs them, and knows no optimizer, data set or trainer.</summary>
    [Fact]
    public void The_ONNX_exporter_uses_NN_but_not_Optim_Data_Training_or_Functions()
    {
        var exporter = LibraryTypes().That().MeetCustomRule(new Not(new NotNamed(OnnxExporterTypes)));
        Assert.Equal(OnnxExporterTypes.Length, exporter.GetTypes().Count(t => !t.IsNested));
        var result = exporter.Should().NotHaveDependencyOnAny(Optim, Data, Training, Functions).GetResult();
        AssertPasses(result, "the ONNX exporter must not use Optim, Data, Training or Functions");
    }

    /// <summary>The types outside <paramref name="names"/> (full names of outermost types, their nested types with them).</summary>
    private sealed class NotNamed(string[] names) : ICustomRule
    {
        public bool MeetsRule(TypeDefinition type)
        {
            while (type.DeclaringType is not null) type = type.DeclaringType;
            return !names.Contains(type.FullName);
        }
    }

    private sealed class Not(ICustomRule rule) : ICustomRule
    {
        public bool MeetsRule(TypeDefinition type) => !rule.MeetsRule(type);
    }

    /// <summary>Functions ─> Optim: test functions and the minimizer know no modules, data, files or trainer.</summary>
    [Fact]
    public void Functions_does_not_use_NN_Data_IO_or_Training()
    {
        var result = Layer(Functions)
            .Should().NotHaveDependencyOnAny(NN, Data, IO, Training).GetResult();
        AssertPasses(result, "Descent.Functions must not use NN, Data, IO or Training");
    }

    /// <summary>Training ─> NN, Optim, Data, IO: the trainer and checkpoints do not use the test functions or the minimizer.</summary>
    [Fact]
    public void Training_does_not_use_Functions()
    {
        var result = Layer(Training).Should().NotHaveDependencyOn(Functions).GetResult();
        AssertPasses(result, "Descent.Training must not use Functions");
    }

    /// <summary>Nothing in the library knows the plotting or the command line: neither as an assembly nor by name.</summary>
    [Fact]
    public void The_library_references_neither_Plotting_nor_Cli()
    {
        var references = Library.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        var forbidden = references.Where(n => n.StartsWith("Descent.", StringComparison.Ordinal)).ToList();
        Assert.True(forbidden.Count == 0, "the Descent assembly must reference no other Descent assembly, but references: " + string.Join(", ", forbidden));
        var result = LibraryTypes().Should().NotHaveDependencyOnAny("Descent.Plotting", "Descent.Cli", "Descent.Distributed", "Descent.Benchmarks").GetResult();
        AssertPasses(result, "the Descent library must not use Descent.Plotting, Descent.Cli, Descent.Distributed or the benchmarks");
    }

    /// <summary>The types that mean threads or vector widths.</summary>
    private static readonly string[] Threads = ["System.Threading.Thread", "System.Threading.ThreadPool", "System.Threading.Tasks"];

    private static readonly string[] Intrinsics = ["System.Runtime.Intrinsics"];

    private static readonly string[] Vectors = ["System.Numerics.Vector"];

    /// <summary>
    /// Kernels is the only folder that knows threads and vector widths: everywhere else, no Thread, ThreadPool, Task or
    /// Parallel, no hardware intrinsics (Vector128/256/512, Avx…) and no Vector&lt;T&gt;. (Interlocked, locks and
    /// [ThreadStatic] state are thread safety, not threads, and are allowed.) Optim is checked on its own below.
    /// </summary>
    [Fact]
    public void Only_Kernels_uses_threads_intrinsics_or_Vector()
    {
        var result = AllBut(Kernels, Optim)
            .Should().NotHaveDependencyOnAny([.. Threads, .. Intrinsics, .. Vectors]).GetResult();
        AssertPasses(result, "outside Descent.Kernels (and Optim) no type may use threads, System.Runtime.Intrinsics or System.Numerics.Vector");
    }

    /// <summary>
    /// An optimizer's rule may be an operator struct with a Vector&lt;T&gt; form (DESIGN.md), so Optim may use
    /// System.Numerics.Vector; it drives its passes through Kernels and never starts threads or uses hardware intrinsics.
    /// </summary>
    [Fact]
    public void Optim_uses_no_threads_or_intrinsics()
    {
        var result = Layer(Optim)
            .Should().NotHaveDependencyOnAny([.. Threads, .. Intrinsics]).GetResult();
        AssertPasses(result, "Descent.Optim must not use threads or System.Runtime.Intrinsics (Vector<T> is allowed)");
    }
}
