using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Descent;

// Anomaly detection (PyTorch's torch.autograd.detect_anomaly): while a scope is open on the thread, every recorded
// operation's output and every gradient a backward rule returns is checked for NaN and infinity, and every node keeps
// the user's stack where it was created. The hooks are in Record (forward) and Backward (gradients); outside a scope
// they cost one thread-static read.
public static partial class Autograd
{
    private const int MaxUserFrames = 8;

    [ThreadStatic] private static int t_anomalyDepth;
    [ThreadStatic] private static Node? t_anomalyNode; // the node whose backward rule is running, while detecting

    /// <summary>True while an <see cref="DetectAnomaly"/> scope is open on the calling thread.</summary>
    public static bool IsAnomalyDetectionEnabled => t_anomalyDepth > 0;

    /// <summary>
    /// A scope that finds where NaN or infinity first appears, as PyTorch's <c>torch.autograd.detect_anomaly()</c>:
    /// <c>using (Autograd.DetectAnomaly()) { var loss = ...; loss.Backward(); }</c>. While it is open on this thread, the
    /// output of every operation (every differentiable one, recorded or not, also under <see cref="NoGrad"/>) is checked
    /// as it is computed, and so is every gradient an operation's backward rule returns during a backward pass; the first
    /// one holding a NaN or an infinity throws <see cref="AnomalyDetectedException"/>, naming the operation, whether it
    /// was its forward output or its backward gradient, the shape, and where the operation was created (the calling
    /// code's frames outside Descent, captured when the operation was recorded). Run the forward pass inside the scope
    /// as well as <c>Backward</c>, or the gradients are checked without the place of creation. Unlike PyTorch, which
    /// checks the backward pass only and for NaN only, infinities and the forward pass are checked too: an attention
    /// mask filled with −∞ on purpose trips it.
    /// </summary>
    /// <remarks>
    /// For debugging only: every operation is followed by a pass over its output and the capture of a stack trace with
    /// file and line numbers, which makes training many times slower. Outside a scope nothing is checked or captured.
    /// Scopes nest; each belongs to the thread that began it (a backward pass runs on the thread that calls it).
    /// </remarks>
    public static AnomalyDetectionScope DetectAnomaly()
    {
        t_anomalyDepth++;
        return new AnomalyDetectionScope();
    }

    /// <summary>Ends a <see cref="DetectAnomaly"/> scope.</summary>
    public sealed class AnomalyDetectionScope : IDisposable
    {
        private readonly int _thread = Environment.CurrentManagedThreadId;
        private bool _ended;

        internal AnomalyDetectionScope()
        {
        }

        /// <summary>Leaves the scope (once; a second call does nothing).</summary>
        /// <exception cref="InvalidOperationException">Called on another thread than the one that began the scope.</exception>
        public void Dispose()
        {
            if (_ended) return;
            if (Environment.CurrentManagedThreadId != _thread)
                throw new InvalidOperationException("an anomaly-detection scope must end on the thread that began it");
            _ended = true;
            t_anomalyDepth--;
        }
    }

    /// <summary>
    /// Record's part: throws if an operation's output is not finite. Not inside a backward pass: the gradients its rules
    /// return are checked as such, under the backward function's name.
    /// </summary>
    private static void CheckForward(Tensor result, string name)
    {
        if (t_passDepth == 0 && !result.IsAllFinite()) throw AnomalyDetectedException.Forward(ForwardName(name), result, UserFrames());
    }

    /// <summary>Backward's part: throws if the gradient <paramref name="gradient"/> that <paramref name="node"/> returned for input <paramref name="input"/> is not finite.</summary>
    private static void CheckGradient(Node node, int input, Tensor gradient)
    {
        if (!gradient.IsAllFinite()) throw AnomalyDetectedException.Backward(node.Name, input, gradient, node.CreatedAt);
    }

    /// <summary>A row-sparse gradient a rule accumulates itself (a sparse embedding's) is checked as a returned one.</summary>
    private static void CheckSparseGradient(Tensor leaf, RowSparseGrad g)
    {
        if (t_anomalyNode is not { } node || g.Values.IsAllFinite()) return;
        throw AnomalyDetectedException.Backward(node.Name, Math.Max(0, Array.IndexOf(node.Inputs, leaf)), g.Values, node.CreatedAt);
    }

    /// <summary>"MulBackward" → "Mul": the operation's name for its forward output.</summary>
    private static string ForwardName(string nodeName) => nodeName.EndsWith("Backward", StringComparison.Ordinal) ? nodeName[..^"Backward".Length] : nodeName;

    /// <summary>The calling code's frames outside Descent, innermost first (at most <see cref="MaxUserFrames"/>), one per line.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "a frame whose method metadata was trimmed is kept, only its formatting is poorer")]
    internal static string UserFrames()
    {
        var descent = typeof(Autograd).Assembly;
        var lines = new List<string>();
        foreach (var frame in new StackTrace(1, fNeedFileInfo: true).GetFrames())
        {
            if (frame.GetMethod()?.DeclaringType?.Assembly == descent) continue;
            lines.Add(new StackTrace(frame).ToString().TrimEnd());
            if (lines.Count == MaxUserFrames) break;
        }
        return lines.Count == 0 ? "   (no frame outside Descent)" : string.Join(Environment.NewLine, lines);
    }
}

/// <summary>
/// Thrown inside an <see cref="Autograd.DetectAnomaly"/> scope by the first operation whose forward output, or whose
/// backward rule's gradient, holds a NaN or an infinity. The message names the operation, the phase, the shape, the
/// non-finite elements and, on the following lines, where the operation was created.
/// </summary>
public sealed class AnomalyDetectedException : InvalidOperationException
{
    private AnomalyDetectedException(string operation, bool backward, int? input, Tensor value, string? createdAt, string message) : base(message)
    {
        Operation = operation;
        IsBackward = backward;
        Input = input;
        Shape = value.Shape;
        CreatedAt = createdAt;
    }

    internal static AnomalyDetectedException Forward(string operation, Tensor output, string createdAt) =>
        new(operation, false, null, output, createdAt,
            $"anomaly detected: the forward output of {operation} (shape {Shapes.Format(output.ShapeArray)}) is not finite: {output.DescribeNonFinite()}; " +
            $"the operation was created at:{Environment.NewLine}{createdAt}");

    internal static AnomalyDetectedException Backward(string node, int input, Tensor gradient, string? createdAt) =>
        new(node, true, input, gradient, createdAt,
            $"anomaly detected: {node} returned a gradient that is not finite for its input {input} (shape {Shapes.Format(gradient.ShapeArray)}): {gradient.DescribeNonFinite()}; " +
            (createdAt is null
                ? "the operation was recorded outside Autograd.DetectAnomaly(): run the forward pass inside the scope too to see where it was created"
                : $"the operation was created at:{Environment.NewLine}{createdAt}"));

    /// <summary>The operation: its name ("Mul", "Addmm") for a forward output, its backward function's ("MulBackward") for a gradient.</summary>
    public string Operation { get; }

    /// <summary>True for a gradient returned by the backward rule, false for the forward output.</summary>
    public bool IsBackward { get; }

    /// <summary>For a gradient, the index of the operation's input it was for (from 0); null for a forward output.</summary>
    public int? Input { get; }

    /// <summary>The shape of the non-finite output or gradient.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>
    /// Where the operation was created: the calling code's frames outside Descent, innermost first, one per line; null
    /// when it was recorded outside the scope.
    /// </summary>
    public string? CreatedAt { get; }
}
