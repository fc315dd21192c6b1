#!/usr/bin/env bash
# bronze's main job end to end: builds bronze (scripts/build.sh, which also installs the Python
# package and the `bronze` command line into .venv), runs the C++ quick start, trains the small
# CNN of examples/fashion_mnist.py on Fashion-MNIST from Python (compile/fit, >= 90% test accuracy
# in 3 epochs) and saves it as build/demo/fashion_mnist.bronze, then loads that file from C++
# with `bronze run` (no Python), checks its outputs are bitwise equal to Python's, and prints
# `bronze info` and a `bronze bench` latency/throughput report. Arguments go to the Python
# example (e.g. --epochs 1 --subset 10000 for a quick look).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/build.sh
build/examples/bronze_quickstart
echo
out=build/demo
mkdir -p "$out"
.venv/bin/python examples/fashion_mnist.py --out "$out/fashion_mnist.bronze" "$@"
echo
# 64 test images in, Python's logits out (the loaded model, same thread count as bronze run).
.venv/bin/python - "$out" <<'PY'
import sys, numpy as np, bronze as bz
out = sys.argv[1]
(_, _), (x, _) = bz.datasets.fashion_mnist()
model = bz.load(f"{out}/fashion_mnist.bronze")
np.save(f"{out}/image.npy", x[:64])
np.save(f"{out}/python_logits.npy", model(x[:64]))
PY
.venv/bin/bronze info "$out/fashion_mnist.bronze"
.venv/bin/bronze run "$out/fashion_mnist.bronze" --input "image=$out/image.npy" --output-dir "$out/cpp"
.venv/bin/python - "$out" <<'PY'
import sys, numpy as np
out = sys.argv[1]
py, cpp = np.load(f"{out}/python_logits.npy"), np.load(f"{out}/cpp/output.npy")
same = py.dtype == cpp.dtype and py.shape == cpp.shape and py.tobytes() == cpp.tobytes()
print(f"C++ (bronze run) vs Python outputs {py.shape}: {'bitwise identical' if same else 'DIFFERENT'}")
sys.exit(0 if same else 1)
PY
.venv/bin/bronze bench "$out/fashion_mnist.bronze" --batch 64 --threads 2 --warmup 5 --iters 50
