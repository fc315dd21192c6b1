#!/usr/bin/env bash
# Builds bronze (scripts/build.sh), then runs the C++ tests with CTest and, when tests/python
# holds test files, the Python tests with pytest. Exits non-zero when any of them fails.
# BRONZE_TEST_BINARIES=1 runs each GoogleTest binary once instead of one process per test case
# (the sanitizer run: thousands of ASan process start-ups would dominate its time).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/build.sh

status=0
build_dir=${BRONZE_BUILD_DIR:-build}
if [[ -n ${BRONZE_TEST_BINARIES:-} ]]; then
  for bin in "$build_dir"/tests/bronze_test_*; do
    [[ -x $bin ]] || continue
    echo "=== $(basename "$bin")"
    "$bin" --gtest_brief=1 || status=1
  done
else
  ctest --test-dir "$build_dir" --output-on-failure -j "${BRONZE_JOBS:-2}" || status=$?
fi

# ---- Python tests (tests/python) --------------------------------------------------------------
# pytest runs once tests/python has test files, against the package scripts/build.sh installed
# into .venv (editable). Exit code 5 means "no tests collected": not a failure.
if [[ -z ${BRONZE_SKIP_PYTHON_TESTS:-} && -d tests/python ]] && [[ -n $(find tests/python -name 'test_*.py' -o -name '*_test.py' | head -n1) ]]; then
  py_status=0
  .venv/bin/python -m pytest -q tests/python || py_status=$?
  if ((py_status != 0 && py_status != 5 && status == 0)); then
    status=$py_status
  fi
fi

exit "$status"
