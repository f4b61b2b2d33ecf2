// Benchmarks of data-parallel training over Open MPI (bench/README.md):
//   mpirun -np 2 dotnet bench/Descent.Distributed.Bench/bin/Release/net10.0/Descent.Distributed.Bench.dll [bytes...]
//     MPI_Allreduce, AllToAll + AllGather and memcpy of 4 KB … 64 MB (or the sizes given);
//   mpirun -np 2 dotnet …/Descent.Distributed.Bench.dll model [mlp] [cnn] [--steps K] [--repetitions R] [--bucket-mb X] [--shards S]
//     the CLI's MNIST models trained data-parallel: the gradient's reduction per step, the share of it hidden behind the
//     backward pass, and the same bytes through the collectives above (without mpirun: one process, --shards S).
return args is ["model", .. var rest] ? ModelBench.Run(rest) : CollectivesTable.Run(args);
