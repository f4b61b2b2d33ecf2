namespace Descent.Optim.Schedulers;

/// <summary>
/// Sets each group's learning rate to its base value times a function of the epoch: lr = base_lr · λ(epoch)
/// (PyTorch's <c>LambdaLR</c>). The functions are not part of the saved state, as in PyTorch.
/// </summary>
public sealed class LambdaLR : LRScheduler
{
    private readonly Func<int, double>[] _lambdas;

    /// <summary>Creates the schedule with one function for every group and sets the groups' epoch-0 learning rates.</summary>
    /// <param name="optimizer">The optimizer whose learning rates change.</param>
    /// <param name="lrLambda">The factor as a function of the epoch, e.g. <c>epoch =&gt; Math.Pow(0.95, epoch)</c>.</param>
    public LambdaLR(Optimizer optimizer, Func<int, double> lrLambda)
        : this(optimizer, Lambdas.Repeat(optimizer, lrLambda ?? throw new ArgumentNullException(nameof(lrLambda))))
    {
    }

    /// <summary>Creates the schedule with one function per group and sets the groups' epoch-0 learning rates.</summary>
    /// <param name="optimizer">The optimizer whose learning rates change.</param>
    /// <param name="lrLambdas">One factor function per parameter group, in order.</param>
    public LambdaLR(Optimizer optimizer, IReadOnlyList<Func<int, double>> lrLambdas) : base(optimizer)
    {
        _lambdas = Lambdas.Check(optimizer, lrLambdas);
        Initialize();
    }

    private protected override double[] ComputeLr()
    {
        var baseLrs = BaseLrs;
        return baseLrs.Select((b, i) => b * _lambdas[i](LastEpoch)).ToArray();
    }
}

/// <summary>
/// Multiplies each group's learning rate every epoch by a function of the epoch: lr ← lr · λ(epoch) for epoch &gt; 0
/// (PyTorch's <c>MultiplicativeLR</c>). The functions are not part of the saved state, as in PyTorch.
/// </summary>
public sealed class MultiplicativeLR : LRScheduler
{
    private readonly Func<int, double>[] _lambdas;

    /// <summary>Creates the schedule with one function for every group and sets the groups' epoch-0 learning rates.</summary>
    /// <param name="optimizer">The optimizer whose learning rates change.</param>
    /// <param name="lrLambda">The factor of each epoch, e.g. <c>epoch =&gt; 0.95</c>.</param>
    public MultiplicativeLR(Optimizer optimizer, Func<int, double> lrLambda)
        : this(optimizer, Lambdas.Repeat(optimizer, lrLambda ?? throw new ArgumentNullException(nameof(lrLambda))))
    {
    }

    /// <summary>Creates the schedule with one function per group and sets the groups' epoch-0 learning rates.</summary>
    /// <param name="optimizer">The optimizer whose learning rates change.</param>
    /// <param name="lrLambdas">One factor function per parameter group, in order.</param>
    public MultiplicativeLR(Optimizer optimizer, IReadOnlyList<Func<int, double>> lrLambdas) : base(optimizer)
    {
        _lambdas = Lambdas.Check(optimizer, lrLambdas);
        Initialize();
    }

    private protected override double[] ComputeLr()
    {
        var lrs = CurrentLrs();
        if (LastEpoch > 0)
            for (int i = 0; i < lrs.Length; i++) lrs[i] *= _lambdas[i](LastEpoch);
        return lrs;
    }
}

internal static class Lambdas
{
    public static Func<int, double>[] Repeat(Optimizer optimizer, Func<int, double> lambda)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return Enumerable.Repeat(lambda, optimizer.ParamGroups.Count).ToArray();
    }

    public static Func<int, double>[] Check(Optimizer optimizer, IReadOnlyList<Func<int, double>> lrLambdas)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(lrLambdas);
        if (lrLambdas.Count != optimizer.ParamGroups.Count)
            throw new ArgumentException($"lrLambdas has {lrLambdas.Count} functions, but the optimizer has {optimizer.ParamGroups.Count} parameter groups", nameof(lrLambdas));
        for (int i = 0; i < lrLambdas.Count; i++)
            if (lrLambdas[i] is null) throw new ArgumentNullException(nameof(lrLambdas), $"lrLambdas[{i}] is null");
        return [.. lrLambdas];
    }
}
