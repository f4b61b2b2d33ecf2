using Descent.NN;

namespace Descent.Cli.Catalog;

/// <summary>The models the command line builds by name.</summary>
internal static class ModelCatalog
{
    public static IReadOnlyList<string> Names { get; } = ["linear", "mlp", "cnn"];

    /// <summary>
    /// linear: one affine layer (multinomial logistic regression); mlp: two hidden ReLU layers (256 and 128 units for
    /// images, 64 and 32 for tables); cnn: two 3×3 convolutions (16 and 32 channels) each followed by ReLU and 2×2 max
    /// pooling, then a linear layer.
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
                if (data.Image is not (int c, int h, int w))
                    throw new UsageException($"--model cnn needs an image data set (mnist or digits), not {data.Name}");
                return new Sequential(
                    new Unflatten(c, h, w),
                    new Conv2d(c, 16, 3, padding: 1), new ReLU(), new MaxPool2d(2),
                    new Conv2d(16, 32, 3, padding: 1), new ReLU(), new MaxPool2d(2),
                    new Flatten(), new Linear(32 * (h / 4) * (w / 4), classes));
        }
    }

    /// <summary>Reshapes flat rows [N, C·H·W] (or images already [N, C, H, W]) to images.</summary>
    private sealed class Unflatten(int c, int h, int w) : Module
    {
        public override Tensor Forward(Tensor input) => input.Reshape(input.Size(0), c, h, w);
    }
}
