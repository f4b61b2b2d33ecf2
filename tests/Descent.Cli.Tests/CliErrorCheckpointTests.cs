using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Descent.Cli.Tests;

/// <summary>
/// <c>descent train --resume</c> from a checkpoint that a real run wrote and that was then damaged by hand: one line naming
/// the option and the file, exit code 2, never a stack trace.
/// </summary>
public sealed class CliErrorCheckpointTests : IDisposable
{
    private static readonly string[] Wine = ["train", "--dataset", "wine", "--model", "linear", "--optimizer", "adam", "--batch-size", "32", "--json"];

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("descent-cli-resume-");
    private readonly byte[] _good;

    public CliErrorCheckpointTests()
    {
        string written = Path.Combine(_dir.FullName, "good");
        var (code, _, err) = CliRunner.Run([.. Wine, "--epochs", "1", "--checkpoint", written]);
        Assert.True(code == 0, err);
        _good = File.ReadAllBytes(Path.Combine(written, "checkpoint.safetensors"));
    }

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>The damage: a name, and what it does to the checkpoint's metadata (key → value, or null to remove the key).</summary>
    public static TheoryData<string> Damages { get; } = ["truncated groups", "missing step count", "overflowing epoch", "negative generator word",
        "negative default generator word", "missing epoch", "text epoch", "groups of another type", "truncated file", "huge header length"];

    private byte[] Damage(string damage)
    {
        if (damage == "truncated file") return _good[..(_good.Length / 2)];
        if (damage == "huge header length")
        {
            var bytes = (byte[])_good.Clone();
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue / 3);
            return bytes;
        }
        return EditMetadata(_good, meta =>
        {
            switch (damage)
            {
                case "truncated groups":
                    string groups = meta["optimizer.groups"]!.GetValue<string>();
                    meta["optimizer.groups"] = groups[..(groups.Length / 2)];
                    break;
                case "missing step count":
                    var steps = JsonNode.Parse(meta["optimizer.steps"]!.GetValue<string>())!.AsObject();
                    steps["0"]!.AsObject().Remove("step");
                    meta["optimizer.steps"] = steps.ToJsonString();
                    break;
                case "overflowing epoch":
                    meta["epoch"] = "99999999999";
                    break;
                case "text epoch":
                    meta["epoch"] = "one";
                    break;
                case "missing epoch":
                    meta.Remove("epoch");
                    break;
                case "negative generator word" or "negative default generator word":
                    string key = damage == "negative generator word" ? "generator" : "generator.default";
                    var words = JsonNode.Parse(meta[key]!.GetValue<string>())!.AsArray();
                    words[0] = "-1";
                    meta[key] = words.ToJsonString();
                    break;
                case "groups of another type":
                    meta["optimizer.groups"] = "{\"params\": 3}";
                    break;
            }
        });
    }

    /// <summary>The checkpoint with its safetensors header's <c>__metadata__</c> edited, the tensors' bytes unchanged.</summary>
    private static byte[] EditMetadata(byte[] file, Action<JsonObject> edit)
    {
        int headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        var header = JsonNode.Parse(Encoding.UTF8.GetString(file, 8, headerLength))!.AsObject();
        edit(header["__metadata__"]!.AsObject());
        byte[] newHeader = Encoding.UTF8.GetBytes(header.ToJsonString());
        var result = new byte[8 + newHeader.Length + file.Length - 8 - headerLength];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)newHeader.Length);
        newHeader.CopyTo(result, 8);
        file.AsSpan(8 + headerLength).CopyTo(result.AsSpan(8 + newHeader.Length));
        return result;
    }

    private static void AssertOneLineNamingTheFile(int code, string output, string err, string path)
    {
        Assert.True(code == 2, $"exit code {code}, stderr: {err}");
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"stderr has {lines.Length} lines:\n{err}");
        Assert.StartsWith($"error: --resume: {path}", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err + output, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", err + output, StringComparison.Ordinal);
        Assert.Equal("", output); // nothing trained, nothing reported
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_checkpoint_is_one_line_naming_the_file_and_exit_code_two(string damage)
    {
        string folder = Path.Combine(_dir.FullName, damage.Replace(' ', '-'));
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "checkpoint.safetensors");
        File.WriteAllBytes(path, Damage(damage));

        var (code, output, err) = CliRunner.Run([.. Wine, "--epochs", "2", "--checkpoint", folder, "--resume"]);

        AssertOneLineNamingTheFile(code, output, err, path);
    }

    [Theory]
    [InlineData("--model", "mlp")]
    [InlineData("--optimizer", "momentum")]
    public void A_checkpoint_of_another_model_or_optimizer_is_one_line_naming_the_file_and_exit_code_two(string option, string value)
    {
        string folder = Path.Combine(_dir.FullName, "other-" + value);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "checkpoint.safetensors");
        File.WriteAllBytes(path, _good);
        string[] args = [.. Wine, "--epochs", "2", "--checkpoint", folder, "--resume"];
        args[Array.IndexOf(args, option) + 1] = value;

        var (code, output, err) = CliRunner.Run(args);

        AssertOneLineNamingTheFile(code, output, err, path);
    }
}
