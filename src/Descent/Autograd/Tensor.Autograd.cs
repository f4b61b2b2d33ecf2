namespace Descent;

// The tensor's side of reverse-mode differentiation: whether it requires gradients, the gradient it accumulates, the
// operation that produced it (its node in the graph), Detach and Backward. The operations themselves, each a forward
// kernel call and its backward rule, are the Tensor.*.cs files in Ops/.
public sealed partial class Tensor
{
    private bool _requiresGrad;
    internal Node? GradFn;
    internal bool RetainsGrad;
    private Tensor? _grad;
    private RowSparseGrad? _sparseGrad;

    /// <summary>
    /// Whether operations on this tensor are recorded for <see cref="Backward(Tensor?, bool, bool)"/>. Only leaf
    /// tensors (created by the user, not by an operation) may have it set; gradients then accumulate in <see cref="Grad"/>.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (!value && GradFn is not null)
                throw new InvalidOperationException("RequiresGrad can only be cleared on a leaf tensor; use Detach() to leave the graph");
            if (value && !DType.IsFloatingPoint())
                throw new InvalidOperationException($"only floating-point tensors can require gradients, this one is {DType.Name()}");
            _requiresGrad = value;
        }
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor, for chaining.</summary>
    public Tensor RequiresGrad_(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>
    /// The accumulated gradient, or null when none has been computed (or it was reset by ZeroGrad). A gradient set
    /// inside a <see cref="TensorScope"/> outlives the scope. A tensor has one gradient: setting this one clears
    /// <see cref="SparseGrad"/>.
    /// </summary>
    public Tensor? Grad
    {
        get => _grad;
        set
        {
            if (value is not null)
            {
                TensorScope.Escape(value);
                _sparseGrad = null;
            }
            _grad = value;
        }
    }

    /// <summary>
    /// The accumulated gradient when it is row-sparse (what <c>Embedding(sparse: true)</c> produces), or null. A tensor
    /// has one gradient: it is either dense, in <see cref="Grad"/>, or row-sparse, here; setting this one clears
    /// <see cref="Grad"/>, and a dense gradient accumulated onto a sparse one makes the sum dense (as in PyTorch).
    /// </summary>
    /// <exception cref="ArgumentException">The gradient's shape or dtype is not this tensor's.</exception>
    public RowSparseGrad? SparseGrad
    {
        get => _sparseGrad;
        set
        {
            if (value is not null)
            {
                if (!Shapes.SameShape(value.ShapeArray, ShapeArray) || value.DType != DType)
                    throw new ArgumentException($"a sparse gradient of shape {Shapes.Format(value.ShapeArray)} and dtype {value.DType.Name()} does not fit a tensor of shape {Shapes.Format(ShapeArray)} and dtype {DType.Name()}", nameof(value));
                TensorScope.Escape(value.Indices);
                TensorScope.Escape(value.Values);
                _grad = null;
            }
            _sparseGrad = value;
        }
    }

    internal Action<Tensor>[]? PostAccumulateGradHooks;

    /// <summary>
    /// Runs <paramref name="hook"/> with this leaf tensor each time a backward pass has finished its gradient: when the
    /// pass reaches the leaf, every contribution of that pass has been added to <see cref="Grad"/> (or
    /// <see cref="SparseGrad"/>), and the rest of the pass no longer touches it (PyTorch's
    /// <c>register_post_accumulate_grad_hook</c>). The hook runs for every pass whose graph holds the leaf, also when
    /// no gradient reached it; it may read and change the gradient. Data-parallel training starts sending a bucket of
    /// gradients as soon as their hooks have run, while the pass goes on. Dispose the handle to remove the hook.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is not a leaf that requires gradients.</exception>
    public HookHandle RegisterPostAccumulateGradHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!IsLeaf || !RequiresGrad)
            throw new InvalidOperationException("RegisterPostAccumulateGradHook needs a leaf tensor that requires gradients (a parameter)");
        lock (this) PostAccumulateGradHooks = [.. PostAccumulateGradHooks ?? [], hook];
        return new HookHandle(() =>
        {
            lock (this) PostAccumulateGradHooks = PostAccumulateGradHooks?.Where(h => h != hook).ToArray() is { Length: > 0 } rest ? rest : null;
        });
    }

    /// <summary>True when the tensor was created by the user rather than recorded from an operation.</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>The name of the operation that produced this tensor ("AddBackward"...), or null for a leaf.</summary>
    public string? GradFnName => GradFn?.Name;

    /// <summary>Asks a non-leaf tensor to keep its gradient in <see cref="Grad"/> during backward.</summary>
    public void RetainGrad()
    {
        if (!_requiresGrad) throw new InvalidOperationException("RetainGrad() on a tensor that does not require gradients");
        RetainsGrad = true;
    }

    internal void SetRequiresGradInternal() => _requiresGrad = true;

    /// <summary>A tensor sharing this one's storage but outside the graph (no gradient flows through it).</summary>
    public Tensor Detach() => new(Storage, ShapeArray, StridesArray, Offset, DType);

    /// <summary>
    /// Computes gradients of this tensor with respect to the leaves of its graph and adds them to their <see cref="Grad"/>.
    /// A non-scalar tensor needs <paramref name="gradient"/> (the vector of the vector–Jacobian product). The graph's saved
    /// tensors are released afterwards unless <paramref name="retainGraph"/>; <paramref name="createGraph"/> records the
    /// backward pass itself so that gradients can be differentiated again.
    /// </summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        Autograd.Backward(this, gradient, retainGraph || createGraph, createGraph);
}
