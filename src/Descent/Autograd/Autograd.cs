namespace Descent;

/// <summary>Records operations and runs reverse-mode differentiation.</summary>
public static partial class Autograd
{
    [ThreadStatic] private static int t_noGradDepth;
    [ThreadStatic] private static List<Action<bool>>? t_passEnded;
    [ThreadStatic] private static int t_passDepth;

    /// <summary>True when operations are recorded (outside every <see cref="NoGrad"/> scope).</summary>
    public static bool IsGradEnabled => t_noGradDepth == 0;

    /// <summary>
    /// A scope in which operations are not recorded, as PyTorch's <c>torch.no_grad()</c>:
    /// <c>using (Autograd.NoGrad()) { ... }</c>.
    /// </summary>
    public static NoGradScope NoGrad()
    {
        t_noGradDepth++;
        return new NoGradScope(false);
    }

    /// <summary>A scope in which operations are recorded even inside a <see cref="NoGrad"/> scope.</summary>
    public static NoGradScope EnableGrad()
    {
        int saved = t_noGradDepth;
        t_noGradDepth = 0;
        return new NoGradScope(true, saved);
    }

    /// <summary>Ends a <see cref="NoGrad"/> or <see cref="EnableGrad"/> scope.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        private readonly bool _restore;
        private readonly int _saved;

        internal NoGradScope(bool restore, int saved = 0)
        {
            _restore = restore;
            _saved = saved;
        }

