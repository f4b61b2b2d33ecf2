using Descent.NN;

namespace Descent.Cli.Catalog;

/// <summary>The models the command line builds by name.</summary>
internal static class ModelCatalog
{
    public static IReadOnlyList<string> Names { get; } = ["linear", "mlp", "cnn", "cnn-bn"];

    /// <summary>
    /// linear: one affine layer (multinomial logistic regression); mlp: two hidden ReLU layers (256 and 128 units for
    /// images, 64 and 32 for tables); cnn: two 3×3 convolutions (16 and 32 channels) each followed by ReLU and 2×2 max
    /// pooling, then a linear layer; cnn-bn: the same with a BatchNorm2d after each convolution (which then has no bias,
    /// the normalisation's shift taking its place).
    /// </summary>
    public static Module Build(string name, PreparedData data)
    {
        string resolved = Descent.Cli.Names.Resolve("model", name, Names.ToDictionary(n => n, n => n, StringComparer.OrdinalIgnoreCase));
        int features = data.Train.FeatureCount, classes = data.NumClasses;
        switch (resolved)
        {
            case "linear":
                return new Sequential(new Flatten(), new Linear(features, classes));
            case "mlp":
                var (h1, h2) = features >= 256 ? (256, 128) : (64, 32);
                return new Sequential(new Flatten(), new Linear(features, h1), new ReLU(), new Linear(h1, h2), new ReLU(), new Linear(h2, classes));
            default:
                return Cnn(resolved, data, batchNorm: resolved == "cnn-bn");
        }
    }

    private static Sequential Cnn(string name, PreparedData data, bool batchNorm)
    {
        if (data.Image is not (int c, int h, int w))
            throw new UsageException($"--model {name} needs an image data set (mnist or digits), not {data.Name}");
        // The data sets give flat rows [N, C·H·W] (DataCatalog): the first layer makes them images.
        var model = new Sequential(new Unflatten(1, c, h, w));
        foreach (var (inChannels, outChannels) in new[] { (c, 16), (16, 32) })
        {
            model.Add(new Conv2d(inChannels, outChannels, 3, padding: 1, bias: !batchNorm));
            if (batchNorm) model.Add(new BatchNorm2d(outChannels));
            model.Add(new ReLU()).Add(new MaxPool2d(2));
        }
        return model.Add(new Flatten()).Add(new Linear(32 * (h / 4) * (w / 4), data.NumClasses));
    }
}
