using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace Descent.Benchmarks;

/// <summary>
/// Elementwise kernels on arrays far larger than the caches: bandwidth-bound, so read against the triad. Add and Mul are
/// the TensorPrimitives calls that the tensor operators' kernels (Descent.Kernels.AddOp, MulOp) make.
/// </summary>
public class ElementwiseBenchmarks
{
    private float[] _x = [], _y = [], _d = [];

    [Params(1 << 24)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _x = Enumerable.Range(0, N).Select(_ => (float)rng.NextDouble()).ToArray();
        _y = Enumerable.Range(0, N).Select(_ => (float)rng.NextDouble()).ToArray();
        _d = new float[N];
    }

    [Benchmark, BytesPerElement(12)]
    public void Add() => TensorPrimitives.Add(_x, _y, _d);

    [Benchmark, BytesPerElement(12)]
    public void Mul() => TensorPrimitives.Multiply(_x, _y, _d);

    [Benchmark, BytesPerElement(8)]
    public void Exp() => TensorPrimitives.Exp(_x, _d);
}
