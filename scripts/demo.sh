#!/usr/bin/env bash
# Builds bronze (scripts/build.sh) and runs the quick start example, build/examples/bronze_quickstart
# (source in examples/quickstart/). Arguments are passed on to the example.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/build.sh
exec build/examples/bronze_quickstart "$@"
