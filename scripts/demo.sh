#!/usr/bin/env bash
# Builds bronze (scripts/build.sh, which also installs the Python package into .venv), runs the
# quick start example (examples/quickstart/), trains an MLP on Fashion-MNIST from C++
# (examples/train_mnist/: Trainer, evaluation on the test set), then trains the small CNN of
# examples/fashion_mnist.py from Python (compile/fit, >= 90% test accuracy in 3 epochs) and saves
# it under build/. Arguments are passed on to the C++ training example (epochs, data directory).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/build.sh
build/examples/bronze_quickstart
echo
build/examples/bronze_train_mnist "$@"
echo
.venv/bin/python examples/fashion_mnist.py --out build/fashion_mnist.bronze
