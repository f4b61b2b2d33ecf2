using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Descent.IO;
using Descent.NN;
using Descent.Optim;

namespace Descent.Fuzz;

/// <summary>
/// The seed corpus of each target, written by Descent's own writers (valid files, named <c>ok-*</c>), and hostile files
/// built by hand for each kind of damage the readers must refuse (<c>bad-*</c>) or may either load or refuse cleanly
/// (<c>any-*</c>). <c>Descent.Fuzz seed &lt;target&gt; &lt;dir&gt;</c> writes them; fuzz/corpus holds the result.
/// </summary>
internal static class Seeds
{
    /// <summary>The seed files of <paramref name="target"/>, by file name.</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes)> For(string target) => target switch
    {
        "safetensors" => SafeTensorsSeeds(),
        "idx-images" => IdxImagesSeeds(),
        "idx-labels" => IdxLabelsSeeds(),
        "idx-gzip" => IdxGzipSeeds(),
        "csv" => CsvSeeds(),
        "checkpoint" => CheckpointSeeds(),
        "optimizer-state" => OptimizerStateSeeds(),
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, $"unknown fuzz target; the targets are {string.Join(", ", FuzzTargets.Names)}"),
    };

    private static List<(string, byte[])> SafeTensorsSeeds()
    {
        var mixed = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["weight"] = Tensor.FromArray(new float[] { 1, -2, 3.5f, 0, 1e-3f, -7 }, [2, 3]),
            ["bias"] = Tensor.FromArray(new double[] { 0.25, -1 }),
            ["index"] = Tensor.FromArray(new long[] { 0, 5, -1 }),
            ["scalar"] = Tensor.FromArray(new float[] { 42 }, []),
            ["empty"] = Tensor.Zeros([0, 4]),
        };
        return
        [
            ("ok-mixed-dtypes.safetensors", SafeTensors.Serialize(mixed, new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt", ["note"] = "seed" })),
            ("ok-one-tensor.safetensors", SafeTensors.Serialize(new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["x"] = Tensor.FromArray(new float[] { 1, 2, 3, 4 }) })),
            ("ok-no-tensors.safetensors", SafeTensors.Serialize(new Dictionary<string, Tensor>(StringComparer.Ordinal))),
            // The reference reader accepts a zero-element tensor whatever its other dimensions (issue 16, item 2).
            ("ok-zero-element-large-dims.safetensors", Raw("""{"z":{"dtype":"F32","shape":[2147483647,2147483647,0],"data_offsets":[0,0]}}""", [])),
            // 65536^4 = 2^64 wraps to 0 in a 64-bit product: the claim must be refused, not read as an empty tensor.
            ("bad-shape-product-wraps-to-zero.safetensors", Raw("""{"w":{"dtype":"F32","shape":[65536,65536,65536,65536],"data_offsets":[0,0]}}""", [])),
            ("bad-shape-more-than-int32-elements.safetensors", Raw("""{"w":{"dtype":"F32","shape":[65536,65536],"data_offsets":[0,16]}}""", new byte[16])),
            ("bad-header-length-huge.safetensors", HeaderLength(ulong.MaxValue - 7)),
            ("bad-truncated-data.safetensors", Raw("""{"w":{"dtype":"F64","shape":[4],"data_offsets":[0,32]}}""", new byte[31])),
            ("bad-offsets-overlap.safetensors", Raw("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", new byte[12])),
            ("bad-duplicate-tensor-names.safetensors", Raw("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8])),
            ("bad-unknown-dtype.safetensors", Raw("""{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}}""", new byte[1])),
            ("bad-metadata-not-strings.safetensors", Raw("""{"__metadata__":{"epoch":3},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[4])),
            ("bad-header-not-json.safetensors", Raw("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,""", new byte[4])),
            ("bad-seven-bytes.safetensors", [1, 0, 0, 0, 0, 0, 0]),
        ];
    }

    private static List<(string, byte[])> IdxImagesSeeds() =>
    [
        ("ok-2-images-3x3", Idx(0x803, [2, 3, 3], Pixels(18))),
        ("ok-1-image-28x28", Idx(0x803, [1, 28, 28], Pixels(784))),
        ("ok-no-images", Idx(0x803, [0, 28, 28], [])),
        // 16 bytes whose dimensions claim 2 GiB (2048·1024·1023 bytes) and 1 GiB: refused before allocating the claim.
        ("bad-claims-2gib-16-bytes", Idx(0x803, [2048, 1024, 1023], [])),
        ("bad-claims-1gib-16-bytes", Idx(0x803, [1024, 1024, 1024], [])),
        ("bad-truncated-60000-images-one-present", Idx(0x803, [60000, 28, 28], Pixels(784))),
        // 2^22·2^21·2^21 = 2^64 wraps to 0: read as a [4194304, 1, 2097152, 2097152] tensor with no data.
        ("bad-dims-product-wraps-to-zero", Idx(0x803, [4194304, 2097152, 2097152], [])),
        // 3·(2^31−1)^2 wraps to a negative 64-bit count.
        ("bad-dims-product-wraps-negative", Idx(0x803, [3, int.MaxValue, int.MaxValue], [])),
        ("bad-negative-dimension", Idx(0x803, [-1, 28, 28], [])),
        ("bad-labels-magic", Idx(0x801, [3], [1, 2, 3])),
        ("bad-truncated-header", Idx(0x803, [2, 3, 3], [])[..10]),
        ("bad-trailing-bytes", Idx(0x803, [1, 2, 2], Pixels(5))),
        ("bad-empty-file", []),
        // No images, each 65536×65536: an empty set, but rows·cols overflows int32 when flattened.
        ("any-no-images-65536x65536", Idx(0x803, [0, 65536, 65536], [])),
    ];

    private static List<(string, byte[])> IdxLabelsSeeds() =>
    [
        ("ok-5-labels", Idx(0x801, [5], [0, 1, 2, 3, 9])),
        ("ok-no-labels", Idx(0x801, [0], [])),
        // MNIST labels are digits 0–9 (issue 16, item 1).
        ("bad-label-10", Idx(0x801, [3], [0, 10, 1])),
        ("bad-label-255", Idx(0x801, [2], [255, 4])),
        ("bad-claims-2gib-8-bytes", Idx(0x801, [int.MaxValue - 100], [])),
        ("bad-truncated-60000-labels-100-present", Idx(0x801, [60000], Pixels(100).Select(b => (byte)(b % 10)).ToArray())),
        ("bad-images-magic", Idx(0x803, [1, 1, 1], [0])),
        ("bad-trailing-bytes", Idx(0x801, [2], [1, 2, 3])),
    ];

    private static List<(string, byte[])> IdxGzipSeeds()
    {
        var images = Idx(0x803, [2, 3, 3], Pixels(18));
        var valid = Gzip(Idx(0x803, [1, 28, 28], Pixels(784)));
        var corrupt = (byte[])valid.Clone();
        corrupt[^6] ^= 0xff; // the CRC-32 in the trailer
        return
        [
            ("ok-images.gz", Gzip(images)),
            ("ok-labels.gz", Gzip(Idx(0x801, [5], [0, 1, 2, 3, 9]))),
            ("ok-28x28.gz", valid),
            ("bad-claims-2gib.gz", Gzip(Idx(0x803, [2048, 1024, 1023], []))),
            ("bad-claims-1gib.gz", Gzip(Idx(0x803, [1024, 1024, 1024], []))),
            ("bad-labels-claim-2gib.gz", Gzip(Idx(0x801, [int.MaxValue - 100], []))),
            ("bad-truncated-60000-images.gz", Gzip(Idx(0x803, [60000, 28, 28], Pixels(784)))),
            ("bad-dims-product-wraps-to-zero.gz", Gzip(Idx(0x803, [4194304, 2097152, 2097152], []))),
            ("bad-label-10.gz", Gzip(Idx(0x801, [3], [0, 10, 1]))),
            ("bad-gzip-cut-in-half.gz", valid[..(valid.Length / 2)]),
            ("bad-gzip-without-trailer.gz", valid[..^8]),
            ("bad-gzip-crc.gz", corrupt),
        ];
    }

    private static List<(string, byte[])> CsvSeeds()
    {
        var rows = new StringBuilder("x1,x2,x3,label\n");
        for (int i = 0; i < 500; i++) rows.Append(i % 7).Append(',').Append(i * 0.5).Append(',').Append(-i).Append(',').Append(i % 3).Append('\n');
        var long500 = Gzip(Encoding.UTF8.GetBytes(rows.ToString()));
        return
        [
            ("ok-header.csv", Text("a,b,label\n1,2,0\n3.5,-1,1\n0,0,2\n")),
            ("ok-no-header.csv", Text("1,2,0\n3.5,-1e3,1\n")),
            ("ok-quoted-spaces-crlf.csv", Text("\"a\", \"b\" ,label\r\n \"1\",2 , 1\r\n\r\n4,5,0\r\n")),
            ("ok-semicolon-as-text.csv", Text("f;g,label\n1,0\n")),
            ("ok-header.csv.gz", Gzip(Text("a,b,label\n1,2,0\n3.5,-1,1\n"))),
            ("ok-500-rows.csv.gz", long500),
            // A gzip stream that ends early is an error, not a shorter table (issue 16, item 6).
            ("bad-truncated-500-rows.csv.gz", long500[..(long500.Length / 2)]),
            ("bad-gzip-without-trailer.csv.gz", long500[..^8]),
            ("bad-ragged-rows.csv", Text("1,2,0\n3,1\n")),
            ("bad-not-a-number.csv", Text("a,b,label\n1,x,0\n")),
            ("bad-nan.csv", Text("1,NaN,0\n")),
            ("bad-infinite.csv", Text("1,1e999,0\n")),
            ("bad-negative-label-with-header.csv", Text("a,label\n1,-1\n")),
            ("bad-fractional-label-with-header.csv", Text("a,label\n1,0.5\n")),
            ("bad-empty.csv", []),
            ("bad-header-only.csv", Text("a,b,label\n")),
            ("any-one-row.csv", Text("1,2,0\n")),
            ("any-one-column.csv", Text("0\n1\n")),
        ];
    }

    private static List<(string, byte[])> CheckpointSeeds()
    {
        byte[] valid = TrainedCheckpoint();
        var content = SafeTensors.Load(valid);
        byte[] Meta(string key, string? value) => Rewrite(content, key, value);
        byte[] Steps(Func<JsonObject, JsonNode> change) => Meta("optimizer.steps", change(JsonNode.Parse(content.Metadata["optimizer.steps"])!.AsObject()).ToJsonString());
        string groups = content.Metadata["optimizer.groups"], steps = content.Metadata["optimizer.steps"];
        var tensors = new Dictionary<string, Tensor>(content.Tensors, StringComparer.Ordinal);
        var noWeight = new Dictionary<string, Tensor>(tensors, StringComparer.Ordinal);
        noWeight.Remove(noWeight.Keys.First(k => k.StartsWith("model.", StringComparison.Ordinal)));
        var wrongShape = new Dictionary<string, Tensor>(tensors, StringComparer.Ordinal) { [tensors.Keys.First(k => k.StartsWith("model.", StringComparison.Ordinal))] = Tensor.Zeros([5]) };
        var noAverageCount = new Dictionary<string, Tensor>(tensors, StringComparer.Ordinal);
        noAverageCount.Remove("averaged.n_averaged");
        return
        [
            ("ok-trained.checkpoint.safetensors", valid),
            // The fields of issue 16, items 3 and 4: each must be refused with the file and the field named.
            ("bad-groups-truncated-json.checkpoint.safetensors", Meta("optimizer.groups", groups[..(groups.Length / 2)])),
            ("bad-groups-object-not-array.checkpoint.safetensors", Meta("optimizer.groups", "{}")),
            ("bad-groups-params-strings.checkpoint.safetensors", Meta("optimizer.groups", groups.Replace("\"params\":[0", "\"params\":[\"zero\"", StringComparison.Ordinal))),
            ("bad-groups-hyperparameter-object.checkpoint.safetensors", Meta("optimizer.groups", groups.Replace("\"lr\":", "\"lr\":{\"x\":1},\"old_lr\":", StringComparison.Ordinal))),
            ("bad-groups-null.checkpoint.safetensors", Meta("optimizer.groups", "null")),
            ("bad-steps-missing-step.checkpoint.safetensors", Steps(s => { s["0"]!.AsObject().Remove("step"); return s; })),
            ("bad-steps-step-string.checkpoint.safetensors", Steps(s => { s["0"]!["step"] = "three"; return s; })),
            ("bad-steps-step-overflows.checkpoint.safetensors", Meta("optimizer.steps", steps.Replace("\"step\":", "\"step\":99999999999999999999999,\"x\":", StringComparison.Ordinal))),
            ("bad-steps-index-not-a-number.checkpoint.safetensors", Meta("optimizer.steps", "{\"zero\":" + JsonNode.Parse(steps)!["0"]!.ToJsonString() + "}")),
            ("bad-steps-index-huge.checkpoint.safetensors", Meta("optimizer.steps", "{\"2147483647\":" + JsonNode.Parse(steps)!["0"]!.ToJsonString() + "}")),
            ("bad-steps-duplicate-keys.checkpoint.safetensors", Meta("optimizer.steps", steps.Insert(1, "\"0\":{},"))),
            ("bad-steps-numbers-array.checkpoint.safetensors", Steps(s => { s["0"]!["numbers"] = new JsonArray(1, 2); return s; })),
            ("bad-steps-missing-tensor.checkpoint.safetensors", Steps(s => { s["0"]!["tensors"]!.AsArray().Add("no_such_buffer"); return s; })),
            ("bad-epoch-overflows.checkpoint.safetensors", Meta("epoch", "99999999999")),
            ("bad-epoch-negative.checkpoint.safetensors", Meta("epoch", "-3")),
            ("bad-epoch-not-a-number.checkpoint.safetensors", Meta("epoch", "three")),
            ("bad-epoch-missing.checkpoint.safetensors", Meta("epoch", null)),
            ("bad-generator-negative-word.checkpoint.safetensors", Meta("generator.default", """["-1","2","3","4"]""")),
            ("bad-generator-three-words.checkpoint.safetensors", Meta("generator", """["1","2","3"]""")),
            ("bad-generator-numbers-not-strings.checkpoint.safetensors", Meta("generator", "[1,2,3,4]")),
            ("bad-generator-all-zero.checkpoint.safetensors", Meta("generator.default", """["0","0","0","0"]""")),
            ("bad-scheduler-wrong-kind.checkpoint.safetensors", Meta("scheduler", "[1,2]")),
            ("bad-scheduler-null.checkpoint.safetensors", Meta("scheduler", "null")),
            ("bad-plateau-truncated-json.checkpoint.safetensors", Meta("plateau", content.Metadata["plateau"][..5])),
            ("bad-averaging-scheduler-missing.checkpoint.safetensors", Meta("averaging.scheduler", null)),
            ("bad-format-version.checkpoint.safetensors", Meta("descent.checkpoint", "2")),
            ("bad-optimizer-type.checkpoint.safetensors", Meta("optimizer.type", "SGD")),
            ("bad-model-tensor-missing.checkpoint.safetensors", SafeTensors.Serialize(noWeight, content.Metadata)),
            ("bad-model-tensor-wrong-shape.checkpoint.safetensors", SafeTensors.Serialize(wrongShape, content.Metadata)),
            ("bad-averaged-count-missing.checkpoint.safetensors", SafeTensors.Serialize(noAverageCount, content.Metadata)),
            ("bad-not-safetensors.checkpoint.safetensors", Text("epoch=3\n")),
        ];
    }

    private static List<(string, byte[])> OptimizerStateSeeds()
    {
        var model = CheckpointRig.NewModel();
        var adam = CheckpointRig.NewAdam(model);
        Train(model, adam, steps: 3);
        byte[] adamState = Saved(path => Training.Checkpoint.SaveOptimizer(path, adam));
        var lbfgsModel = CheckpointRig.NewModel();
        var lbfgs = CheckpointRig.NewLbfgs(lbfgsModel);
        var (x, y) = Batch();
        for (int i = 0; i < 2; i++) lbfgs.Step(() => { lbfgs.ZeroGrad(); var l = Functional.MseLoss(lbfgsModel.Forward(x), y); l.Backward(); return l; });
        byte[] lbfgsState = Saved(path => Training.Checkpoint.SaveOptimizer(path, lbfgs));
        var content = SafeTensors.Load(adamState);
        string steps = content.Metadata["optimizer.steps"];
        string firstBuffer = content.Tensors.Keys.First(k => k.StartsWith("optimizer.state.0.", StringComparison.Ordinal));
        // A few hundred bytes whose tensors claim 2^64 elements (wrapping to 0) or a shape unlike the parameter's.
        var wrapped = new Dictionary<string, string>(content.Metadata, StringComparer.Ordinal) { ["optimizer.steps"] = """{"0":{"step":3,"numbers":{},"tensors":["exp_avg"]}}""" };
        string wrappedHeader = new JsonObject
        {
            ["__metadata__"] = new JsonObject(wrapped.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["optimizer.state.0.exp_avg"] = JsonNode.Parse("""{"dtype":"F32","shape":[65536,65536,65536,65536],"data_offsets":[0,0]}"""),
        }.ToJsonString();
        var big = new Dictionary<string, Tensor>(content.Tensors, StringComparer.Ordinal) { [firstBuffer] = Tensor.Zeros([64, 64]) };
        return
        [
            ("ok-adam-amsgrad.optimizer.safetensors", adamState),
            ("ok-lbfgs.optimizer.safetensors", lbfgsState),
            ("bad-state-tensor-wraps-to-zero-elements.optimizer.safetensors", Raw(wrappedHeader, [])),
            ("bad-state-tensor-wrong-shape.optimizer.safetensors", SafeTensors.Serialize(big, content.Metadata)),
            ("bad-steps-index-huge.optimizer.safetensors", Rewrite(content, "optimizer.steps", "{\"2147483647\":" + JsonNode.Parse(steps)!["0"]!.ToJsonString() + "}")),
            ("bad-steps-index-negative.optimizer.safetensors", Rewrite(content, "optimizer.steps", "{\"-1\":" + JsonNode.Parse(steps)!["0"]!.ToJsonString() + "}")),
            ("bad-steps-truncated-json.optimizer.safetensors", Rewrite(content, "optimizer.steps", steps[..(steps.Length / 3)])),
            ("bad-groups-missing.optimizer.safetensors", Rewrite(content, "optimizer.groups", null)),
            ("bad-groups-two-for-one.optimizer.safetensors", Rewrite(content, "optimizer.groups", "[" + content.Metadata["optimizer.groups"][1..^1] + "," + content.Metadata["optimizer.groups"][1..^1] + "]")),
            ("any-groups-params-out-of-range.optimizer.safetensors", Rewrite(content, "optimizer.groups", content.Metadata["optimizer.groups"].Replace("\"params\":[0", "\"params\":[2147483647", StringComparison.Ordinal))),
            ("bad-missing-format.optimizer.safetensors", Rewrite(content, "descent.checkpoint", null)),
        ];
    }

    /// <summary>A checkpoint of a <see cref="CheckpointRig"/> after three steps, two epochs of its schedules and an average.</summary>
    private static byte[] TrainedCheckpoint()
    {
        var rig = CheckpointRig.Create();
        Train(rig.Model, rig.Optimizer, steps: 3);
        rig.Scheduler.Step();
        rig.Plateau.Step(1.0);
        rig.Averaged.UpdateParameters(rig.Model);
        rig.AveragingScheduler.Step();
        Tensor.Rand([3], generator: rig.Generator);
        Tensor.ManualSeed(16); // the saved default generator, the same on every run
        return Saved(path => Training.Checkpoint.Save(path, rig.Model, rig.Optimizer, epoch: 2, rig.Scheduler, rig.Plateau, rig.Generator, rig.Averaged, rig.AveragingScheduler));
    }

    private static void Train(Module model, FirstOrderOptimizer optimizer, int steps)
    {
        var (x, y) = Batch();
        for (int i = 0; i < steps; i++)
        {
            optimizer.ZeroGrad();
            Functional.MseLoss(model.Forward(x), y).Backward();
            optimizer.Step();
        }
    }

    private static (Tensor X, Tensor Y) Batch()
    {
        var g = new Generator(3);
        return (Tensor.Randn([8, 4], generator: g), Tensor.Randn([8, 2], generator: g));
    }

    private static byte[] Saved(Action<string> save)
    {
        string path = Path.Combine(WorkFolder.Path, "seed.safetensors");
        save(path);
        byte[] bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    }

    /// <summary>The file with one metadata entry replaced (or removed, when <paramref name="value"/> is null).</summary>
    private static byte[] Rewrite(SafeTensorsContent content, string key, string? value)
    {
        var metadata = new Dictionary<string, string>(content.Metadata, StringComparer.Ordinal);
        if (value is null) metadata.Remove(key);
        else metadata[key] = value;
        return SafeTensors.Serialize(content.Tensors, metadata);
    }

    /// <summary>A safetensors file with a hand-written header (padded with spaces to a multiple of 8) and data.</summary>
    private static byte[] Raw(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        int padded = (json.Length + 7) / 8 * 8;
        var file = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)padded);
        json.CopyTo(file, 8);
        file.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        data.CopyTo(file, 8 + padded);
        return file;
    }

    private static byte[] HeaderLength(ulong n)
    {
        var file = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(file, n);
        "{}      "u8.CopyTo(file.AsSpan(8));
        return file;
    }

    /// <summary>An IDX file: the big-endian magic, the dimensions, then the bytes.</summary>
    private static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        var file = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(file, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(file, 4 + 4 * dims.Length);
        return file;
    }

    private static byte[] Pixels(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 37 % 256)).ToArray();

    private static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Gzip(byte[] bytes)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.SmallestSize, leaveOpen: true)) gz.Write(bytes);
        return ms.ToArray();
    }
}
