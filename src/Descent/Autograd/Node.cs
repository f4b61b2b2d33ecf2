namespace Descent;

/// <summary>
/// One recorded operation: its inputs and the rule that turns the output's gradient into theirs. After a backward pass
/// without retainGraph the node lets go of both (the rule's closure holds the saved tensors, the inputs hold the rest of
/// the graph), so that a tensor kept afterwards (a loss kept for logging) pins only itself, its node and its name.
/// </summary>
internal sealed class Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
{
    public string Name { get; } = name;

    /// <summary>Where the operation was created (the user's frames), when it was recorded inside <see cref="Autograd.DetectAnomaly"/>; else null.</summary>
    public string? CreatedAt { get; init; }

    /// <summary>Empty once the graph has been released after a backward pass.</summary>
    public Tensor[] Inputs { get; private set; } = inputs;

    /// <summary>Null once the graph has been released after a backward pass.</summary>
    public Func<Tensor, Tensor?[]>? Backward { get; private set; } = backward;

    public void Release()
    {
        Backward = null;
        Inputs = [];
    }
}
