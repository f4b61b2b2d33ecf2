#!/usr/bin/env python3
"""Training throughput of `descent train` on MNIST, one process against the ranks of an MPI job on this machine.

Usage: python3 bench/Descent.Distributed.Bench/throughput.py [--models mlp,cnn] [--runs 3] [--epochs 3] [--ranks 2]

Runs, for each model, `descent train --dataset mnist --model M --epochs E --json` (batch 128, Adam) in four ways:
  1 rank x 1 thread       DESCENT_THREADS=1 descent train --shards 1
  R ranks x 1 thread      mpirun -np R descent train --distributed          (one shard per rank)
  1 process x R threads   descent train --shards 1
  1 process x R threads   descent train --shards R                          (the ranks' bits in one process)
and reads the seconds of every epoch after the first (the first includes .NET's compilation) from the JSON's history:
samples/s = training samples / their mean. The ways are interleaved within each run, so that a change of load on a
shared machine falls on all of them alike; the table gives the median over the runs, its range, the ratio to
1 rank x 1 thread, and the weights' SHA-256, which is the same for the ranks and for --shards R in one process.
Only the standard library: the CLI is built first with `dotnet build -c Release src/Descent.Cli`.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MPIRUN = ["mpirun", "--allow-run-as-root", "--mca", "btl", "self,vader,tcp",
          "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo"]
TRAIN_SAMPLES = 60000


def cli_dll():
    found = sorted((ROOT / "src/Descent.Cli/bin/Release/net10.0").glob("**/Descent.Cli.dll"))
    if not found:
        sys.exit("throughput.py: Descent.Cli.dll not found; run: dotnet build -c Release src/Descent.Cli")
    return str(found[0])


def ways(ranks):
    """(label, command prefix, environment changes, train arguments) for each way of running."""
    return [
        ("1 rank × 1 thread, --shards 1", [], {"DESCENT_THREADS": "1"}, ["--shards", "1"]),
        (f"{ranks} ranks × 1 thread, --distributed",
         MPIRUN + ["-np", str(ranks)] + (["--oversubscribe"] if ranks > (os.cpu_count() or 1) else []), {}, ["--distributed"]),
        (f"1 process × {ranks} threads, --shards 1", [], {"DESCENT_THREADS": str(ranks)}, ["--shards", "1"]),
        (f"1 process × {ranks} threads, --shards {ranks}", [], {"DESCENT_THREADS": str(ranks)}, ["--shards", str(ranks)]),
    ]


def train(dll, prefix, env_changes, arguments, model, epochs):
    env = dict(os.environ, TERM="dumb")  # mpirun gives each rank a terminal; keep .NET's escapes out of the JSON
    env.pop("DESCENT_THREADS", None)
    env.update(env_changes)
    command = prefix + ["dotnet", dll, "train", "--dataset", "mnist", "--model", model, "--epochs", str(epochs), "--json"] + arguments
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"throughput.py: {' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    warm = [h["seconds"] for h in result["history"][1:]]
    return statistics.mean(warm), result["weights_sha256"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--ranks", type=int, default=2)
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error(f"--epochs must be >= 2 (the first epoch is not timed), got {args.epochs}")
    if args.runs < 1 or args.ranks < 2:
        parser.error("--runs must be >= 1 and --ranks >= 2")
    dll = cli_dll()
    with open("/proc/loadavg", encoding="ascii") as f:
        load = f.read().split()[0]
    print(f"{os.cpu_count()} cores, load average {load} at the start; MNIST, batch 128, Adam, {args.epochs} epochs per run "
          f"(epochs 2–{args.epochs} timed), median over {args.runs} interleaved runs (min–max)")
    print()
    print("| model | run as | s per epoch | samples/s | vs 1 × 1 | weights_sha256 |")
    print("|---|---|---:|---:|---:|---|")
    for model in args.models.split(","):
        seconds = {label: [] for label, *_ in ways(args.ranks)}
        hashes = {}
        for run in range(args.runs):
            order = ways(args.ranks) if run % 2 == 0 else list(reversed(ways(args.ranks)))
            for label, prefix, env, arguments in order:
                s, sha = train(dll, prefix, env, arguments, model, args.epochs)
                seconds[label].append(s)
                hashes[label] = sha
        base = statistics.median(seconds[ways(args.ranks)[0][0]])
        for label, *_ in ways(args.ranks):
            values = seconds[label]
            median = statistics.median(values)
            print(f"| {model} | {label} | {median:.3f} ({min(values):.3f}–{max(values):.3f}) | "
                  f"{TRAIN_SAMPLES / median:,.0f} | {base / median:.2f} | {hashes[label][:12]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
