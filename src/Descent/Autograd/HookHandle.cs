namespace Descent;

/// <summary>A registered hook (of a tensor, an optimizer); <see cref="Dispose"/> (or <see cref="Remove"/>) removes it. Removing twice does nothing.</summary>
public sealed class HookHandle : IDisposable
{
    private Action? _remove;

    internal HookHandle(Action remove) => _remove = remove;

    /// <summary>Removes the hook.</summary>
    public void Remove() => Interlocked.Exchange(ref _remove, null)?.Invoke();

    /// <summary>Removes the hook.</summary>
    public void Dispose() => Remove();
}
