using System.Globalization;
using System.Text;

namespace Descent;

public sealed partial class Tensor
{
    /// <summary>A readable rendering like PyTorch's print: nested brackets, then dtype and grad_fn when useful.</summary>
    public override string ToString()
    {
        var values = ToDoubleArray();
        bool integral = DType == DType.Int64 || values.All(v => !double.IsFinite(v) || v == Math.Floor(v));
        string Format(double v) => DType == DType.Int64 ? ((long)v).ToString(CultureInfo.InvariantCulture)
            : !double.IsFinite(v) ? (double.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf")
            : integral ? v.ToString("0", CultureInfo.InvariantCulture) + "."
            : v.ToString("0.0000", CultureInfo.InvariantCulture);
        var cells = values.Select(Format).ToArray();
        int width = cells.Length == 0 ? 0 : cells.Max(c => c.Length);
        var sb = new StringBuilder("tensor(");
        if (NumEl > 1000)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<{NumEl} elements, shape {Shapes.Format(ShapeArray)}>");
        }
        else
        {
            int index = 0;
            Append(sb, 0, cells, width, ref index, "tensor(".Length);
        }
        if (DType == DType.Float64) sb.Append(", dtype=float64");
        if (DType == DType.Int64 && NumEl == 0) sb.Append(", dtype=int64");
        if (GradFn is not null) sb.Append(", grad_fn=<").Append(GradFn.Name).Append('>');
        else if (RequiresGrad) sb.Append(", requires_grad=True");
        return sb.Append(')').ToString();
    }

    private void Append(StringBuilder sb, int dim, string[] cells, int width, ref int index, int indent)
    {
        if (dim == Rank)
        {
            sb.Append(cells[index++].PadLeft(width));
            return;
        }
        sb.Append('[');
        for (int i = 0; i < ShapeArray[dim]; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
                if (dim == Rank - 1) sb.Append(' ');
                else sb.Append('\n', Rank - 1 - dim).Append(' ', indent + dim + 1);
            }
            Append(sb, dim + 1, cells, width, ref index, indent);
        }
        sb.Append(']');
    }
}
