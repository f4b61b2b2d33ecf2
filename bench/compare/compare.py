"""Runs the same workloads in PyTorch and in Descent (`descent bench ... --json`) and prints each pair and its ratio.

Workloads: optimizer steps (float32, 16M parameters as one tensor and as the 200 tensors of bench/model_sizes.txt;
PyTorch's best of foreach on and off), a float32 1024x1024x1024 matrix product, and MNIST-shaped training steps
(forward, backward, Adam) of the MLP 784-256-128-10 and the CNN of src/Descent.Cli/Catalog/ModelCatalog.cs.
Run through compare.sh, which sets the thread count for both sides.
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


def best_time(fn, budget, min_reps=3, max_reps=50):
    """The best wall time of fn() over repetitions until the budget (seconds) is spent."""
    best, start, reps = float("inf"), time.perf_counter(), 0
    while reps < min_reps or (time.perf_counter() - start < budget and reps < max_reps):
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


def torch_optim_seconds(name, sizes):
    """PyTorch's best step time for one optimizer, the faster of foreach on and off."""
    g = torch.Generator().manual_seed(1)
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
            best = min(best, best_time(opt.step, 1.0, max_reps=20))
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


def torch_train_seconds_per_epoch(kind, batch, batches, warmup=3):
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
    ap.add_argument("--cnn-batches", type=int, default=20)
    ap.add_argument("--default-malloc", action="store_true", help="handled by compare.sh (PyTorch with glibc's default malloc settings)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    sizes200 = [int(l) for l in open(os.path.join(ROOT, "bench", "model_sizes.txt")) if l.strip()]
    layouts = [("1 tensor", 1, [sum(sizes200)]), ("200 tensors", 200, sizes200)]

    rows = []  # (workload, unit, torch value, descent value, higher_is_better)
    torch_mm = torch_matmul_gflops(1024)
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
    print(f"Descent: {a.threads} thread(s)\n", flush=True)

    for label, k, sizes in layouts:
        d = {r["optimizer"]: r for r in descent(["optim", "--optimizer", ",".join(OPTIMIZERS), "--params", str(sum(sizes)), "--tensors", str(k)], a.threads)}
        for name in OPTIMIZERS:
            t = torch_optim_seconds(name, sizes) * 1e3
            rows.append((f"{name} step, 16M params, {label}", "ms", t, d[name]["ns_per_param"] * d[name]["params"] / 1e6, False))
            print_row(rows[-1])
    m = {r["shape"]: r for r in descent(["matmul", "--n", "1024"], a.threads)}["1024x1024x1024"]
    rows.append(("matmul 1024^3 float32", "GFLOP/s", torch_mm, m["gflops"], True))
    print_row(rows[-1])
    for kind, batches in (("mlp", a.mlp_batches), ("cnn", a.cnn_batches)):
        t = torch_train_seconds_per_epoch(kind, 128, batches)
        d = descent(["train", "--model", kind, "--batches", str(batches)], a.threads)
        rows.append((f"{kind.upper()} MNIST epoch (batch 128, Adam)", "s", t, d["seconds_per_epoch"], False))
        print_row(rows[-1])

    print("\n| workload | PyTorch | Descent | Descent speed-up |\n|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r[0]} | {r[2]:.3g} {r[1]} | {r[3]:.3g} {r[1]} | {speedup(r):.2f}x |")


def speedup(row):
    _, _, t, d, higher = row
    return d / t if higher else t / d


def print_row(row):
    print(f"{row[0]:<42} torch {row[2]:9.3f} {row[1]:<8} descent {row[3]:9.3f} {row[1]:<8} speed-up {speedup(row):6.2f}x", flush=True)


if __name__ == "__main__":
    main()
