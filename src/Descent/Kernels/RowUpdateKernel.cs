using System.Numerics;

namespace Descent.Kernels;

/// <summary>
/// The fused driver over the rows of a row-sparse gradient: element e of the compact gradient (row j = e / L of it)
/// updates the element at the same position of parameter row <see cref="Rows"/>[j], and of the state buffers' row. Only
/// those rows are read and written, so a step costs the rows touched, not the table. The work is counted in compact
/// elements, so <see cref="OptimParallel"/> splits it in the same fixed chunks as a dense update of that many.
/// </summary>
internal struct RowUpdateKernel<T, TRule> : IChunkKernel
    where T : unmanaged, IFloatingPointIeee754<T>
    where TRule : struct, IUpdateRule<T>
{
    /// <summary>The dense driver, set up as for the compact gradient: G and GOff are the compact values, P and S* the full tensors.</summary>
    public UpdateKernel<T, TRule> Dense;

    /// <summary>The parameter row of each compact row, strictly increasing.</summary>
    public long[] Rows;
    public int RowsOff;

    /// <summary>Elements per row, L.</summary>
    public int RowLength;

    public readonly void Run(int start, int end)
    {
        var k = Dense;
        int L = RowLength;
        for (int e = start; e < end;)
        {
            int j = e / L, rowEnd = Math.Min(end, (j + 1) * L);
            // Shifting the full tensors' offsets by (row − j)·L lands compact element e on the parameter row's element.
            int shift = (int)(Rows[RowsOff + j] - j) * L;
            k.POff = Dense.POff + shift;
            k.S0Off = Dense.S0Off + shift;
            k.S1Off = Dense.S1Off + shift;
            k.S2Off = Dense.S2Off + shift;
            k.Run(e, rowEnd);
            e = rowEnd;
        }
    }
}
