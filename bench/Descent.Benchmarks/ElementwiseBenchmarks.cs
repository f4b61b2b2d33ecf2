using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using Descent.Kernels;

namespace Descent.Benchmarks;

/// <summary>Elementwise kernels on arrays far larger than the caches: bandwidth-bound, so read against the triad.</summary>
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
    public void Add() => AddOp.Apply<float>(_x, _y, _d);

    [Benchmark, BytesPerElement(12)]
    public void Mul() => MulOp.Apply<float>(_x, _y, _d);

    [Benchmark, BytesPerElement(8)]
    public void Exp() => TensorPrimitives.Exp(_x, _d);
}
