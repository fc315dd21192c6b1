#!/usr/bin/env bash
# Builds bronze (scripts/build.sh), runs the quick start example (examples/quickstart/), then
# trains an MLP on Fashion-MNIST from C++ (examples/train_mnist/: Trainer, evaluation on the test
# set). Arguments are passed on to the training example (epochs, data directory).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/build.sh
build/examples/bronze_quickstart
echo
exec build/examples/bronze_train_mnist "$@"
