#!/usr/bin/env bash
# Side-by-side PyTorch vs Descent on this machine: optimizer steps, a 1024^3 matmul, MNIST training steps.
# Usage: bench/compare/compare.sh [--threads T] [--only all|optim|matmul|train] [--mlp-batches K] [--cnn-batches K] [--default-malloc]
# (default T=1, all workloads). The optimizer steps are always timed in PyTorch twice: with glibc's default malloc (as
# users run it) and with the tuned allocator below; --default-malloc applies to the matmul and training workloads.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
threads=1
default_malloc=0
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [[ "${args[i]}" == "--threads" ]]; then threads="${args[i + 1]:-1}"; fi
  if [[ "${args[i]}" == "--default-malloc" ]]; then default_malloc=1; fi
done

if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "PyTorch is not installed for /usr/bin/python3." >&2
  echo "On Debian/Ubuntu: sudo apt-get install -y python3-torch libopenblas0-pthread" >&2
  exit 1
fi

echo "machine: $(nproc --all) cores, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d" " -f1-3 /proc/loadavg); date: $(date -u +%Y-%m-%dT%H:%MZ)"

# The same thread count for both sides; OpenBLAS and OpenMP read these at load time.
export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"

# Debian's torch uses whatever libblas.so.3 the alternatives system provides: say which one.
if command -v update-alternatives >/dev/null; then
  blas="$(update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | sed -n 's/^Value: //p')"
  echo "libblas.so.3 -> ${blas:-unknown}"
  case "$blas" in
    *openblas*) ;;
    *) echo "warning: libblas.so.3 is not OpenBLAS; install libopenblas0-pthread for PyTorch at its best" >&2 ;;
  esac
fi

dotnet build "$root/src/Descent.Cli" -c Release --nologo -v quiet >/dev/null

# PyTorch at its best: its temporaries (64 MB for a 16M tensor) are otherwise fresh mmap'd pages on every operation,
# and the page faults cost more than the arithmetic (Adam on one 16M tensor: ~0.6 s instead of ~0.04 s on this VM).
# Keep freed memory in glibc's heap instead, for the matmul and training workloads (--default-malloc: off). compare.py
# removes this for the Descent runs, and times PyTorch's optimizer steps in two child processes, one with each setting.
if [[ "$default_malloc" == 0 && -z "${GLIBC_TUNABLES:-}" ]]; then
  export GLIBC_TUNABLES="glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184"
fi
echo "PyTorch's malloc for matmul and training: GLIBC_TUNABLES=${GLIBC_TUNABLES:-(glibc defaults)}"

exec /usr/bin/python3 "$root/bench/compare/compare.py" "$@"
