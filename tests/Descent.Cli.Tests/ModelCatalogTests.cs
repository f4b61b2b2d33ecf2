using Descent.Cli.Catalog;
using Descent.NN;

namespace Descent.Cli.Tests;

public class ModelCatalogTests
{
    [Fact]
    public void CnnBnPutsABatchNormAfterEachBiasFreeConvolutionAndCnnStaysAsItWas()
    {
        var digits = DataCatalog.Load("digits", seed: 1);
        var plain = (Sequential)ModelCatalog.Build("cnn", digits);
        var withBn = (Sequential)ModelCatalog.Build("cnn-bn", digits);
        Assert.Equal(9, plain.Count);
        Assert.Empty(Enumerable.Range(0, plain.Count).Select(i => plain[i]).OfType<BatchNorm2d>());
        Assert.All(Enumerable.Range(0, plain.Count).Select(i => plain[i]).OfType<Conv2d>(), conv => Assert.NotNull(conv.Bias));

        Assert.Equal(11, withBn.Count);
        Assert.Equal([16, 32], Enumerable.Range(0, withBn.Count).Select(i => withBn[i]).OfType<BatchNorm2d>().Select(bn => bn.NumFeatures));
        Assert.All(Enumerable.Range(0, withBn.Count).Select(i => withBn[i]).OfType<Conv2d>(), conv => Assert.Null(conv.Bias));
        Assert.IsType<BatchNorm2d>(withBn[2]);

        var batch = digits.Train.Features.Narrow(0, 0, 4);
        Assert.Equal([4, digits.NumClasses], withBn.Forward(batch).Shape);
    }
}
