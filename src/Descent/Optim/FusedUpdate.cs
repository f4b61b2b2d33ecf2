using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>
/// Runs an elementwise rule over one parameter with the fused driver: the float32 or the float64 form of the rule,
/// whichever matches the parameter's dtype. Parameter, gradient and state buffers are contiguous and of the parameter's
/// shape and dtype (the optimizer base checks the gradient; <see cref="ParamState.Buffer"/> makes the buffers).
/// </summary>
internal static class FusedUpdate
{
    public static void Run<TRule32, TRule64>(Tensor parameter, Tensor grad, bool maximize, TRule32 rule32, TRule64 rule64,
        Tensor? s0 = null, Tensor? s1 = null, Tensor? s2 = null)
        where TRule32 : struct, IUpdateRule<float>
        where TRule64 : struct, IUpdateRule<double>
    {
        if (parameter.DType == DType.Float32) Launch<float, TRule32>(parameter, grad, maximize, rule32, s0, s1, s2);
        else Launch<double, TRule64>(parameter, grad, maximize, rule64, s0, s1, s2);
    }

    /// <summary>
    /// The same rule over the rows a row-sparse gradient touches (<see cref="RowSparseGrad.Indices"/>), its values as
    /// their gradient: only those rows of the parameter and of the state buffers are read and written.
    /// </summary>
    public static void RunRows<TRule32, TRule64>(Tensor parameter, RowSparseGrad grad, bool maximize, TRule32 rule32, TRule64 rule64,
        Tensor? s0 = null, Tensor? s1 = null, Tensor? s2 = null)
        where TRule32 : struct, IUpdateRule<float>
        where TRule64 : struct, IUpdateRule<double>
    {
        if (parameter.DType == DType.Float32) LaunchRows<float, TRule32>(parameter, grad, maximize, rule32, s0, s1, s2);
        else LaunchRows<double, TRule64>(parameter, grad, maximize, rule64, s0, s1, s2);
    }

    private static void Launch<T, TRule>(Tensor p, Tensor g, bool maximize, TRule rule, Tensor? s0, Tensor? s1, Tensor? s2)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRule : struct, IUpdateRule<T>
    {
        var k = Kernel<T, TRule>(p, g, maximize, rule, s0, s1, s2);
        OptimParallel.For(ref k, p.NumEl);
    }

    private static void LaunchRows<T, TRule>(Tensor p, RowSparseGrad g, bool maximize, TRule rule, Tensor? s0, Tensor? s1, Tensor? s2)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRule : struct, IUpdateRule<T>
    {
        var k = new RowUpdateKernel<T, TRule>
        {
            Dense = Kernel<T, TRule>(p, g.Values, maximize, rule, s0, s1, s2),
            Rows = (long[])g.Indices.Storage, RowsOff = g.Indices.Offset, RowLength = g.RowLength,
        };
        OptimParallel.For(ref k, g.Values.NumEl);
    }

    private static UpdateKernel<T, TRule> Kernel<T, TRule>(Tensor p, Tensor g, bool maximize, TRule rule, Tensor? s0, Tensor? s1, Tensor? s2)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRule : struct, IUpdateRule<T> =>
        new()
        {
            Rule = rule,
            P = (T[])p.Storage, POff = p.Offset, G = (T[])g.Storage, GOff = g.Offset,
            S0 = (T[]?)s0?.Storage ?? [], S0Off = s0?.Offset ?? 0,
            S1 = (T[]?)s1?.Storage ?? [], S1Off = s1?.Offset ?? 0,
            S2 = (T[]?)s2?.Storage ?? [], S2Off = s2?.Offset ?? 0,
            Has0 = s0 is not null, Has1 = s1 is not null, Has2 = s2 is not null, Maximize = maximize, ScalarOnly = UpdateKernels.IsScalarOnly,
        };
}
