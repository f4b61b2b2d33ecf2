"""Runs the same workloads in PyTorch and in Descent (`descent bench ... --json`) and prints each pair and its ratio.

Workloads: optimizer steps (float32, 16M parameters as one tensor and as the 200 tensors of bench/model_sizes.txt;
PyTorch's best of foreach on and off), a float32 1024x1024x1024 matrix product, and MNIST-shaped training steps
(forward, backward, Adam) of the MLP 784-256-128-10 and the CNN of src/Descent.Cli/Catalog/ModelCatalog.cs.
Run through compare.sh, which sets the thread count for both sides.

The optimizer steps are timed in PyTorch twice, each in a child process of its own because glibc reads its malloc
settings at start-up: once with glibc's default malloc (PyTorch as users run it) and once with the tuned allocator
(TUNED_MALLOC below: freed memory stays in the heap, so the 64 MB temporaries of a 16M-element step are not fresh
page-faulting mmap'd pages every time).
"""
import argparse
import json
import os
import subprocess
import sys
import time

try:
    import torch
    import torch.nn as nn
except ImportError:
    sys.exit("PyTorch is not installed for /usr/bin/python3. On Debian: apt-get install -y python3-torch libopenblas0-pthread")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OPTIMIZERS = ["adam", "rmsprop", "adagrad", "adadelta", "sgd"]
MNIST_TRAIN = 60000
TUNED_MALLOC = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184"


def best_time(fn, budget, min_reps=3, max_reps=50, between=None):
    """The best wall time of fn() over repetitions until the budget (seconds) is spent; between() runs untimed before each."""
    best, start, reps = float("inf"), time.perf_counter(), 0
    while reps < min_reps or (time.perf_counter() - start < budget and reps < max_reps):
        if between is not None:
            between()
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
        reps += 1
    return best


def torch_optimizer(name, params, foreach):
    ctor = {
        "adam": lambda **kw: torch.optim.Adam(params, **kw),
        "rmsprop": lambda **kw: torch.optim.RMSprop(params, **kw),
        "adagrad": lambda **kw: torch.optim.Adagrad(params, **kw),
        "adadelta": lambda **kw: torch.optim.Adadelta(params, **kw),
        "sgd": lambda **kw: torch.optim.SGD(params, lr=0.01, **kw),
    }[name]
    try:
        return ctor(foreach=foreach)
    except TypeError:  # an optimizer without the foreach switch in this version
        return None if foreach else ctor()


def torch_optim_seconds(name, sizes, budget=1.0):
    """PyTorch's best step time for one optimizer, the faster of foreach on and off (at least 3 timed steps each)."""
    g = torch.Generator().manual_seed(1)
    # Descent's bench follows each step with a stream-triad pass over three 64 MB arrays, which leaves nothing of the
    # step in the caches (as a forward and backward pass would in training). Do the same here: back to back, a 16M step
    # finds part of its 128-448 MB in the last-level cache and looks ~20% faster than it is in a training loop.
    a, b, c = torch.empty(1 << 24), torch.rand(1 << 24), torch.rand(1 << 24)

    def flush():
        torch.add(b, c, alpha=3.0, out=a)

    params = [torch.rand(s, generator=g).requires_grad_() for s in sizes]
    for p in params:
        p.grad = torch.rand(p.shape, generator=g)
    best = float("inf")
    for foreach in (False, True):
        opt = torch_optimizer(name, params, foreach)
        if opt is None:
            continue
        with torch.no_grad():
            for _ in range(2):
                opt.step()
            best = min(best, best_time(opt.step, budget, max_reps=20, between=flush))
    return best


def torch_matmul_gflops(n):
    a, b = torch.rand(n, n), torch.rand(n, n)
    c = torch.empty(n, n)
    torch.mm(a, b, out=c)
    return 2.0 * n ** 3 / best_time(lambda: torch.mm(a, b, out=c), 1.0) / 1e9


def torch_model(kind):
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def torch_train_seconds_per_epoch(kind, batch, batches, warmup=30):
    """Seconds per 60000-sample epoch extrapolated from timed steps on random MNIST-shaped batches (pre-made)."""
    torch.manual_seed(0)
    model = torch_model(kind)
    opt = torch.optim.Adam(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    shape = (batch, 784) if kind == "mlp" else (batch, 1, 28, 28)
    data = [(torch.randn(shape), torch.randint(0, 10, (batch,))) for _ in range(8)]

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for i in range(warmup):
        step(*data[i % len(data)])
    start = time.perf_counter()
    for i in range(batches):
        step(*data[i % len(data)])
    return (time.perf_counter() - start) / (batches * batch) * MNIST_TRAIN


def descent(args, threads):
    cmd = ["dotnet", "run", "-c", "Release", "--no-build", "--project", os.path.join(ROOT, "src", "Descent.Cli"), "--",
           "bench", *args, "--threads", str(threads), "--json"]
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}  # the malloc settings are PyTorch's alone
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, env=env).stdout
    return json.loads(out)


