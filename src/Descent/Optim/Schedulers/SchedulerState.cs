namespace Descent.Optim.Schedulers;

/// <summary>
/// Reads and writes a scheduler's state as named arrays of doubles (integers included: they are exact up to 2^53).
/// Nested schedulers (in <see cref="SequentialLR"/>, <see cref="ChainedScheduler"/>) use prefixed keys such as
/// <c>schedulers.1.last_epoch</c>.
/// </summary>
internal sealed class SchedulerState(IDictionary<string, double[]>? write, IReadOnlyDictionary<string, double[]>? read, string prefix = "")
{
    public static SchedulerState ForWriting(IDictionary<string, double[]> target) => new(target, null);

    public static SchedulerState ForReading(IReadOnlyDictionary<string, double[]> source) => new(null, source);

    public SchedulerState Nested(string name) => new(write, read, prefix + name + ".");

    public void Put(string key, double value) => write![prefix + key] = [value];

    public void Put(string key, IReadOnlyList<double> values) => write![prefix + key] = [.. values];

    public double[] Get(string key, int length)
    {
        if (!read!.TryGetValue(prefix + key, out var values) || values is null)
            throw new ArgumentException($"the scheduler state has no '{prefix + key}' entry", "state");
        if (values.Length != length)
            throw new ArgumentException($"the scheduler state's '{prefix + key}' has {values.Length} values, expected {length}", "state");
        return (double[])values.Clone();
    }

    public double Get(string key) => Get(key, 1)[0];

    public int GetInt(string key)
    {
        double v = Get(key);
        if (v != Math.Floor(v) || v < int.MinValue || v > int.MaxValue)
            throw new ArgumentException($"the scheduler state's '{prefix + key}' must be an integer, got {Require.Format(v)}", "state");
        return (int)v;
    }

    /// <summary>A count: an integer ≥ 0 (<c>num_bad_epochs</c>).</summary>
    public int GetCount(string key)
    {
        int v = GetInt(key);
        return v >= 0 ? v : throw new ArgumentException($"the scheduler state's '{prefix + key}' must be >= 0, got {v}", "state");
    }

    /// <summary>A finite number ≥ <paramref name="min"/> (a period's length or position).</summary>
    public double GetAtLeast(string key, double min)
    {
        double v = Get(key);
        return double.IsFinite(v) && v >= min ? v
            : throw new ArgumentException($"the scheduler state's '{prefix + key}' must be finite and >= {Require.Format(min)}, got {Require.Format(v)}", "state");
    }
}
