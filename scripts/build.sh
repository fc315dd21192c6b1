#!/usr/bin/env bash
# Builds bronze into build/ with CMake + Ninja, after scripts/setup.sh. Configures only when
# the build dir is not configured yet or BRONZE_CMAKE_ARGS is set. Environment: BRONZE_BUILD_DIR
# (build), BRONZE_BUILD_TYPE (RelWithDebInfo), BRONZE_JOBS (2), BRONZE_CMAKE_ARGS (extra cmake
# args), CI (turns on -Werror).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BRONZE_BUILD_DIR:-build}

scripts/setup.sh

cmake_args=()
if [[ -n ${BRONZE_CMAKE_ARGS:-} ]]; then
  read -r -a cmake_args <<<"$BRONZE_CMAKE_ARGS"
fi
if [[ -n ${CI:-} ]]; then
  cmake_args+=(-DBRONZE_WERROR=ON)
fi

configure=0
if [[ ! -f "$build_dir/build.ninja" || -n ${BRONZE_CMAKE_ARGS:-} ]]; then
  configure=1
elif [[ -n ${CI:-} ]] && ! grep -qx 'BRONZE_WERROR:BOOL=ON' "$build_dir/CMakeCache.txt"; then
  configure=1  # configured earlier without -Werror
fi
if ((configure)); then
  if [[ -f "$build_dir/CMakeCache.txt" && ! -f "$build_dir/build.ninja" ]]; then
    echo "build: $build_dir/ holds a configuration for another generator; run 'make clean' first" >&2
    exit 1
  fi
  # The default tree also builds the Python extension (scripts/python.sh installs it).
  python_args=()
  if [[ $build_dir == build ]]; then
    python_args=(-DBRONZE_BUILD_PYTHON=ON -DPython_EXECUTABLE="$PWD/.venv/bin/python")
  fi
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BRONZE_BUILD_TYPE:-RelWithDebInfo}" \
    "${python_args[@]}" "${cmake_args[@]}"
fi

cmake --build "$build_dir" -j "${BRONZE_JOBS:-2}"
if [[ $build_dir == build ]]; then
  scripts/python.sh
fi
