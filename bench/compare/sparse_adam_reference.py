#!/usr/bin/python3
"""PyTorch's SparseAdam values for Descent's tests, from Debian's python3-torch (1.13; SparseAdam's rule is the same in 2.x).

Writes two files (run from the repository root: /usr/bin/python3 bench/compare/sparse_adam_reference.py):

- reference/optim-sparseadam-public.json, in the standard "optimizer-reference/1" format: every gradient touches every
  row (a coalesced sparse gradient listing all rows), which is what Descent's SparseAdam makes of a dense gradient, so
  the conformance suite runs these cases as it runs every other optimizer's.
- tests/Descent.Tests/Optim/Data/sparseadam-rows.json: steps whose sparse gradient touches a subset of the rows (given
  coalesced: strictly increasing rows, one values row each; some steps touch none), with the parameter and both moments
  after every step. Only this file can show that untouched rows are left alone.
"""
import json
import os

import torch

TOLERANCE = {"float64": {"rtol": 1e-9, "atol": 1e-12}, "float32": {"rtol": 2e-5, "atol": 1e-6}}
DTYPES = {"float32": torch.float32, "float64": torch.float64}
HYPERPARAMETERS = [
    {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "maximize": False},
    {"lr": 0.05, "betas": [0.8, 0.95], "eps": 1e-6, "maximize": False},
    {"lr": 0.02, "betas": [0.7, 0.9], "eps": 1e-4, "maximize": True},
]


def flat(t):
    return [float(v) for v in t.detach().double().reshape(-1).tolist()]


def run(shape, dtype, hp, steps, gen, rows_of_step):
    """Runs SparseAdam; rows_of_step(t) gives the rows step t touches. Returns initial, gradients and trajectories."""
    dt = DTYPES[dtype]
    p = torch.randn(shape, generator=gen, dtype=torch.float64).to(dt).requires_grad_()
    initial = flat(p)
    opt = torch.optim.SparseAdam([p], lr=hp["lr"], betas=tuple(hp["betas"]), eps=hp["eps"], maximize=hp["maximize"])
    record = {"steps": [], "expected": [], "exp_avg": [], "exp_avg_sq": []}
    for t in range(steps):
        rows = rows_of_step(t)
        values = torch.randn([len(rows)] + list(shape[1:]), generator=gen, dtype=torch.float64).to(dt)
        if rows:
            p.grad = torch.sparse_coo_tensor(torch.tensor([rows], dtype=torch.long), values, shape).coalesce()
            opt.step()
        else:
            # PyTorch 2.x counts the step and skips the update of an empty gradient; 1.13's functional form fails on it,
            # so its 2.x effect is applied here (never on a first step, which would also create the state).
            opt.state[p]["step"] += 1
        state = opt.state[p]
        record["steps"].append({"rows": rows, "values": flat(values)})
        record["expected"].append(flat(p))
        record["exp_avg"].append(flat(state["exp_avg"]))
        record["exp_avg_sq"].append(flat(state["exp_avg_sq"]))
    return initial, record


def hp_id(hp):
    return ",".join(f"{k}={v}" for k, v in sorted(hp.items()))


def every_row_cases(gen):
    cases = []
    for dtype in DTYPES:
        for hp in HYPERPARAMETERS:
            for shape in ([6, 3], [5]):
                initial, r = run(shape, dtype, hp, 20, gen, lambda t, n=shape[0]: list(range(n)))
                cases.append({
                    "id": f"SparseAdam/gradients/{'x'.join(map(str, shape))}/{dtype}/{hp_id(hp)}",
                    "optimizer": "SparseAdam", "hyperparameters": hp, "dtype": dtype, "shapes": [shape],
                    "initial": [initial], "groups": None, "steps": 20, "kind": "gradients",
                    "gradients": [[s["values"]] for s in r["steps"]],
                    "expected": [[e] for e in r["expected"]],
                    "expected_state": {"exp_avg": [[e] for e in r["exp_avg"]], "exp_avg_sq": [[e] for e in r["exp_avg_sq"]]},
                })
    return cases


def subset_cases(gen):
    cases = []
    for dtype in DTYPES:
        for hp in HYPERPARAMETERS:
            shape = [8, 3]

            def rows_of_step(t):
                if t % 5 == 4:
                    return []  # a step with a gradient that touches nothing: it still counts for the bias corrections
                picked = torch.randperm(shape[0], generator=gen)[: 1 + t % 4]
                return sorted(int(i) for i in picked)

            initial, r = run(shape, dtype, hp, 15, gen, rows_of_step)
            cases.append({"id": f"SparseAdam/rows/{dtype}/{hp_id(hp)}", "hyperparameters": hp, "dtype": dtype,
                          "shape": shape, "initial": initial, **r})
    return cases


def main():
    gen = torch.Generator().manual_seed(20240613)
    source = f"torch.optim.SparseAdam of PyTorch {torch.__version__}, computed in the dtype given"
    standard = {"format": "optimizer-reference/1", "source": source + "; every gradient a coalesced sparse tensor over all rows",
                "which": "public", "tolerance": TOLERANCE, "cases": every_row_cases(gen)}
    rows = {"format": "sparseadam-rows/1", "source": source, "tolerance": TOLERANCE, "cases": subset_cases(gen)}
    os.makedirs("tests/Descent.Tests/Optim/Data", exist_ok=True)
    for path, content in [("reference/optim-sparseadam-public.json", standard), ("tests/Descent.Tests/Optim/Data/sparseadam-rows.json", rows)]:
        with open(path, "w") as f:
            json.dump(content, f, indent=None)
            f.write("\n")
        print(path, len(content["cases"]), "cases")


if __name__ == "__main__":
    main()
