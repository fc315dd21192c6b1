#!/usr/bin/env bash
# Builds bronze (scripts/build.sh), then runs the C++ tests with CTest and, when tests/python
# holds test files, the Python tests with pytest. Exits non-zero when any of them fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/build.sh

status=0
ctest --test-dir "${BRONZE_BUILD_DIR:-build}" --output-on-failure -j "${BRONZE_JOBS:-2}" || status=$?

# ---- Python tests (tests/python) --------------------------------------------------------------
# pytest runs once tests/python has test files. When the pybind11 module lands, put the directory
# it is built into on PYTHONPATH here. Exit code 5 means "no tests collected": not a failure.
if [[ -z ${BRONZE_SKIP_PYTHON_TESTS:-} && -d tests/python ]] && [[ -n $(find tests/python -name 'test_*.py' -o -name '*_test.py' | head -n1) ]]; then
  py_status=0
  .venv/bin/python -m pytest -q tests/python || py_status=$?
  if ((py_status != 0 && py_status != 5 && status == 0)); then
    status=$py_status
  fi
fi

exit "$status"
