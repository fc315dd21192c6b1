#!/usr/bin/env bash
# `make bench`: the whole benchmark suite in one command. Installs the peers (Debian packages in
# scripts/bench-packages.txt: PyTorch for Debian's python3; PyPI packages in
# requirements-bench.txt into .venv: ONNX Runtime, onnx, matplotlib), builds every benchmark
# binary in Release into build-bench/ (tests and Python module off), then runs
# benchmarks/suite.py: workloads W1-W6 of issue 7 against ONNX Runtime and PyTorch in the same
# job, every other suite (benchmarks/kernels) for its own ratio table, and writes
# benchmarks/results/latest.json and latest.png. Arguments go to suite.py (--help; e.g.
# --only W2 W5, --reps 9, --no-kernels). Environment: BRONZE_BENCH_BUILD_DIR (build-bench),
# BRONZE_JOBS (2), BRONZE_CMAKE_ARGS (extra cmake args), BRONZE_TORCH_PYTHON (/usr/bin/python3).
# OMP_WAIT_POLICY=passive keeps OpenMP (oneDNN's own threading in the kernel suites' peers) from
# spinning into bronze's measurements; the PyTorch peers get their default (spinning) setup.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BRONZE_BENCH_BUILD_DIR:-build-bench}

scripts/setup.sh scripts/bench-packages.txt
stamp=.venv/.bronze-bench-requirements.sha256
want=$(sha256sum requirements-bench.txt | cut -d' ' -f1)
if [[ ! -f $stamp || $(<"$stamp") != "$want" ]]; then
  echo "bench: installing requirements-bench.txt into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-bench.txt
  echo "$want" >"$stamp"
fi

cmake_args=()
if [[ -n ${BRONZE_CMAKE_ARGS:-} ]]; then
  read -r -a cmake_args <<<"$BRONZE_CMAKE_ARGS"
fi
if [[ ! -f "$build_dir/build.ninja" || -n ${BRONZE_CMAKE_ARGS:-} ]]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBRONZE_BUILD_TESTS=OFF \
    -DBRONZE_BUILD_PYTHON=OFF -DBRONZE_BUILD_BENCHMARKS=ON "${cmake_args[@]}"
fi
cmake --build "$build_dir" -j "${BRONZE_JOBS:-2}" --target benchmarks

export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
exec .venv/bin/python benchmarks/suite.py --build-dir "$build_dir" "$@"
