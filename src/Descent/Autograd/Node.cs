namespace Descent;

/// <summary>One recorded operation: its inputs and the rule that turns the output's gradient into theirs.</summary>
internal sealed class Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
{
    public string Name { get; } = name;
    public Tensor[] Inputs { get; private set; } = inputs;

    /// <summary>Null once the graph has been released after a backward pass.</summary>
    public Func<Tensor, Tensor?[]>? Backward { get; private set; } = backward;

    public void Release()
    {
        Backward = null;
    }
}