def torch_optim_child(threads, tensors, malloc):
    """PyTorch's optimizer step times (ms by name) for one layout, in a child process with the given malloc settings."""
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    if malloc == "tuned":
        env["GLIBC_TUNABLES"] = TUNED_MALLOC
    cmd = [sys.executable, os.path.abspath(__file__), "--threads", str(threads), "--torch-optim-child", str(tensors)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def layouts():
    sizes200 = [int(l) for l in open(os.path.join(ROOT, "bench", "model_sizes.txt")) if l.strip()]
    return [("1 tensor", 1, [sum(sizes200)]), ("200 tensors", 200, sizes200)]


def loaded_blas():
    """The BLAS libraries mapped into this process (after a matmul), resolved through symlinks and alternatives."""
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if "blas" in path or "mkl" in path:
                libs.add(os.path.realpath(path))
    return sorted(libs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--mlp-batches", type=int, default=200)
    ap.add_argument("--cnn-batches", type=int, default=40)
    ap.add_argument("--only", choices=["all", "optim", "matmul", "train"], default="all", help="run only these workloads")
    ap.add_argument("--default-malloc", action="store_true", help="handled by compare.sh (matmul and training: PyTorch with glibc's default malloc)")
    ap.add_argument("--torch-optim-child", type=int, metavar="TENSORS", help=argparse.SUPPRESS)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.torch_optim_child is not None:  # child process: PyTorch's optimizer steps only, as JSON
        sizes = next(s for _, k, s in layouts() if k == a.torch_optim_child)
        # Under glibc's default malloc a 16M-element step takes ~0.5 s: a shorter budget keeps the run short (3 steps at least).
        print(json.dumps({name: torch_optim_seconds(name, sizes, budget=0.5) * 1e3 for name in OPTIMIZERS}))
        return

    torch.mm(torch.rand(64, 64), torch.rand(64, 64))  # loads the BLAS library, so that it shows in the process's maps
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); BLAS loaded: {', '.join(loaded_blas()) or 'none found'}")
    cfg = [l.strip() for l in torch.__config__.show().splitlines() if "BLAS_INFO" in l or "Build settings" in l]
    for l in cfg:
        for part in l.split(", "):
            if "BLAS_INFO" in part or "LAPACK_INFO" in part:
                print("  torch config:", part.replace("- Build settings: ", ""))
    try:
        import threadpoolctl
        for info in threadpoolctl.threadpool_info():
            print(f"  threadpoolctl: {info.get('internal_api')} {info.get('version')} {info.get('filepath')} threads={info.get('num_threads')}")
    except ImportError:
        pass
    tuned_here = os.environ.get("GLIBC_TUNABLES") == TUNED_MALLOC
    print(f"Descent: {a.threads} thread(s)")
    print(f"optimizer steps: PyTorch twice, glibc's default malloc and GLIBC_TUNABLES={TUNED_MALLOC}; "
          f"matmul and training: PyTorch with {'the tuned' if tuned_here else 'this process' + chr(39) + 's'} malloc "
          f"(GLIBC_TUNABLES={os.environ.get('GLIBC_TUNABLES', '(glibc defaults)')})\n", flush=True)

    rows = []  # (workload, unit, torch default-malloc value, torch tuned-malloc value, descent value, higher_is_better)
    if a.only in ("all", "optim"):
        for label, k, sizes in layouts():
            d = {r["optimizer"]: r for r in descent(["optim", "--optimizer", ",".join(OPTIMIZERS), "--params", str(sum(sizes)), "--tensors", str(k)], a.threads)}
            plain = torch_optim_child(a.threads, k, "default")
            tuned = torch_optim_child(a.threads, k, "tuned")
            for name in OPTIMIZERS:
                rows.append((f"{name} step, 16M params, {label}", "ms", plain[name], tuned[name], d[name]["ns_per_param"] * d[name]["params"] / 1e6, False))
                print_row(rows[-1])
    if a.only in ("all", "matmul"):
        torch_mm = torch_matmul_gflops(1024)
        m = {r["shape"]: r for r in descent(["matmul", "--n", "1024"], a.threads)}["1024x1024x1024"]
        rows.append(("matmul 1024^3 float32", "GFLOP/s", None if tuned_here else torch_mm, torch_mm if tuned_here else None, m["gflops"], True))
        print_row(rows[-1])
    if a.only in ("all", "train"):
        for kind, batches in (("mlp", a.mlp_batches), ("cnn", a.cnn_batches)):
            t = torch_train_seconds_per_epoch(kind, 128, batches)
            d = descent(["train", "--model", kind, "--batches", str(batches)], a.threads)
            rows.append((f"{kind.upper()} MNIST epoch (batch 128, Adam)", "s", None if tuned_here else t, t if tuned_here else None, d["seconds_per_epoch"], False))
            print_row(rows[-1])

    print("\n| workload | PyTorch, default malloc | PyTorch, tuned malloc | Descent | Descent vs default malloc | Descent vs tuned malloc |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        cells = [f"{v:.3g} {r[1]}" if v is not None else "–" for v in (r[2], r[3], r[4])]
        ratios = [f"{x:.2f}x" if x is not None else "–" for x in (speedup(r, 2), speedup(r, 3))]
        print(f"| {r[0]} | {' | '.join(cells)} | {' | '.join(ratios)} |")


def speedup(row, column):
    """Descent's speed-up over the PyTorch value in row[column] (2: default malloc, 3: tuned malloc), or None."""
    _, _, *_, d, higher = row
    t = row[column]
    if t is None:
        return None
    return d / t if higher else t / d


def print_row(row):
    parts = [f"{row[0]:<40}"]
    for column, label in ((2, "torch default-malloc"), (3, "torch tuned-malloc")):
        if row[column] is not None:
            parts.append(f"{label} {row[column]:9.3f} {row[1]:<7} (Descent {speedup(row, column):5.2f}x)")
    parts.append(f"descent {row[4]:9.3f} {row[1]}")
    print("  ".join(parts), flush=True)


if __name__ == "__main__":
    main()
