using System.Globalization;
using System.Text.Json;
using Xunit;

namespace Descent.Distributed.Tests;

/// <summary>
/// <c>descent train --distributed</c> under mpirun keeps the promise of <c>--shards</c>: for S shards, the weights are
/// the same bits in one process and on any number of ranks dividing S, and a checkpoint resumes on another number.
/// </summary>
[Collection(MpiRun.Collection)]
public sealed class DistributedTrainingTests
{
    [Fact]
    public void An_MNIST_epoch_on_two_ranks_gives_the_weights_of_two_shards_in_one_process()
    {
        string[] train = ["train", "--dataset", "mnist", "--model", "mlp", "--epochs", "1", "--json"];

        var alone = DescentCli.Json(DescentCli.Run([.. train, "--shards", "2"]));
        var job = DescentCli.Json(DescentCli.Mpirun(2, [.. train, "--distributed"]));

        Assert.Equal((1, 2), (alone.GetProperty("ranks").GetInt32(), alone.GetProperty("shards").GetInt32()));
        Assert.Equal((2, 2), (job.GetProperty("ranks").GetInt32(), job.GetProperty("shards").GetInt32())); // --shards defaults to the ranks
        Assert.Equal(DescentCli.WeightsSha256(alone), DescentCli.WeightsSha256(job));
    }

    /// <summary>
    /// Adam's moments and a per-step cosine schedule carry any difference of one step into every later one. The digits'
    /// 1,437 training samples are padded to 1,440 for 6 shards of 240; a batch of 42 takes 7 from each, so every epoch
    /// ends on a batch of 2 a shard, and with 2 batches a step, on a step of one batch. cnn-bn adds BatchNorm, whose
    /// running statistics (not parameters, so not in the hash) the test loss shows.
    /// </summary>
    [Theory]
    [InlineData("mlp", 4)]
    [InlineData("cnn-bn", 2)]
    public void Six_shards_give_the_same_weights_in_one_process_on_two_ranks_and_on_three(string model, int epochs)
    {
        string[] train =
        [
            "train", "--dataset", "digits", "--model", model, "--epochs", epochs.ToString(CultureInfo.InvariantCulture), "--batch-size", "42",
            "--optimizer", "adam", "--schedule", "cosine", "--accumulate", "2", "--seed", "7", "--shards", "6", "--json",
        ];

        var alone = DescentCli.Json(DescentCli.Run(train));
        var onTwo = DescentCli.Json(DescentCli.Mpirun(2, [.. train, "--distributed"]));
        var onThree = DescentCli.Json(DescentCli.Mpirun(3, [.. train, "--distributed"]));

        Assert.Equal(3, onThree.GetProperty("ranks").GetInt32());
        Assert.Equal(6, onThree.GetProperty("shards").GetInt32());
        foreach (var job in new[] { onTwo, onThree })
        {
            Assert.Equal(DescentCli.WeightsSha256(alone), DescentCli.WeightsSha256(job));
            // JSON prints a double's shortest round-trip form: the same text is the same bits.
            Assert.Equal(alone.GetProperty("final_train_loss").GetRawText(), job.GetProperty("final_train_loss").GetRawText());
            Assert.Equal(alone.GetProperty("test_loss").GetRawText(), job.GetProperty("test_loss").GetRawText());
        }
    }

    /// <summary>
    /// Three epochs straight, against two on <paramref name="firstRanks"/> ranks and a third resumed from their checkpoint
    /// on <paramref name="thenRanks"/> (1: one process, without --distributed). No schedule: a per-step schedule spans
    /// --epochs, which the resumed run changes.
    /// </summary>
    [Theory]
    [InlineData(2, 1)]
    [InlineData(1, 2)]
    public void A_checkpoint_resumes_on_another_number_of_ranks_to_the_weights_of_an_uninterrupted_run(int firstRanks, int thenRanks)
    {
        string[] train =
        [
            "train", "--dataset", "digits", "--model", "mlp", "--batch-size", "42", "--optimizer", "adam", "--accumulate", "2",
            "--seed", "5", "--shards", "2", "--json",
        ];
        using var folder = new TemporaryFolder("descent-resume-");

        string uninterrupted = DescentCli.WeightsSha256(DescentCli.Json(DescentCli.Run([.. train, "--epochs", "3"])));
        var first = DescentCli.Json(Train(firstRanks, [.. train, "--epochs", "2", "--checkpoint", folder.Path]));
        var then = DescentCli.Json(Train(thenRanks, [.. train, "--epochs", "3", "--checkpoint", folder.Path, "--resume"]));

        Assert.Equal([1, 2], DescentCli.EpochsTrained(first));
        Assert.Equal([3], DescentCli.EpochsTrained(then));
        Assert.Equal(thenRanks, then.GetProperty("ranks").GetInt32());
        Assert.Equal(uninterrupted, DescentCli.WeightsSha256(then));
    }

    private static RunResult Train(int ranks, string[] arguments) =>
        ranks == 1 ? DescentCli.Run(arguments) : DescentCli.Mpirun(ranks, [.. arguments, "--distributed"]);

    [Fact]
    public void Only_rank_0_prints_the_JSON_document()
    {
        var result = DescentCli.Mpirun(3, "train", "--dataset", "iris", "--batch-size", "30", "--epochs", "2", "--distributed", "--json");

        JsonElement json = DescentCli.Json(result); // exactly one document on stdout
        Assert.Equal(3, json.GetProperty("ranks").GetInt32());
    }

    [Fact]
    public void Only_rank_0_prints_the_progress_the_table_and_the_test_accuracy()
    {
        var result = DescentCli.Mpirun(3, "train", "--dataset", "iris", "--batch-size", "30", "--epochs", "3", "--distributed");

        Assert.True(result.ExitCode == 0, result.ToString());
        string output = result.StandardOutput;
        Assert.True(DescentCli.Occurrences(output, "Training mlp") == 1, result.ToString()); // the header, "... on 3 ranks ..."
        for (int epoch = 1; epoch <= 3; epoch++)
            Assert.True(DescentCli.Occurrences(output, $"epoch {epoch}: train loss") == 1, result.ToString());
        Assert.True(DescentCli.Occurrences(output, "train acc") == 1, result.ToString()); // the table's header
        Assert.True(DescentCli.Occurrences(output, "Test accuracy") == 1, result.ToString());
    }
}
