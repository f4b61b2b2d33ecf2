namespace Descent.Optim;

/// <summary>
/// Muon for a model's matrices and AdamW for the rest, as one optimizer: the usual pairing (Muon orthogonalises matrices
/// only; biases, norms' gains and other shapes need an elementwise rule). PyTorch's parameter groups cannot mix
/// optimizer classes, so this one holds groups of both: each group of the caller becomes a Muon group of its matrices
/// (rank 2) and an AdamW group of its other tensors, in that order, whichever are not empty. Schedulers, state dicts
/// and checkpoints see the groups as usual (a Muon group's momentum and an AdamW group's β₁ are what cyclic schedules
/// vary). The command line's and the trainer's <c>muon</c> is this optimizer.
/// </summary>
/// <remarks>
/// <para>The split is by rank alone: the input embedding and the output layer are matrices too, and Muon's authors give
/// them to AdamW. To do so, list them apart with the constructor that takes both lists.</para>
/// <para>Without explicit AdamW options, each AdamW group has AdamW's defaults with the learning rate of its Muon
/// group, so that a learning rate given once (and a schedule) drives both; that suits
/// <see cref="MuonLrAdjustment.MatchRmsAdamw"/>, which gives Muon's update AdamW's scale.</para>
/// <example><code>
/// var optimizer = new MuonWithAdamW(model.Parameters(), new MuonOptions(lr: 0.02));
/// </code></example>
/// </remarks>
public sealed class MuonWithAdamW : Optimizer<OptimizerOptions>
{
    private readonly NewtonSchulz _newtonSchulz = new();

    /// <summary>Creates the pair over <paramref name="parameters"/>: Muon for the matrices, AdamW for the rest.</summary>
    /// <param name="parameters">The tensors to optimise (a model's parameters).</param>
    /// <param name="muon">Muon's options; default PyTorch's.</param>
    /// <param name="adamW">AdamW's options; default AdamW's defaults with Muon's learning rate.</param>
    public MuonWithAdamW(IEnumerable<Tensor> parameters, MuonOptions? muon = null, AdamWOptions? adamW = null)
        : this([new ParamGroupSpec<MuonOptions>(parameters ?? throw new ArgumentNullException(nameof(parameters)))], muon ?? new MuonOptions(), adamW)
    {
    }

    /// <summary>Creates the pair over groups: each group's matrices get its Muon options, its other tensors AdamW.</summary>
    /// <param name="groups">The groups, each with optional changes to <paramref name="muon"/>.</param>
    /// <param name="muon">Muon's options, the defaults of every group.</param>
    /// <param name="adamW">AdamW's options; default AdamW's defaults with each group's Muon learning rate.</param>
    public MuonWithAdamW(IEnumerable<ParamGroupSpec<MuonOptions>> groups, MuonOptions muon, AdamWOptions? adamW = null)
        : base(SplitGroups(groups, muon, adamW), muon)
    {
    }

    /// <summary>Creates the pair with the split given: <paramref name="muonParameters"/> (matrices) to Muon, <paramref name="adamWParameters"/> to AdamW.</summary>
    /// <exception cref="ArgumentException">A tensor given to Muon is not a matrix.</exception>
    public MuonWithAdamW(IEnumerable<Tensor> muonParameters, IEnumerable<Tensor> adamWParameters, MuonOptions? muon = null, AdamWOptions? adamW = null)
        : base(Explicit(muonParameters, adamWParameters, muon ?? new MuonOptions(), adamW), muon ?? new MuonOptions())
    {
    }

    /// <summary>Whether the split gives <paramref name="parameter"/> to Muon: when it is a matrix.</summary>
    public static bool IsForMuon(Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return parameter.Rank == 2;
    }

    /// <summary>The split of <paramref name="parameters"/>, in their order: the matrices (for Muon) and the rest (for AdamW).</summary>
    public static (IReadOnlyList<Tensor> Muon, IReadOnlyList<Tensor> AdamW) Split(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToList();
        return (list.Where(p => p is not null && IsForMuon(p)).ToList(), list.Where(p => p is null || !IsForMuon(p)).ToList());
    }

    private static List<ParamGroupSpec<OptimizerOptions>> SplitGroups(IEnumerable<ParamGroupSpec<MuonOptions>> groups, MuonOptions muon, AdamWOptions? adamW)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(muon);
        var specs = new List<ParamGroupSpec<OptimizerOptions>>();
        foreach (var group in groups)
        {
            ArgumentNullException.ThrowIfNull(group);
            var options = group.Configure is null ? muon : group.Configure(muon with { });
            var (matrices, others) = Split(group.Parameters ?? throw new ArgumentNullException(nameof(groups), "a group's parameters are null"));
            // An empty group is refused as any optimizer refuses it (a Muon group, so that the message is the usual one).
            if (matrices.Count > 0 || others.Count == 0) specs.Add(new ParamGroupSpec<OptimizerOptions>(matrices, _ => options));
            if (others.Count > 0) specs.Add(new ParamGroupSpec<OptimizerOptions>(others, _ => adamW ?? new AdamWOptions(options.Lr)));
        }
        return specs;
    }

    private static List<ParamGroupSpec<OptimizerOptions>> Explicit(IEnumerable<Tensor> muonParameters, IEnumerable<Tensor> adamWParameters, MuonOptions muon, AdamWOptions? adamW)
    {
        ArgumentNullException.ThrowIfNull(muonParameters);
        ArgumentNullException.ThrowIfNull(adamWParameters);
        var others = adamWParameters.ToList();
        List<ParamGroupSpec<OptimizerOptions>> specs = [new(muonParameters, _ => muon)];
        if (others.Count > 0) specs.Add(new(others, _ => adamW ?? new AdamWOptions(muon.Lr)));
        return specs;
    }

    /// <summary>A Muon group takes matrices only; a group of any other options than Muon's or AdamW's is refused.</summary>
    private protected override void CheckParameter(Tensor parameter, int index, OptimizerOptions options, string argument)
    {
        switch (options)
        {
            case MuonOptions: MuonStep.RequireMatrix(parameter, index, argument); break;
            case AdamWOptions: break;
            default: throw new ArgumentException($"MuonWithAdamW holds Muon and AdamW groups, got a group of {options.GetType().Name}", argument);
        }
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, OptimizerOptions options)
    {
        if (options is MuonOptions muon) MuonStep.Run(parameter, grad, state, muon, _newtonSchulz);
        else AdamUpdate.Run(parameter, grad, state, (AdamWOptions)options);
    }
}
