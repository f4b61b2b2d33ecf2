using System.Numerics;

namespace Descent.Optim;

/// <summary>PyTorch's <c>lerp</c>: start + w·(end − start) for |w| &lt; 0.5, else end − (end − start)·(1 − w), each one fused multiply-add.</summary>
internal static class TorchLerp
{
    public static T Of<T>(T start, T end, T weight) where T : IFloatingPointIeee754<T> =>
        T.Abs(weight) < T.CreateTruncating(0.5)
            ? T.FusedMultiplyAdd(weight, end - start, start)
            : T.FusedMultiplyAdd(start - end, T.One - weight, end);
}
