using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>The registry's entries are complete and agree with the classes they describe.</summary>
public class OptimizerRegistryTests
{
    public static TheoryData<string> Entries()
    {
        var data = new TheoryData<string>();
        foreach (var info in OptimizerRegistry.All) data.Add(info.Name);
        return data;
    }

    [Fact]
    public void NamesAndColoursAreUnique()
    {
        Assert.Equal(OptimizerRegistry.All.Count, OptimizerRegistry.All.Select(e => e.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(OptimizerRegistry.All.Count, OptimizerRegistry.All.Select(e => e.Color).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(OptimizerRegistry.All, e => Assert.Matches("^#[0-9A-F]{6}$", e.Color));
        Assert.Same(OptimizerRegistry.Find("adam"), OptimizerRegistry.Find("ADAM"));
        Assert.Null(OptimizerRegistry.Find("adamm"));
        Assert.Equal("gd", OptimizerRegistry.ForTorchName("SGD")!.Name);
    }

    /// <summary>The teaching notes come from the class's documentation, every part present.</summary>
    [Theory]
    [MemberData(nameof(Entries))]
    public void NotesComeFromTheClassDocumentation(string name)
    {
        var notes = OptimizerRegistry.Find(name)!.Notes;
        Assert.True(notes.IsAvailable, $"{name}: Descent.xml was not found beside Descent.dll");
        foreach (var (part, text) in new[] { ("summary", notes.Summary), ("rule", notes.Rule), ("principle", notes.Principle),
            ("strengths", notes.Strengths), ("weaknesses", notes.Weaknesses), ("suits", notes.Suits) })
            Assert.False(string.IsNullOrWhiteSpace(text), $"{name}: the class documentation has no {part}");
        Assert.DoesNotContain("<", notes.Principle + notes.Strengths + notes.Weaknesses + notes.Suits, StringComparison.Ordinal);
    }

    [Fact]
    public void NotesReadTheDocumentationAsWritten()
    {
        var adam = OptimizerRegistry.Find("adam")!.Notes;
        Assert.StartsWith("Adam: adaptive moment estimation, as torch.optim.Adam", adam.Summary, StringComparison.Ordinal);
        Assert.Contains("m ← β₁m + (1 − β₁)g\nv ← β₂v + (1 − β₂)g²", adam.Rule, StringComparison.Ordinal);
        Assert.StartsWith("Momentum (the first moment m) combined with RMSprop's per-parameter scaling", adam.Principle, StringComparison.Ordinal);
        Assert.Contains("(use AdamW for true decay)", adam.Weaknesses, StringComparison.Ordinal); // a <see cref> read as its name
    }

    /// <summary>
    /// What an entry says its step moves per parameter is what it keeps: parameter read and written, gradient read, and
    /// each state buffer read and written, 4 bytes each in float32.
    /// </summary>
    [Theory]
    [MemberData(nameof(Entries))]
    public void BytesPerParameterMatchTheStateKept(string name)
    {
        var info = OptimizerRegistry.Find(name)!;
        if (!info.IsElementwise) return;
        var p = OptimizerTable.Parameters(DType.Float32, [10])[0];
        var optimizer = (FirstOrderOptimizer)info.Create([p]);
        p.Grad = OptimizerTable.Gradient(p, 0, 0);
        optimizer.Step();
        Assert.Equal(12 + 8 * optimizer.StateOf(p)!.Tensors.Count, info.BytesPerParameter);
    }

    /// <summary>The constructors restate the defaults as named arguments (C# needs constants there): they must agree.</summary>
    [Theory]
    [MemberData(nameof(Entries))]
    public void ConstructorDefaultsAreTheDeclaredDefaults(string name)
    {
        var info = OptimizerRegistry.Find(name)!;
        if (info.TorchName is null) return; // a preset of another class (momentum, nesterov)
        var ctor = info.OptimizerType.GetConstructors().Single(c => c.GetParameters()[0].ParameterType == typeof(IEnumerable<Tensor>)
            && c.GetParameters().Length > 2);
        int checkedCount = 0;
        foreach (var h in info.Hyperparameters)
        {
            var parameter = ctor.GetParameters().FirstOrDefault(p => string.Equals(p.Name, h.Name, StringComparison.OrdinalIgnoreCase));
            if (parameter is null || !parameter.HasDefaultValue) continue;
            object? declared = h.ValueIn(info.Defaults);
            object? restated = parameter.DefaultValue ?? (h.IsTuple ? declared : null); // tuples default through null
            Assert.True(Equals(declared, restated), $"{name}.{h.Name}: the constructor says {restated}, the options {declared}");
            checkedCount++;
        }
        Assert.True(checkedCount >= info.Hyperparameters.Count - 2, $"{name}: only {checkedCount} defaults compared");
    }

    /// <summary>Every valid configuration survives the state dict: the hyperparameters by PyTorch's names and back.</summary>
    [Theory]
    [MemberData(nameof(Entries))]
    public void OptionsRoundTripThroughTheirPyTorchNames(string name)
    {
        var info = OptimizerRegistry.Find(name)!;
        var configurations = info.ValidConfigurations;
        for (int k = 0; k < configurations.Count; k++)
        {
            var options = configurations[k];
            // Loaded into the defaults and into another configuration: nothing of the one it lands in may stay behind
            // (an optional count left unset, a choice that is "none").
            Assert.Equal(options, info.Defaults.FromStateValues(options.ToDictionary()));
            Assert.Equal(options, configurations[(k + 1) % configurations.Count].FromStateValues(options.ToDictionary()));
            var optimizer = info.Create([Tensor.Zeros(info.MatricesOnly ? [1, 2] : [2], requiresGrad: true)], options);
            Assert.Equal(options, optimizer.ParamGroups[0].Options);
        }
    }

    [Fact]
    public void AnUnsetEvaluationBudgetSurvivesTheStateDict()
    {
        var saved = new LBFGSOptions { MaxIter = 8 };
        var loaded = (LBFGSOptions)new LBFGSOptions { MaxEval = 30 }.FromStateValues(saved.ToDictionary());
        Assert.Null(loaded.MaxEval);
        Assert.Equal(10, loaded.EvaluationBudget); // PyTorch's max_iter·5/4
    }

    [Fact]
    public void PyTorchsImplementationFlagsAreAcceptedAndChangeNothing()
    {
        // A parameter group as PyTorch 2's state_dict() writes it, with flags that choose a code path, not a result.
        var group = new Dictionary<string, object>
        {
            ["lr"] = 0.01, ["betas"] = new[] { 0.8, 0.99 }, ["eps"] = 1e-8, ["weight_decay"] = 0.0, ["amsgrad"] = false,
            ["maximize"] = false, ["foreach"] = false, ["capturable"] = false, ["differentiable"] = false, ["fused"] = false,
        };
        Assert.Equal(new AdamOptions(0.01) { Betas = (0.8, 0.99) }, new AdamOptions().FromStateValues(group));
    }

    [Fact]
    public void OptionsOfAnotherOptimizerAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => OptimizerRegistry.Find("adam")!.Create([Tensor.Zeros([2], requiresGrad: true)], new SGDOptions(0.1)));
        Assert.Contains("AdamOptions", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownHyperparameterNamesAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new AdamOptions().WithValues(new Dictionary<string, object> { ["momentum"] = 0.9 }));
        Assert.Contains("AdamOptions has no hyperparameter 'momentum'", e.Message, StringComparison.Ordinal);
    }
}
