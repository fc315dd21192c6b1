#!/usr/bin/env bash
# Installs the benchmark peers (scripts/bench-packages.txt), builds and runs every benchmark suite
# (benchmarks/kernels/*.cc, benchmarks/training/*.cc), each printing its ratio table
# against a peer measured in the same run. Extra arguments go to every benchmark binary (for
# example --benchmark_filter=GEMM or --benchmark_repetitions=9). OMP_WAIT_POLICY=passive keeps
# the OpenMP peer (oneDNN's own threading) from spinning into bronze's measurements.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BRONZE_BUILD_DIR:-build}
scripts/setup.sh scripts/bench-packages.txt
BRONZE_BUILD_TYPE=${BRONZE_BUILD_TYPE:-Release} scripts/build.sh
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
status=0
for bin in "$build_dir"/benchmarks/bench_*; do
  [[ -x $bin ]] || continue
  echo "=== $(basename "$bin")"
  "$bin" "$@" || status=1
done
exit $status
