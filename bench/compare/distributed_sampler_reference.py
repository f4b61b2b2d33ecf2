#!/usr/bin/python3
"""torch.utils.data.DistributedSampler's indices for Descent's tests, from Debian's python3-torch (1.13; the sampler's
rules are the same in 2.x).

Writes reference/distributed-sampler-public.json (run from the repository root:
/usr/bin/python3 bench/compare/distributed_sampler_reference.py). Each case is one (len, num_replicas, drop_last,
shuffle, seed, epoch) with every rank's indices, as the sampler yields them after set_epoch(epoch), and the whole order
the sampler split (range(len), or the randperm it drew from seed + epoch), so that a split of that order alone can be
checked against PyTorch's padding, dropping and striding.
"""
import json

import torch
from torch.utils.data import DistributedSampler

LENGTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 16, 17, 31, 100]
REPLICAS = [1, 2, 3, 4, 5, 7, 8, 16]
# Shuffled cases: the order is torch's randperm, which Descent does not reproduce; they check the split of a given order.
SHUFFLED = [(10, 3, 0, 0), (10, 3, 0, 1), (10, 4, 7, 2), (2, 5, 1, 0), (3, 8, 5, 3), (17, 4, 42, 0), (17, 4, 42, 5),
            (100, 7, 123, 9), (13, 16, 9, 1)]


def case(length, replicas, drop_last, shuffle, seed, epoch):
    samplers = [DistributedSampler(range(length), num_replicas=replicas, rank=r, shuffle=shuffle, seed=seed, drop_last=drop_last)
                for r in range(replicas)]
    for s in samplers:
        s.set_epoch(epoch)
    if shuffle:
        order = torch.randperm(length, generator=torch.Generator().manual_seed(seed + epoch)).tolist()
    else:
        order = list(range(length))
    expected = [list(s) for s in samplers]
    head = samplers[0]
    kind = "shuffle" if shuffle else "ordered"
    return {
        "id": f"{kind}/len={length}/replicas={replicas}/drop_last={drop_last}" + (f"/seed={seed}/epoch={epoch}" if shuffle else ""),
        "len": length, "num_replicas": replicas, "drop_last": drop_last, "shuffle": shuffle, "seed": seed, "epoch": epoch,
        "order": order, "num_samples": head.num_samples, "total_size": head.total_size, "expected": expected,
    }


def main():
    cases = []
    for length in LENGTHS:
        for replicas in REPLICAS:
            for drop_last in (False, True):
                cases.append(case(length, replicas, drop_last, False, 0, 0))
    for length, replicas, seed, epoch in SHUFFLED:
        for drop_last in (False, True):
            cases.append(case(length, replicas, drop_last, True, seed, epoch))
    content = {
        "format": "distributed-sampler-reference/1",
        "source": f"torch.utils.data.DistributedSampler of PyTorch {torch.__version__}",
        "notes": "expected[rank] is list(DistributedSampler(range(len), num_replicas, rank, shuffle, seed, drop_last)) after "
                 "set_epoch(epoch); order is the sequence the sampler split (range(len), or randperm(len) seeded with seed + epoch). "
                 "num_samples 0 (drop_last with len < num_replicas) is where PyTorch gives every rank nothing.",
        "cases": cases,
    }
    path = "reference/distributed-sampler-public.json"
    with open(path, "w") as f:
        json.dump(content, f, indent=None)
        f.write("\n")
    print(path, len(cases), "cases")


if __name__ == "__main__":
    main()
