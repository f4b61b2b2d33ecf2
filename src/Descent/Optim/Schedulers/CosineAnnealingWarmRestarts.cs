namespace Descent.Optim.Schedulers;

/// <summary>
/// Cosine annealing with warm restarts (SGDR; PyTorch's <c>CosineAnnealingWarmRestarts</c>): the learning rate follows
/// lr = eta_min + (base_lr − eta_min) · (1 + cos(π · T_cur / T_i)) / 2, where T_cur counts epochs since the last
/// restart and the i-th period lasts T_i = T_0 · T_mult^i epochs.
/// </summary>
/// <remarks>
/// <see cref="Step(double)"/> takes a fractional epoch (e.g. <c>epoch + batch / batchCount</c>) to restart within an
/// epoch, as PyTorch's <c>step(epoch)</c> does.
/// </remarks>
public sealed class CosineAnnealingWarmRestarts : LRScheduler
{
    /// <summary>Creates the schedule and sets the groups' epoch-0 learning rates.</summary>
    /// <param name="optimizer">The optimizer whose learning rates change.</param>
    /// <param name="t0">Epochs of the first period (PyTorch's <c>T_0</c>, &gt;= 1).</param>
    /// <param name="tMult">Growth factor of the period after each restart (PyTorch's <c>T_mult</c>, &gt;= 1).</param>
    /// <param name="etaMin">The lowest learning rate (&gt;= 0).</param>
    public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0, int tMult = 1, double etaMin = 0.0) : base(optimizer)
    {
        Require.Positive(t0, nameof(t0));
        Require.Positive(tMult, nameof(tMult));
        Require.NonNegative(etaMin, nameof(etaMin));
        T0 = t0;
        TMult = tMult;
        EtaMin = etaMin;
        TI = t0;
        TCur = LastEpoch;
        Initialize();
    }

    /// <summary>Epochs of the first period.</summary>
    public int T0 { get; }

    /// <summary>Growth factor of the period after each restart.</summary>
    public int TMult { get; }

    /// <summary>The lowest learning rate.</summary>
    public double EtaMin { get; }

    /// <summary>The length of the current period (PyTorch's <c>T_i</c>).</summary>
    public double TI { get; private set; }

    /// <summary>Epochs since the last restart, possibly fractional (PyTorch's <c>T_cur</c>).</summary>
    public double TCur { get; private set; }

    /// <summary>Advances by one epoch, restarting when the current period is over.</summary>
    public override void Step()
    {
        if (LastEpoch < 0)
        {
            Step(0.0);
            return;
        }
        TCur += 1;
        if (TCur >= TI)
        {
            TCur -= TI;
            TI *= TMult;
        }
        LastEpoch += 1;
        Apply(ComputeLr());
    }

    /// <summary>Jumps to <paramref name="epoch"/> (fractional epochs allowed, &gt;= 0), finding its period in closed form.</summary>
    public void Step(double epoch)
    {
        if (!(epoch >= 0) || double.IsInfinity(epoch))
            throw new ArgumentOutOfRangeException(nameof(epoch), epoch, $"epoch must be >= 0 and finite, got {Require.Format(epoch)}");
        if (epoch >= T0)
        {
            if (TMult == 1) TCur = epoch % T0;
            else
            {
                // Number of completed periods n: T_0 (T_mult^n − 1) / (T_mult − 1) <= epoch.
                int n = (int)Math.Log(epoch / T0 * (TMult - 1) + 1, TMult);
                TCur = epoch - T0 * (Math.Pow(TMult, n) - 1) / (TMult - 1);
                TI = T0 * Math.Pow(TMult, n);
            }
        }
        else
        {
            TI = T0;
            TCur = epoch;
        }
        LastEpoch = (int)Math.Floor(epoch);
        Apply(ComputeLr());
    }

    internal override void StepAt(int epoch) => Step((double)epoch);

    private protected override double[] ComputeLr() =>
        BaseLrs.Select(b => EtaMin + (b - EtaMin) * (1 + Math.Cos(Math.PI * TCur / TI)) / 2).ToArray();

    internal override void SaveState(SchedulerState state)
    {
        base.SaveState(state);
        state.Put("T_i", TI);
        state.Put("T_cur", TCur);
    }

    internal override void LoadState(SchedulerState state)
    {
        double ti = state.GetAtLeast("T_i", 1), tcur = state.GetAtLeast("T_cur", 0);
        base.LoadState(state);
        TI = ti;
        TCur = tcur;
    }
}
