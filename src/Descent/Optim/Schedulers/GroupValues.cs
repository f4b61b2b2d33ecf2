using System.Collections;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Descent.Optim.Schedulers;

/// <summary>
/// A scheduler argument that PyTorch accepts as "float or list": one value for every parameter group
/// (<c>maxLr: 0.1</c>) or one value per group (<c>maxLr: [0.1, 0.01]</c>).
/// </summary>
[CollectionBuilder(typeof(GroupValues), nameof(Create))]
public readonly struct GroupValues : IEnumerable<double>
{
    private readonly double _single;
    private readonly double[]? _perGroup;

    private GroupValues(double single, double[]? perGroup)
    {
        _single = single;
        _perGroup = perGroup;
    }

    /// <summary>The same value for every group.</summary>
    public static implicit operator GroupValues(double value) => new(value, null);

    /// <summary>One value per group, in the optimizer's group order.</summary>
    public static implicit operator GroupValues(double[] values) =>
        new(0, (double[])(values ?? throw new ArgumentNullException(nameof(values))).Clone());

    /// <summary>The same value for every group.</summary>
    public static GroupValues FromDouble(double value) => value;

    /// <summary>One value per group (used by collection expressions such as <c>[0.1, 0.01]</c>).</summary>
    public static GroupValues Create(ReadOnlySpan<double> values) => new(0, values.ToArray());

    /// <summary>True when this holds one value per group rather than one value for all.</summary>
    public bool IsPerGroup => _perGroup is not null;

    /// <summary>The values: the per-group list, or the single value once.</summary>
    public IEnumerator<double> GetEnumerator() => ((IEnumerable<double>)(_perGroup ?? [_single])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>One value per group; throws naming <paramref name="name"/> when a list has the wrong length.</summary>
    internal double[] Expand(string name, int groups)
    {
        if (_perGroup is null) return Enumerable.Repeat(_single, groups).ToArray();
        if (_perGroup.Length != groups)
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{name} has {_perGroup.Length} values, but the optimizer has {groups} parameter groups"), name);
        return (double[])_perGroup.Clone();
    }
}
