using Descent.Data;
using Descent.NN;
using Descent.Optim;
using Descent.Training;
using F = Descent.NN.Functional;

namespace Descent.Tests.Tensors;

/// <summary>
/// <see cref="Generator.Default"/> is each thread's own: trainings on several threads, each seeded through
/// <see cref="Tensor.ManualSeed"/>, give what each gives alone, and a new thread starts at seed 0.
/// </summary>
[Collection(DefaultGeneratorCollection.Name)]
public class DefaultGeneratorThreadTests
{
    /// <summary>Runs <paramref name="body"/> on a new thread of its own and returns its result.</summary>
    private static T OnThread<T>(Func<T> body) => OnThreads(1, _ => body())[0];

    private static T[] OnThreads<T>(int count, Func<int, T> body)
    {
        var results = new T[count];
        var failures = new Exception?[count];
        var threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
        {
            try
            {
                results[i] = body(i);
            }
            catch (Exception e)
            {
                failures[i] = e;
            }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        if (failures.FirstOrDefault(f => f is not null) is { } failure) throw new AggregateException(failure);
        return results;
    }

    [Fact]
    public void Two_threads_seeded_alike_draw_what_one_draws_alone_whatever_the_interleaving()
    {
        Tensor.ManualSeed(7);
        float[] alone = Tensor.Rand([100]).ToArray<float>();
        // Thread 0 seeds, then thread 1 seeds, then thread 0 draws, then thread 1 draws: with one shared generator the
        // second thread's numbers would be the ones after the first thread's.
        using var turn = new Barrier(2);
        var drawn = OnThreads(2, i =>
        {
            if (i == 0) Tensor.ManualSeed(7);
            turn.SignalAndWait();
            if (i == 1) Tensor.ManualSeed(7);
            turn.SignalAndWait();
            float[]? values = i == 0 ? Tensor.Rand([100]).ToArray<float>() : null;
            turn.SignalAndWait();
            return values ?? Tensor.Rand([100]).ToArray<float>();
        });
        Assert.Equal(alone, drawn[0]);
        Assert.Equal(alone, drawn[1]);
    }

    [Fact]
    public void A_new_thread_starts_at_seed_0_and_seeding_it_leaves_this_thread_alone()
    {
        var expected = Tensor.Rand([8], generator: new Generator(0)).ToArray<float>();
        Assert.Equal(expected, OnThread(() => Tensor.Rand([8]).ToArray<float>()));
        Tensor.ManualSeed(5);
        var next = Tensor.Rand([8], generator: new Generator(5)).ToArray<float>();
        OnThread(() =>
        {
            Tensor.ManualSeed(123);
            return Tensor.Rand([1000]);
        });
        Assert.Equal(next, Tensor.Rand([8]).ToArray<float>());
    }

    /// <summary>
    /// Initialisation, dropout and shuffling all from the default generator, seeded once: the trained weights' bytes.
    /// </summary>
    private static byte[] SeededTraining(long seed, Barrier? together = null)
    {
        Tensor.ManualSeed(seed);
        together?.SignalAndWait(); // both threads seeded before either draws
        var g = new Generator(99);
        var x = Tensor.Randn([64, 6], generator: g);
        var y = x.MatMul(Tensor.Randn([6, 3], generator: g)).Argmax(1);
        var model = new Sequential(new Linear(6, 16), new ReLU(), new Dropout(0.3), new Linear(16, 3));
        var trainer = new Trainer(model, new SGD(model.Parameters(), lr: 0.1, momentum: 0.9), (o, t) => F.CrossEntropy(o, t));
        trainer.Fit(new DataLoader(new TensorDataset(x, y), batchSize: 8, shuffle: true), epochs: 3);
        return [.. model.StateDict().OrderBy(kv => kv.Key, StringComparer.Ordinal).SelectMany(kv => kv.Value.ToArray<float>()).SelectMany(BitConverter.GetBytes)];
    }

    [Fact]
    public void Concurrent_trainings_seeded_through_ManualSeed_match_each_alone()
    {
        byte[] aloneA = OnThread(() => SeededTraining(1));
        byte[] aloneB = OnThread(() => SeededTraining(2));
        Assert.NotEqual(aloneA, aloneB);
        using var together = new Barrier(2);
        var concurrent = OnThreads(2, i => SeededTraining(i + 1, together));
        Assert.Equal(aloneA, concurrent[0]);
        Assert.Equal(aloneB, concurrent[1]);
        Assert.Equal(aloneA, SeededTraining(1)); // and on this thread too
    }
}