        /// <summary>Leaves the scope.</summary>
        public void Dispose()
        {
            if (_restore) t_noGradDepth = _saved;
            else t_noGradDepth--;
        }
    }

    /// <summary>Attaches a backward rule to <paramref name="result"/> when any input requires gradients and recording is on.</summary>
    internal static Tensor Record(Tensor result, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        if (t_anomalyDepth > 0) CheckForward(result, name);
        if (!IsGradEnabled) return result;
        bool any = false;
        foreach (var t in inputs) any |= t.RequiresGrad;
        if (!any) return result;
        result.GradFn = new Node(name, inputs, backward) { CreatedAt = t_anomalyDepth > 0 && t_passDepth == 0 ? UserFrames() : null };
        result.SetRequiresGradInternal();
        return result;
    }

    /// <summary>
    /// Computes the gradient of <paramref name="root"/> with respect to every leaf that requires gradients and adds it to
    /// their <see cref="Tensor.Grad"/>.
    /// </summary>
    internal static void Backward(Tensor root, Tensor? gradient, bool retainGraph, bool createGraph)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("Backward() on a tensor that does not require gradients and has no grad_fn");
        if (gradient is null)
        {
            if (root.NumEl != 1)
                throw new InvalidOperationException($"Backward() without a gradient needs a scalar output; this one has shape {Shapes.Format(root.ShapeArray)} (pass a gradient of the same shape)");
            gradient = Tensor.OnesLike(root);
        }
        else
        {
            if (!Shapes.SameShape(gradient.ShapeArray, root.ShapeArray))
                throw new ArgumentException($"gradient has shape {Shapes.Format(gradient.ShapeArray)} but the output has shape {Shapes.Format(root.ShapeArray)}", nameof(gradient));
            root.CheckSameDType(gradient, "Backward");
        }

        var order = TopologicalOrder(root);
        var grads = new Dictionary<Tensor, Tensor>(TensorIdentity.Instance) { [root] = gradient };
        int saved = t_noGradDepth;
        var outerPassEnded = t_passEnded;
        t_passEnded = null;
        t_passDepth++;
        t_noGradDepth = createGraph ? 0 : 1;
        bool completed = false;
        try
        {
            for (int k = order.Count - 1; k >= 0; k--)
            {
                var t = order[k];
                if (!grads.Remove(t, out var g))
                {
                    if (t.GradFn is null) RunPostAccumulateGradHooks(t); // a leaf no dense gradient reached (maybe a sparse one did)
                    continue;
                }
                if (t.GradFn is null || t.RetainsGrad) Accumulate(t, g, createGraph);
                if (t.GradFn is null)
                {
                    RunPostAccumulateGradHooks(t);
                    continue;
                }
                var rule = t.GradFn.Backward
                    ?? throw new InvalidOperationException("Trying to backward through the graph a second time (its saved tensors were released after the first Backward); pass retainGraph: true to the first call");
                bool detecting = t_anomalyDepth > 0;
                if (detecting) t_anomalyNode = t.GradFn;
                var inputGrads = rule(g);
                if (detecting) t_anomalyNode = null;
                var inputs = t.GradFn.Inputs;
                for (int i = 0; i < inputs.Length; i++)
                {
                    var gi = inputGrads[i];
                    var input = inputs[i];
                    if (gi is null || !input.RequiresGrad) continue;
                    if (!Shapes.SameShape(gi.ShapeArray, input.ShapeArray))
                        throw new InvalidOperationException($"internal error: {t.GradFn.Name} produced a gradient of shape {Shapes.Format(gi.ShapeArray)} for an input of shape {Shapes.Format(input.ShapeArray)}");
                    if (detecting) CheckGradient(t.GradFn, i, gi);
                    grads[input] = grads.TryGetValue(input, out var prev) ? prev + gi : gi;
                }
                if (!retainGraph) t.GradFn.Release();
            }
            // Nodes of the graph that no gradient reached (every input's gradient was null) let go too: the whole graph
            // is done with, as PyTorch frees it.
            if (!retainGraph) foreach (var t in order) t.GradFn?.Release();
            completed = true;
        }
        finally
        {
            t_noGradDepth = saved;
            t_anomalyNode = null;
            var callbacks = t_passEnded;
            t_passEnded = null;
            try
            {
                // A pass that threw tells its callbacks so (false), that they may put their state back; the exception goes on.
                if (callbacks is not null) foreach (var callback in callbacks) callback(completed);
            }
            finally
            {
                t_passDepth--;
                t_passEnded = outerPassEnded;
            }
        }
    }

    private static void RunPostAccumulateGradHooks(Tensor leaf)
    {
        if (leaf.PostAccumulateGradHooks is { } hooks) foreach (var hook in hooks) hook(leaf);
    }

    /// <summary>
    /// Runs <paramref name="callback"/> once when the backward pass running on this thread has finished (after every
    /// gradient is accumulated and the graph released), as PyTorch's engine <c>queue_callback</c>: for a hook that
    /// must act once the whole pass is done. Its argument is true when the pass completed, false when it threw (the
    /// exception then goes on after the callbacks). Outside a backward pass it throws.
    /// </summary>
    internal static void WhenPassEnds(Action<bool> callback)
    {
        if (t_passDepth == 0)
            throw new InvalidOperationException("WhenPassEnds is for hooks running inside a backward pass");
        (t_passEnded ??= []).Add(callback);
    }

    private static void Accumulate(Tensor t, Tensor g, bool createGraph)
    {
        // A gradient outlives any TensorScope the backward pass runs in (the Grad setter sees to that).
        if (t.SparseGrad is { } sparse)
        {
            // Dense onto sparse is dense, as in PyTorch (the setter clears the sparse gradient).
            if (createGraph)
            {
                t.Grad = g + sparse.ToDense();
                return;
            }
            using (TensorScope.Suspend()) g = g.Detach().Clone().Detach();
            sparse.AddInto(g);
            t.Grad = g;
        }
        else if (t.Grad is null)
        {
            if (!createGraph)
            {
                using (TensorScope.Suspend()) g = g.Detach().Clone().Detach();
            }
            t.Grad = g;
        }
        else if (createGraph || t.Grad.RequiresGrad)
        {
            t.Grad = t.Grad + g;
        }
        else
        {
            t.Grad.AddInPlace(g);
        }
    }

    /// <summary>
    /// Adds a row-sparse gradient to the leaf <paramref name="leaf"/>'s gradient, for a backward rule that produces one
    /// (a sparse embedding): it becomes or joins <see cref="Tensor.SparseGrad"/>, or is added into a dense
    /// <see cref="Tensor.Grad"/> already there (sparse onto dense is dense, as in PyTorch).
    /// </summary>
    internal static void AccumulateSparse(Tensor leaf, RowSparseGrad g)
    {
        if (t_anomalyDepth > 0) CheckSparseGradient(leaf, g);
        if (leaf.Grad is { } dense)
        {
            if (dense.RequiresGrad || !dense.IsContiguous || !dense.IsLeaf) leaf.Grad = dense + g.ToDense();
            else g.AddInto(dense);
        }
        else
        {
            leaf.SparseGrad = leaf.SparseGrad is { } earlier ? earlier.Add(g) : g;
        }
    }

    /// <summary>Tensors reachable from <paramref name="root"/> through recorded operations, each after all its inputs.</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(TensorIdentity.Instance);
        var stack = new Stack<(Tensor Tensor, int Next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs ?? [];
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.RequiresGrad && visited.Add(child)) stack.Push((child, 0));
            }
            else
            {
                order.Add(t);
            }
        }
        return order;
    }
}
