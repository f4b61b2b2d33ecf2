using System.Numerics.Tensors;

namespace Descent;

public sealed partial class Tensor
{
    // In-place updates act on the data outside the graph, as optimizers and initialisers need (PyTorch's
    // operations under no_grad). They refuse non-leaf tensors that are part of a graph.

    private void CheckInPlace(string op)
    {
        if (GradFn is not null && Autograd.IsGradEnabled)
            throw new InvalidOperationException($"{op}: in-place update of a tensor that is part of a graph; Detach() it or use Autograd.NoGrad()");
        if (!IsContiguous) throw new InvalidOperationException($"{op}: in-place updates need a contiguous tensor");
    }

    /// <summary>Sets every element to <paramref name="value"/>; returns this tensor.</summary>
    public Tensor Fill_(double value)
    {
        CheckInPlace("fill_");
        switch (DType)
        {
            case DType.Float32: AsSpan<float>().Fill((float)value); break;
            case DType.Float64: AsSpan<double>().Fill(value); break;
            default: AsSpan<long>().Fill((long)value); break;
        }
        return this;
    }

    /// <summary>Sets every element to zero; returns this tensor.</summary>
    public Tensor Zero_() => Fill_(0);

    /// <summary>Copies <paramref name="source"/>'s elements (same shape, or broadcastable to it) into this tensor.</summary>
    public Tensor CopyFrom_(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckInPlace("copy_");
        var src = source.To(DType).ExpandNoGrad(ShapeArray);
        var tmp = new Tensor((int[])ShapeArray.Clone(), DType);
        src.CopyInto(tmp);
        switch (DType)
        {
            case DType.Float32: tmp.AsSpan<float>().CopyTo(AsSpan<float>()); break;
            case DType.Float64: tmp.AsSpan<double>().CopyTo(AsSpan<double>()); break;
            default: tmp.AsSpan<long>().CopyTo(AsSpan<long>()); break;
        }
        return this;
    }

    /// <summary>this += alpha · other (same shape); returns this tensor.</summary>
    public Tensor AddInPlace(Tensor other, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(other);
        CheckInPlace("add_");
        CheckSameDType(other, "add_");
        if (!Shapes.SameShape(ShapeArray, other.ShapeArray))
            throw new ArgumentException($"add_: shapes {Shapes.Format(ShapeArray)} and {Shapes.Format(other.ShapeArray)} differ");
        var o = other.Contiguous();
        if (DType == DType.Float32)
        {
            if (alpha == 1) TensorPrimitives.Add(AsSpan<float>(), o.AsSpan<float>(), AsSpan<float>());
            else TensorPrimitives.MultiplyAdd(o.AsSpan<float>(), (float)alpha, AsSpan<float>(), AsSpan<float>());
        }
        else
        {
            if (alpha == 1) TensorPrimitives.Add(AsSpan<double>(), o.AsSpan<double>(), AsSpan<double>());
            else TensorPrimitives.MultiplyAdd(o.AsSpan<double>(), alpha, AsSpan<double>(), AsSpan<double>());
        }
        return this;
    }

    /// <summary>this *= value; returns this tensor.</summary>
    public Tensor MulInPlace(double value)
    {
        CheckInPlace("mul_");
        CheckFloat("mul_");
        if (DType == DType.Float32) TensorPrimitives.Multiply(AsSpan<float>(), (float)value, AsSpan<float>());
        else TensorPrimitives.Multiply(AsSpan<double>(), value, AsSpan<double>());
        return this;
    }
}
