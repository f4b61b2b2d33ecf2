namespace Descent.NN;

/// <summary>
/// The base of every layer and model, as PyTorch's <c>nn.Module</c>: it owns named parameters, buffers and child
/// modules, and maps an input to an output in <see cref="Forward"/>. Register what a module owns in its constructor
/// with <see cref="RegisterParameter"/>, <see cref="RegisterBuffer"/> and <see cref="RegisterModule{T}"/>; names are
/// then dotted like PyTorch's (<c>layers.0.weight</c>).
/// </summary>
public abstract class Module
{
    private readonly List<KeyValuePair<string, Tensor>> _parameters = [];
    private readonly List<KeyValuePair<string, Tensor>> _buffers = [];
    private readonly List<KeyValuePair<string, Module>> _children = [];

    /// <summary>True in training mode (dropout active), false after <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Computes the module's output.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Registers a trainable tensor (its <see cref="Tensor.RequiresGrad"/> is set) and returns it.</summary>
    protected Tensor RegisterParameter(string name, Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        CheckName(name);
        if (!parameter.IsLeaf) throw new ArgumentException($"parameter '{name}' must be a leaf tensor (create it directly or Detach() it)", nameof(parameter));
        parameter.RequiresGrad = true;
        TensorScope.Escape(parameter);
        _parameters.Add(new(name, parameter));
        return parameter;
    }

    /// <summary>Registers a tensor saved in the state dict but not trained (running statistics, masks), and returns it.</summary>
    protected Tensor RegisterBuffer(string name, Tensor buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        CheckName(name);
        TensorScope.Escape(buffer);
        _buffers.Add(new(name, buffer));
        return buffer;
    }

    /// <summary>Registers a child module and returns it.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName(name);
        _children.Add(new(name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"a module member needs a non-empty name without dots, got '{name}'", nameof(name));
        if (_parameters.Any(p => p.Key == name) || _buffers.Any(b => b.Key == name) || _children.Any(c => c.Key == name))
            throw new ArgumentException($"'{name}' is already registered in {GetType().Name}", nameof(name));
    }

    /// <summary>Every trainable tensor of this module and its children, in registration order.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>Every trainable tensor with its dotted name.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix = "")
    {
        foreach (var p in _parameters) yield return new(prefix + p.Key, p.Value);
        foreach (var c in _children)
            foreach (var p in c.Value.NamedParameters(prefix + c.Key + ".")) yield return p;
    }

    /// <summary>Every buffer with its dotted name.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers(string prefix = "")
    {
        foreach (var b in _buffers) yield return new(prefix + b.Key, b.Value);
        foreach (var c in _children)
            foreach (var b in c.Value.NamedBuffers(prefix + c.Key + ".")) yield return b;
    }

    /// <summary>The direct children with their names.</summary>
    public IEnumerable<KeyValuePair<string, Module>> NamedChildren() => _children;

    /// <summary>Switches this module and its children to training mode (or evaluation mode with false).</summary>
    public Module Train(bool training = true)
    {
        IsTraining = training;
        foreach (var c in _children) c.Value.Train(training);
        return this;
    }

    /// <summary>Switches to evaluation mode (dropout off).</summary>
    public Module Eval() => Train(false);

    /// <summary>Every parameter and buffer by dotted name (the tensors themselves, not copies).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var p in NamedParameters()) state[p.Key] = p.Value;
        foreach (var b in NamedBuffers()) state[b.Key] = b.Value;
        return state;
    }

    /// <summary>
    /// Copies tensors into this module's parameters and buffers by name. Everything is checked before anything is
    /// copied: with <paramref name="strict"/>, missing and unexpected names are errors; shapes and dtypes must match.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = CheckStateDict(state, strict);
        using (Autograd.NoGrad())
        {
            foreach (var (name, target) in own)
                if (state.TryGetValue(name, out var source)) target.CopyFrom_(source);
        }
    }

    /// <summary>
    /// Throws as <see cref="LoadStateDict"/> does when <paramref name="state"/> does not fit, changing nothing; returns the
    /// module's own state dict (its live tensors).
    /// </summary>
    internal Dictionary<string, Tensor> CheckStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = StateDict();
        if (strict)
        {
            var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
            var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new ArgumentException($"state dict does not match {GetType().Name}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]", nameof(state));
        }
        foreach (var (name, target) in own)
        {
            if (!state.TryGetValue(name, out var source)) continue;
            if (!Shapes.SameShape(source.ShapeArray, target.ShapeArray))
                throw new ArgumentException($"'{name}': shape {Shapes.Format(source.ShapeArray)} in the state dict, {Shapes.Format(target.ShapeArray)} in the model", nameof(state));
            if (source.DType != target.DType)
                throw new ArgumentException($"'{name}': dtype {source.DType.Name()} in the state dict, {target.DType.Name()} in the model", nameof(state));
        }
        return own;
    }

    /// <summary>Converts every parameter and buffer to <paramref name="dtype"/> in place (parameters stay leaves).</summary>
    public Module To(DType dtype)
    {
        for (int i = 0; i < _parameters.Count; i++)
            if (_parameters[i].Value.DType != dtype)
                _parameters[i] = new(_parameters[i].Key, _parameters[i].Value.Detach().To(dtype).RequiresGrad_());
        // Only floating-point buffers follow (as PyTorch's): counters such as num_batches_tracked stay int64.
        for (int i = 0; i < _buffers.Count; i++)
            if (_buffers[i].Value.DType.IsFloatingPoint() && _buffers[i].Value.DType != dtype)
                _buffers[i] = new(_buffers[i].Key, _buffers[i].Value.Detach().To(dtype));
        foreach (var c in _children) c.Value.To(dtype);
        OnDTypeChanged();
        return this;
    }

    /// <summary>Lets a module refresh fields that point at its parameters after <see cref="To(DType)"/>.</summary>
    protected virtual void OnDTypeChanged()
    {
    }

    /// <summary>The parameter registered under <paramref name="name"/> in this module (not its children).</summary>
    protected Tensor GetParameter(string name) => _parameters.First(p => p.Key == name).Value;

    /// <summary>The buffer registered under <paramref name="name"/> in this module (not its children).</summary>
    protected Tensor GetBuffer(string name) => _buffers.First(b => b.Key == name).Value;

    /// <summary>The number of trainable scalars.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.NumEl);
}
