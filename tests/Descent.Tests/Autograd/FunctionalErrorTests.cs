using Descent.NN;
using F = Descent.NN.Functional;

namespace Descent.Tests.Autograd;

/// <summary>Bad shapes, dtypes and arguments are rejected at the boundary with messages that name what disagrees.</summary>
public class FunctionalErrorTests
{
    private static Tensor Z(params int[] shape) => Tensor.Zeros(shape);

    private static Tensor Labels(params long[] values) => Tensor.FromArray(values);

    [Fact]
    public void LinearShapeMismatchNamesBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => F.Linear(Z(5, 4), Z(3, 6)));
        Assert.Contains("[5, 4]", e.Message);
        Assert.Contains("[3, 6]", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.Linear(Z(5, 4), Z(3, 4), Z(4)));
        Assert.Contains("[4]", e.Message);
        Assert.Contains("[3, 4]", e.Message);
        Assert.Throws<ArgumentException>(() => F.Linear(Z(5, 4), Z(2, 3, 4)));
    }

    [Fact]
    public void MixedDTypesAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => F.Linear(Z(2, 4), Tensor.Zeros([3, 4], DType.Float64)));
        Assert.Contains("float64", e.Message);
        Assert.Throws<ArgumentException>(() => F.MseLoss(Z(3), Tensor.Zeros([3], DType.Float64)));
        Assert.Throws<ArgumentException>(() => F.Conv2d(Z(1, 1, 3, 3), Tensor.Zeros([1, 1, 2, 2], DType.Float64)));
    }

    [Fact]
    public void IntegerInputsAreRejected()
    {
        var ints = Tensor.Zeros([2, 3], DType.Int64);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => F.Softmax(ints, 1)).Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => F.LogSoftmax(ints, 1)).Message);
        Assert.Throws<ArgumentException>(() => F.CrossEntropy(ints, Labels(0, 1)));
        Assert.Throws<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros([1, 1, 2, 2], DType.Int64), 2));
    }

    [Fact]
    public void SoftmaxDimOutOfRangeIsNamed()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => F.Softmax(Z(2, 3), 2));
        Assert.Equal("dim", e.ParamName);
    }

    [Fact]
    public void LossShapesThatDoNotBroadcastNameBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => F.MseLoss(Z(4, 3), Z(4, 2)));
        Assert.Contains("[4, 3]", e.Message);
        Assert.Contains("[4, 2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Z(4, 2), Z(4, 1)));
        Assert.Contains("[4, 1]", e.Message);
        Assert.Contains("[4, 2]", e.Message);
    }

    [Fact]
    public void ClassificationTargetsAreChecked()
    {
        // Wrong dtype: float targets of another shape are neither indices nor probabilities.
        var e = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Z(3, 4), Z(3)));
        Assert.Contains("[3]", e.Message);
        Assert.Contains("[3, 4]", e.Message);
        Assert.Contains("float32", Assert.Throws<ArgumentException>(() => F.NllLoss(Z(3, 4), Z(3))).Message);
        // Batch sizes differ.
        e = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Z(3, 4), Labels(0, 1)));
        Assert.Contains("[2]", e.Message);
        Assert.Contains("[3, 4]", e.Message);
        // Class index out of range (ignore_index is allowed).
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(Z(2, 4), Labels(0, 4)));
        Assert.Contains("4 classes", range.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => F.NllLoss(Z(2, 4), Labels(-1, 0)));
        Assert.True(double.IsFinite(F.CrossEntropy(Z(2, 4), Labels(-100, 1)).Item()));
    }

    [Fact]
    public void ClassWeightsMustHaveOnePerClass()
    {
        var e = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Z(2, 4), Labels(0, 1), weight: Z(3)));
        Assert.Contains("[4]", e.Message);
        Assert.Contains("[3]", e.Message);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void LabelSmoothingOutsideUnitIntervalIsRejected(double smoothing)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(Z(2, 3), Labels(0, 1), labelSmoothing: smoothing));
        Assert.Equal("labelSmoothing", e.ParamName);
    }

    [Fact]
    public void HuberDeltaMustBePositive()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => F.HuberLoss(Z(3), Z(3), delta: 0));
        Assert.Contains("got 0", e.Message);
    }

    [Fact]
    public void Conv2dChecksChannelsShapesAndArguments()
    {
        var e = Assert.Throws<ArgumentException>(() => F.Conv2d(Z(1, 3, 5, 5), Z(2, 4, 3, 3)));
        Assert.Contains("[1, 3, 5, 5]", e.Message);
        Assert.Contains("[2, 4, 3, 3]", e.Message);
        Assert.Throws<ArgumentException>(() => F.Conv2d(Z(3, 5), Z(2, 3, 3, 3)));
        Assert.Throws<ArgumentException>(() => F.Conv2d(Z(1, 3, 5, 5), Z(2, 3, 3, 3), Z(3)));
        Assert.Throws<ArgumentException>(() => F.Conv2d(Z(1, 3, 2, 2), Z(2, 3, 3, 3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.Conv2d(Z(1, 3, 5, 5), Z(2, 3, 3, 3), stride: 0));
        Assert.Throws<ArgumentException>(() => F.Conv2d(Z(1, 3, 5, 5), Z(2, 1, 3, 3), groups: 2));
        Assert.Throws<ArgumentException>(() => F.Conv2d(Z(1, 3, 5, 5), Z(2, 3, 3, 3), null, "full"));
        Assert.Throws<ArgumentException>(() => F.Conv2d(Z(1, 3, 5, 5), Z(2, 3, 3, 3), null, "same", stride: 2));
    }

    [Fact]
    public void PoolingChecksArguments()
    {
        Assert.Throws<ArgumentException>(() => F.MaxPool2d(Z(4, 4), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.MaxPool2d(Z(1, 1, 4, 4), 0));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => F.MaxPool2d(Z(1, 1, 4, 4), 2, padding: 2));
        Assert.Contains("half", e.Message);
        Assert.Throws<ArgumentException>(() => F.AvgPool2d(Z(1, 1, 1, 1), 3, stride: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.AvgPool2d(Z(1, 1, 4, 4), 2, divisorOverride: 0));
    }

    [Fact]
    public void LayerNormShapeMismatchNamesBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => F.LayerNorm(Z(3, 5), [4]));
        Assert.Contains("[3, 5]", e.Message);
        Assert.Contains("[4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.LayerNorm(Z(3, 5), [5], weight: Z(4)));
        Assert.Contains("weight", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => F.LayerNorm(Z(3, 5), [5], eps: -1));
    }

    [Theory]
    [InlineData(-0.5)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void DropoutProbabilityOutsideUnitIntervalIsRejected(double p)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => F.Dropout(Z(3), p));
        Assert.Equal("p", e.ParamName);
    }

    [Fact]
    public void GeluApproximationMustBeKnown()
    {
        Assert.Throws<ArgumentException>(() => F.Gelu(Z(3), approximate: "erf"));
    }

    [Fact]
    public void NullTensorsAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => F.Linear(null!, Z(2, 2)));
        Assert.Throws<ArgumentNullException>(() => F.CrossEntropy(Z(2, 2), null!));
    }

    [Fact]
    public void MatMulErrorsShowTheShapesTheUserPassed()
    {
        // A 1-D operand is multiplied as a row [1, 3] or a column [4, 1]; the message shows [3] and [4].
        var e = Assert.Throws<ArgumentException>(() => Z(3).MatMul(Z(4)));
        Assert.Contains("shapes [3] and [4]", e.Message);
        Assert.DoesNotContain("[1, 3]", e.Message);
        Assert.DoesNotContain("[4, 1]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Z(3).MatMul(Z(2, 4, 5)));
        Assert.Contains("shapes [3] and [2, 4, 5]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Z(2, 4, 5).MatMul(Z(4)));
        Assert.Contains("shapes [2, 4, 5] and [4]", e.Message);
        // Batch dimensions that do not broadcast are shown within the operands' own shapes.
        e = Assert.Throws<ArgumentException>(() => Z(2, 4, 5).MatMul(Z(3, 5, 6)));
        Assert.Contains("shapes [2, 4, 5] and [3, 5, 6]", e.Message);
    }

    [Fact]
    public void GatherRefusesAnIndexLargerThanTheInputOutsideDim()
    {
        var x = Tensor.Arange(6).Reshape(2, 3);
        var e = Assert.Throws<ArgumentException>(() => x.Gather(0, Tensor.FromArray(new long[] { 0, 0, 0, 0 }, [1, 4])));
        Assert.Contains("[1, 4]", e.Message);
        Assert.Contains("dimension 1", e.Message);
    }
}
