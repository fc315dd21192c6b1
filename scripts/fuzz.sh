#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan into build-fuzz/ (only the targets and
# the libraries they need) and runs them: the loader target for BRONZE_FUZZ_LOAD_RUNS executions
# (default 1,000,000) and the load-then-run target for BRONZE_FUZZ_RUN_SECONDS (default 60),
# each from a seed corpus of valid models (written by bronze_fuzz_make_seeds) plus the kept
# regressions. A crash fails the script; libFuzzer writes the crashing input to build-fuzz/
# artifacts/: copy it into tests/fuzz/regressions/<target>/ (ctest replays it in every build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir=${BRONZE_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${BRONZE_JOBS:-2}
load_runs=${BRONZE_FUZZ_LOAD_RUNS:-1000000}
run_seconds=${BRONZE_FUZZ_RUN_SECONDS:-60}

if [[ ! -f $build_dir/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBRONZE_FUZZ=ON -DBRONZE_SANITIZE="address;undefined" -DBRONZE_CUDA=OFF \
    -DBRONZE_BUILD_BENCHMARKS=OFF -DBRONZE_BUILD_PYTHON=OFF ${CI:+-DBRONZE_WERROR=ON}
fi
cmake --build "$build_dir" -j "$jobs" --target bronze_fuzz_load bronze_fuzz_run bronze_fuzz_make_seeds

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
seeds=$build_dir/fuzz/seeds
rm -rf "$seeds" && mkdir -p "$seeds" "$build_dir/fuzz/corpus_load" "$build_dir/fuzz/corpus_run" \
  "$build_dir/artifacts"
"$build_dir/tests/fuzz/bronze_fuzz_make_seeds" "$seeds"

# -rss_limit_mb bounds memory; -max_len keeps inputs near the size of the seeds.
common=(-rss_limit_mb=2048 -max_len=8192 -timeout=10 -print_final_stats=1
        -artifact_prefix="$build_dir/artifacts/")
echo "=== fuzz_load: $load_runs runs"
"$build_dir/tests/fuzz/bronze_fuzz_load" "${common[@]}" -runs="$load_runs" \
  "$build_dir/fuzz/corpus_load" "$seeds" tests/fuzz/regressions/load
echo "=== fuzz_run: $run_seconds s"
"$build_dir/tests/fuzz/bronze_fuzz_run" "${common[@]}" -max_total_time="$run_seconds" \
  "$build_dir/fuzz/corpus_run" "$seeds" tests/fuzz/regressions/run
