namespace Descent.Optim;

/// <summary>
/// Hooks, as PyTorch 2's: code that runs around every step (logging, gradient surgery, a weight average, a check of the
/// parameters) or around saving and loading the state dict (renaming, migrating an old format), without subclassing.
/// </summary>
public abstract partial class Optimizer
{
    private readonly HookList<Action<Optimizer>> _stepPreHooks = new();
    private readonly HookList<Action<Optimizer>> _stepPostHooks = new();
    private readonly HookList<Action<Optimizer>> _stateDictPreHooks = new();
    private readonly HookList<Func<Optimizer, OptimizerStateDict, OptimizerStateDict?>> _stateDictPostHooks = new();
    private readonly HookList<Func<Optimizer, OptimizerStateDict, OptimizerStateDict?>> _loadStateDictPreHooks = new();
    private readonly HookList<Action<Optimizer>> _loadStateDictPostHooks = new();

    /// <summary>
    /// Runs <paramref name="hook"/> before every step, <see cref="Step(Func{Tensor})"/> and
    /// <see cref="FirstOrderOptimizer.Step()"/> alike, in the order registered (PyTorch's <c>register_step_pre_hook</c>).
    /// The hook may change gradients or hyperparameters. Dispose the handle to remove it.
    /// </summary>
    public HookHandle RegisterStepPreHook(Action<Optimizer> hook) => Add(_stepPreHooks, hook, prepend: false);

    /// <summary>Runs <paramref name="hook"/> after every step, in the order registered (PyTorch's <c>register_step_post_hook</c>).</summary>
    public HookHandle RegisterStepPostHook(Action<Optimizer> hook) => Add(_stepPostHooks, hook, prepend: false);

    /// <summary>Runs <paramref name="hook"/> before <see cref="StateDict"/> reads the optimizer (PyTorch's <c>register_state_dict_pre_hook</c>).</summary>
    /// <param name="hook">The hook.</param>
    /// <param name="prepend">Run it before the hooks already registered instead of after them.</param>
    public HookHandle RegisterStateDictPreHook(Action<Optimizer> hook, bool prepend = false) => Add(_stateDictPreHooks, hook, prepend);

    /// <summary>
    /// Runs <paramref name="hook"/> on the state dict that <see cref="StateDict"/> built, before it is returned; the hook
    /// returns the dict to use instead, or null to keep it (changed in place or not) (PyTorch's <c>register_state_dict_post_hook</c>).
    /// </summary>
    /// <param name="hook">The hook.</param>
    /// <param name="prepend">Run it before the hooks already registered instead of after them.</param>
    public HookHandle RegisterStateDictPostHook(Func<Optimizer, OptimizerStateDict, OptimizerStateDict?> hook, bool prepend = false) =>
        Add(_stateDictPostHooks, hook, prepend);

    /// <summary>
    /// Runs <paramref name="hook"/> on the dict given to <see cref="LoadStateDict"/> before it is checked and loaded; the
    /// hook returns the dict to load instead, or null to keep it (PyTorch's <c>register_load_state_dict_pre_hook</c>).
    /// </summary>
    /// <param name="hook">The hook.</param>
    /// <param name="prepend">Run it before the hooks already registered instead of after them.</param>
    public HookHandle RegisterLoadStateDictPreHook(Func<Optimizer, OptimizerStateDict, OptimizerStateDict?> hook, bool prepend = false) =>
        Add(_loadStateDictPreHooks, hook, prepend);

    /// <summary>Runs <paramref name="hook"/> after <see cref="LoadStateDict"/> has loaded a dict (PyTorch's <c>register_load_state_dict_post_hook</c>).</summary>
    /// <param name="hook">The hook.</param>
    /// <param name="prepend">Run it before the hooks already registered instead of after them.</param>
    public HookHandle RegisterLoadStateDictPostHook(Action<Optimizer> hook, bool prepend = false) => Add(_loadStateDictPostHooks, hook, prepend);

    private static HookHandle Add<THook>(HookList<THook> hooks, THook hook, bool prepend) where THook : Delegate
    {
        ArgumentNullException.ThrowIfNull(hook);
        return hooks.Add(hook, prepend);
    }

    private protected void RunStepPreHooks() => Run(_stepPreHooks);

    private protected void RunStepPostHooks() => Run(_stepPostHooks);

    private void Run(HookList<Action<Optimizer>> hooks)
    {
        var current = hooks.Current;
        for (int i = 0; i < current.Length; i++) current[i](this);
    }

    private OptimizerStateDict Transform(HookList<Func<Optimizer, OptimizerStateDict, OptimizerStateDict?>> hooks, OptimizerStateDict dict)
    {
        var current = hooks.Current;
        for (int i = 0; i < current.Length; i++) dict = current[i](this, dict) ?? dict;
        return dict;
    }
}

/// <summary>
/// Hooks kept as an array replaced on every change (copy on write): running them reads the array without allocating,
/// and a hook may remove itself, or another, while they run.
/// </summary>
internal sealed class HookList<THook> where THook : Delegate
{
    private readonly Lock _lock = new();
    private (object Id, THook Hook)[] _entries = [];

    /// <summary>The hooks now registered, in the order they run.</summary>
    public THook[] Current { get; private set; } = [];

    public HookHandle Add(THook hook, bool prepend)
    {
        // Each registration has its own identity: a delegate registered twice runs twice and each handle removes one.
        var id = new object();
        Change(entries => prepend ? [(id, hook), .. entries] : [.. entries, (id, hook)]);
        return new HookHandle(() => Change(entries => [.. entries.Where(e => e.Id != id)]));
    }

    private void Change(Func<(object Id, THook Hook)[], (object Id, THook Hook)[]> change)
    {
        lock (_lock)
        {
            _entries = change(_entries);
            Current = [.. _entries.Select(e => e.Hook)];
        }
    }
}
