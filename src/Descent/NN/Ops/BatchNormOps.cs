using System.Numerics;
using Descent.Kernels;

namespace Descent.NN;

/// <summary>Batch normalisation: validation, statistics and the running averages here, the passes over channels in <see cref="BatchNormChannels"/>.</summary>
internal static class BatchNormOps
{
    /// <summary>
    /// (x − mean)·rstd·weight + bias per channel (dim 1) of x [N, C, *], rstd = 1/√(var + eps). In training mode mean and
    /// the biased var are the batch's (over N and the spatial dims), and the running statistics, when given, are updated in
    /// place: running ← (1 − momentum)·running + momentum·batch, with the unbiased variance for running_var. Otherwise the
    /// running statistics normalise. Backward, with x̂ = (x − mean)·rstd and ĝ = g·weight: with batch statistics
    /// dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) (the gradient through the statistics included), else dx = rstd·ĝ; and
    /// dweight = Σ g·x̂, dbias = Σ g over all dims but the channel.
    /// </summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, double momentum, double eps)
    {
        var layout = Validate(input, runningMean, runningVar, weight, bias, training, momentum, eps);
        int channels = layout.Channels;
        var xc = input.Contiguous().Detach();
        var wc = weight?.Contiguous().Detach();
        var mean = new double[channels];
        var rstd = new double[channels];
        if (training)
        {
            var squares = new double[channels];
            if (input.DType == DType.Float32) BatchNormChannels.Stats((float[])xc.Storage, xc.Offset, layout, mean, squares);
            else BatchNormChannels.Stats((double[])xc.Storage, xc.Offset, layout, mean, squares);
            int n = layout.PerChannel;
            for (int c = 0; c < channels; c++) rstd[c] = 1 / Math.Sqrt(squares[c] / n + eps);
            if (runningMean is not null && runningVar is not null) UpdateRunningStats(runningMean, runningVar, mean, squares, n, momentum);
        }
        else
        {
            runningMean!.ToDoubleArray().CopyTo(mean, 0);
            var variance = runningVar!.ToDoubleArray();
            for (int c = 0; c < channels; c++) rstd[c] = 1 / Math.Sqrt(variance[c] + eps);
        }
        var y = new Tensor(input.Shape, input.DType);
        var (scale, shift) = ScaleAndShift(wc, bias, mean, rstd);
        if (input.DType == DType.Float32) Normalize<float>(xc, y, layout, scale, shift);
        else Normalize<double>(xc, y, layout, scale, shift);

        var inputs = new List<Tensor> { input };
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        return Autograd.Record(y, "NativeBatchNormBackward", [.. inputs], g =>
        {
            var (gx, gw, gb) = Autograd.IsGradEnabled
                ? ComposedBackward(input, weight, g, mean, rstd, training, eps)
                : FusedBackward(xc, wc, g.Contiguous(), layout, mean, rstd, training, input.RequiresGrad, weight is { RequiresGrad: true }, bias is { RequiresGrad: true });
            var result = new List<Tensor?> { gx };
            if (weight is not null) result.Add(gw);
            if (bias is not null) result.Add(bias.RequiresGrad ? gb : null);
            return [.. result];
        });
    }

