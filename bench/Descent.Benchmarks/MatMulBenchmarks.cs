using BenchmarkDotNet.Attributes;
using Descent.Kernels;

namespace Descent.Benchmarks;

/// <summary>A GEMM problem: C[m,n] = op(A)·op(B) with op(X) = Xᵀ when the flag is set.</summary>
public sealed record MatMulShape(string Name, int M, int N, int K, bool TransA = false, bool TransB = false)
{
    /// <summary>The name BenchmarkDotNet shows in its tables.</summary>
    public override string ToString() => Name;
}

/// <summary>
/// float32 matrix products: square sizes and the forward and backward products of a 784-256-128-10 MLP at batch 128,
/// named "layer m×n×k" (dX = dY·Wᵀ reads B transposed, dW = Xᵀ·dY reads A transposed).
/// </summary>
[MemoryDiagnoser]
public class MatMulBenchmarks
{
    private float[] _a = [], _b = [], _c = [];

    public static IEnumerable<MatMulShape> Shapes() =>
    [
        new("128^3", 128, 128, 128), new("256^3", 256, 256, 256), new("512^3", 512, 512, 512), new("1024^3", 1024, 1024, 1024),
        new("fc1 128x256x784", 128, 256, 784), new("fc2 128x128x256", 128, 128, 256), new("fc3 128x10x128", 128, 10, 128),
        new("fc1.dX 128x784x256", 128, 784, 256, TransB: true), new("fc1.dW 784x256x128", 784, 256, 128, TransA: true),
        new("fc2.dX 128x256x128", 128, 256, 128, TransB: true), new("fc2.dW 256x128x128", 256, 128, 128, TransA: true),
        new("fc3.dX 128x128x10", 128, 128, 10, TransB: true), new("fc3.dW 128x10x128", 128, 10, 128, TransA: true),
    ];

    [ParamsSource(nameof(Shapes))]
    public MatMulShape Shape { get; set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _a = Enumerable.Range(0, Shape.M * Shape.K).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        _b = Enumerable.Range(0, Shape.K * Shape.N).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        _c = new float[Shape.M * Shape.N];
    }

    [Benchmark]
    public void MatMul() => Gemm.Multiply<float>(Shape.TransA, Shape.TransB, Shape.M, Shape.N, Shape.K,
        _a, Shape.TransA ? Shape.M : Shape.K, _b, Shape.TransB ? Shape.K : Shape.N, _c, Shape.N);
}