    private static ChannelLayout Validate(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, double momentum, double eps)
    {
        input.CheckFloat("batch_norm");
        if (input.Rank < 2)
            throw new ArgumentException($"batch_norm: input must be [N, C, *] (at least 2 dimensions), got shape {Shapes.Format(input.ShapeArray)}", nameof(input));
        int channels = input.ShapeArray[1];
        foreach (var (t, name) in new[] { (runningMean, nameof(runningMean)), (runningVar, nameof(runningVar)), (weight, nameof(weight)), (bias, nameof(bias)) })
        {
            if (t is null) continue;
            input.CheckSameDType(t, "batch_norm");
            if (t.Rank != 1 || t.ShapeArray[0] != channels)
                throw new ArgumentException($"batch_norm: {name} of shape {Shapes.Format(t.ShapeArray)} must be [{channels}], one value per channel of the input of shape {Shapes.Format(input.ShapeArray)}", name);
        }
        if ((runningMean is null) != (runningVar is null))
            throw new ArgumentException("batch_norm: runningMean and runningVar must be given together", runningMean is null ? nameof(runningMean) : nameof(runningVar));
        if (!training && runningMean is null)
            throw new ArgumentException("batch_norm: evaluation mode (training: false) normalises with runningMean and runningVar, which are null", nameof(runningMean));
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, $"eps must be >= 0, got {eps}");
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"momentum must be in [0, 1], got {momentum}");
        // N·S, without overflow: an input without elements may have sizes whose product does not fit an int.
        long perChannel = Shapes.Product([input.ShapeArray[0], .. input.ShapeArray.AsSpan(2)]);
        var layout = new ChannelLayout(input.ShapeArray[0], channels, Shapes.Extent(input.ShapeArray.AsSpan(2), input.NumEl));
        if (training && perChannel <= 1)
            throw new ArgumentException($"Expected more than 1 value per channel when training, got input size {Shapes.Format(input.ShapeArray)}", nameof(input));
        return layout;
    }

    /// <summary>running ← momentum·batch + (1 − momentum)·running, the variance unbiased (Σ(x − mean)²/(n − 1)), as PyTorch orders it.</summary>
    private static void UpdateRunningStats(Tensor runningMean, Tensor runningVar, double[] mean, double[] squares, int n, double momentum)
    {
        var rm = runningMean.ToDoubleArray();
        var rv = runningVar.ToDoubleArray();
        for (int c = 0; c < rm.Length; c++)
        {
            rm[c] = momentum * mean[c] + (1 - momentum) * rm[c];
            rv[c] = momentum * (squares[c] / (n - 1)) + (1 - momentum) * rv[c];
        }
        using (Autograd.NoGrad())
        {
            runningMean.CopyFrom_(Tensor.FromArray(rm));
            runningVar.CopyFrom_(Tensor.FromArray(rv));
        }
    }

    /// <summary>scale = weight·rstd and shift = bias − mean·scale per channel, so that y = x·scale + shift.</summary>
    private static (double[] Scale, double[] Shift) ScaleAndShift(Tensor? weight, Tensor? bias, double[] mean, double[] rstd)
    {
        var w = weight?.ToDoubleArray();
        var b = bias?.ToDoubleArray();
        var scale = new double[mean.Length];
        var shift = new double[mean.Length];
        for (int c = 0; c < mean.Length; c++)
        {
            scale[c] = rstd[c] * (w is null ? 1 : w[c]);
            shift[c] = (b is null ? 0 : b[c]) - mean[c] * scale[c];
        }
        return (scale, shift);
    }

    private static void Normalize<T>(Tensor x, Tensor y, ChannelLayout layout, double[] scale, double[] shift)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        BatchNormChannels.Normalize((T[])x.Storage, x.Offset, (T[])y.Storage, layout,
            [.. scale.Select(T.CreateTruncating)], [.. shift.Select(T.CreateTruncating)]);

    private static (Tensor? Gx, Tensor? Gw, Tensor? Gb) FusedBackward(Tensor x, Tensor? w, Tensor g, ChannelLayout layout, double[] mean,
        double[] rstd, bool batchStats, bool needX, bool needW, bool needB)
    {
        int[] channelShape = [layout.Channels];
        var gx = needX ? new Tensor(x.Shape, x.DType) : null;
        var gw = needW ? new Tensor(channelShape, x.DType) : null;
        var gb = needB ? new Tensor(channelShape, x.DType) : null;
        if (x.DType == DType.Float32) Backward<float>(x, w, g, gx, gw, gb, layout, mean, rstd, batchStats);
        else Backward<double>(x, w, g, gx, gw, gb, layout, mean, rstd, batchStats);
        return (gx, gw, gb);
    }

    private static void Backward<T>(Tensor x, Tensor? w, Tensor g, Tensor? gx, Tensor? gw, Tensor? gb, ChannelLayout layout,
        double[] mean, double[] rstd, bool batchStats)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        BatchNormChannels.Backward((T[])x.Storage, x.Offset, (T[])g.Storage, g.Offset, layout, mean, rstd,
            w is null ? null : w.ToArray<T>(), batchStats, (T[]?)gx?.Storage, (T[]?)gw?.Storage, (T[]?)gb?.Storage);

    /// <summary>The same gradients from differentiable operations, used when the backward pass is itself recorded.</summary>
    private static (Tensor? Gx, Tensor? Gw, Tensor? Gb) ComposedBackward(Tensor x, Tensor? w, Tensor g, double[] mean, double[] rstd,
        bool batchStats, double eps)
    {
        int[] dims = [0, .. Enumerable.Range(2, x.Rank - 2)];
        var perChannel = Enumerable.Repeat(1, x.Rank).ToArray();
        perChannel[1] = mean.Length;
        Tensor centered, r;
        if (batchStats)
        {
            centered = x - x.Mean(dims, keepDim: true);
            r = (centered.Square().Mean(dims, keepDim: true) + eps).Sqrt().Reciprocal();
        }
        else
        {
            centered = x - Tensor.FromArray(mean, perChannel).To(x.DType);
            r = Tensor.FromArray(rstd, perChannel).To(x.DType);
        }
        var xhat = centered * r;
        var gh = w is null ? g : g * w.Reshape(perChannel);
        var gx = batchStats ? r * (gh - gh.Mean(dims, keepDim: true) - xhat * (gh * xhat).Mean(dims, keepDim: true)) : gh * r;
        return (gx, w is null ? null : (g * xhat).Sum(dims), g.Sum(dims));
    }
}
